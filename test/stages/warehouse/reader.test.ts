import fs from 'node:fs/promises'
import path from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { afterEach, describe, expect, it } from 'vitest'
import { createWarehouseReader, type WarehouseReader } from '../../../src/stages/warehouse/reader.ts'
import { makeTempDir } from '../../helpers/build-app.ts'

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

/** A warehouse file holding plays(n) for n in 1..count, written beside `file` and renamed over it, as a build does. */
async function writeWarehouse (file: string, count: number): Promise<void> {
  const next = `${file}.next`
  const instance = await DuckDBInstance.create(next)
  const conn = await instance.connect()
  await conn.run(`CREATE TABLE plays AS SELECT range + 1 AS n FROM range(${count})`)
  conn.closeSync()
  instance.closeSync()
  await fs.rename(next, file)
}

async function setup (count: number): Promise<{ file: string, reader: WarehouseReader }> {
  const dir = await makeTempDir()
  const file = path.join(dir, 'warehouse.duckdb')
  await writeWarehouse(file, count)
  const reader = createWarehouseReader({ file })
  cleanup.push(async () => {
    await reader.close()
    await fs.rm(dir, { recursive: true, force: true })
  })
  return { file, reader }
}

const atLeast = 'SELECT count(*) AS plays FROM plays WHERE n >= $min'

describe('the warehouse reader', () => {
  it('runs a statement it prepared before with new parameters, one after another and at once', async () => {
    const { reader } = await setup(100)
    for (const min of [1, 50, 100, 101]) expect((await reader.query(atLeast, { min }))[0]!.plays).toBe(Math.max(0, 101 - min))
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => reader.query(atLeast, { min: i * 10 })))
    expect(answers.map((rows) => rows[0]!.plays)).toEqual(Array.from({ length: 12 }, (_, i) => Math.max(0, Math.min(100, 101 - i * 10))))
  })

  it('answers again after a query fails', async () => {
    const { reader } = await setup(10)
    await expect(reader.query('SELECT missing FROM plays')).rejects.toThrow(/missing/)
    expect((await reader.query(atLeast, { min: 1 }))[0]!.plays).toBe(10)
  })

  it('reads a rebuilt warehouse with the statements it prepared on the old one', async () => {
    const { file, reader } = await setup(10)
    expect((await reader.query(atLeast, { min: 1 }))[0]!.plays).toBe(10)
    await writeWarehouse(file, 30)
    expect((await reader.query(atLeast, { min: 1 }))[0]!.plays).toBe(30)
    expect((await reader.query(atLeast, { min: 21 }))[0]!.plays).toBe(10)
  })
})
