import fs from 'node:fs/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { relationCache, tablesNamedIn } from '../../src/batch/relation-cache.ts'
import { enrichmentFailures } from '../../src/batch/tables.ts'
import { createLake, type Lake } from '../../src/lake/lake.ts'
import { fileGeneration } from '../../src/lake/parquet-file.ts'
import { column as c, defineTable, required } from '../../src/lake/table.ts'
import { makeTempDir } from '../helpers/build-app.ts'
import { silentLog } from '../helpers/lake.ts'
import { toyPlays, toyThings } from '../helpers/toy-step.ts'

const grouped = 'SELECT thing_id AS id, count(*)::INTEGER AS weight FROM toy_plays GROUP BY thing_id'
const toyPlaysMore = defineTable({ name: 'toy_plays_more', description: 'a table whose name starts like toy_plays', key: ['k'], columns: { k: required(c.varchar('k')) } })

describe('relation cache (what plans keep between calls)', () => {
  let dir: string
  let lake: Lake
  const plays = (things: string[], from = 0) => things.map((thing, i) => ({ play_id: `p${from + i}`, thing_id: thing }))
  const read = async (sql = grouped): Promise<{ rows: Record<string, unknown>, reused: boolean }> => {
    const cached = await relationCache(lake).rows(sql)
    const rows = await lake.query(`SELECT id, weight FROM "${cached.table}" ORDER BY id`)
    return { rows: Object.fromEntries(rows.map((r) => [r.id, r.weight])), reused: cached.reused }
  }

  beforeEach(async () => {
    dir = await makeTempDir()
    lake = await createLake({ dataDir: dir, log: silentLog, tables: [enrichmentFailures, toyPlays, toyThings, toyPlaysMore] })
    await lake.merge(toyPlays, plays(['a', 'a', 'b']))
  })

  afterEach(async () => {
    await lake.close()
    await fs.rm(dir, { recursive: true, force: true })
  })

  it('names the lake tables a query reads, quoted or not, and no table whose name only starts alike', () => {
    const names = (sql: string) => tablesNamedIn(lake, sql).map((t) => t.name)
    expect(names(grouped)).toEqual(['toy_plays'])
    expect(names('SELECT * FROM "toy_plays_more" JOIN toy_things USING (k)')).toEqual(['toy_things', 'toy_plays_more'])
    expect(names('SELECT 1')).toEqual([])
  })

  it('keeps the answer until a table it reads is written, the same millisecond or not', async () => {
    expect(await read()).toEqual({ rows: { a: 2, b: 1 }, reused: false })
    expect(await read()).toEqual({ rows: { a: 2, b: 1 }, reused: true })
    // Writes right after each other: a cache keyed on file times alone could miss one.
    for (let n = 0; n < 5; n++) {
      await lake.merge(toyPlays, plays(['c'], 10 + n))
      expect(await read()).toEqual({ rows: { a: 2, b: 1, c: n + 1 }, reused: false })
    }
    // A write to a table it does not read keeps it, even one whose name starts alike.
    await lake.merge(toyThings, [{ thing_id: 'a', name: 'A', size: 1 }])
    await lake.merge(toyPlaysMore, [{ k: 'x' }])
    expect((await read()).reused).toBe(true)
  })

  it('counts each replacement of a table file', async () => {
    const before = fileGeneration(lake.filePath(toyPlays))
    await lake.merge(toyPlays, plays(['z'], 50))
    expect(fileGeneration(lake.filePath(toyPlays))).toBe(before + 1)
  })

  it('sees a table file replaced behind the process (another copy renamed into place)', async () => {
    const file = lake.filePath(toyPlays)
    const older = `${dir}/older.parquet`
    await fs.copyFile(file, older)
    await lake.merge(toyPlays, plays(['c'], 10))
    expect((await read()).rows).toEqual({ a: 2, b: 1, c: 1 })
    await fs.rename(older, file)
    expect(await read()).toEqual({ rows: { a: 2, b: 1 }, reused: false })
  })

  it('never keeps an answer older than a write that finished before the call, with writes racing the builds', async () => {
    for (let n = 0; n < 8; n++) {
      const id = `r${n}`
      await Promise.all([read(), lake.merge(toyPlays, plays([id], 100 + n)), read()])
      expect((await read()).rows[id]).toBe(1)
    }
  })

  it('keeps one answer per query and parameters, and per lake', async () => {
    const only = 'SELECT thing_id AS id, count(*)::INTEGER AS weight FROM toy_plays WHERE thing_id = $thing GROUP BY thing_id'
    const cache = relationCache(lake)
    const a = await cache.rows(only, { thing: 'a' })
    const b = await cache.rows(only, { thing: 'b' })
    expect(a.table).not.toBe(b.table)
    expect(await lake.query(`SELECT id, weight FROM "${b.table}"`)).toEqual([{ id: 'b', weight: 1 }])
    expect((await cache.rows(only, { thing: 'a' })).reused).toBe(true)
    const echo = 'SELECT $n::VARCHAR AS id, 1 AS weight'
    expect((await cache.rows(echo, { n: 5n })).table).not.toBe((await cache.rows(echo, { n: '5n' })).table)

    const otherDir = await makeTempDir()
    const other = await createLake({ dataDir: otherDir, log: silentLog, tables: [toyPlays] })
    try {
      await other.merge(toyPlays, plays(['q']))
      const there = await relationCache(other).rows(grouped)
      expect(there.reused).toBe(false)
      expect(await other.query(`SELECT id FROM "${there.table}"`)).toEqual([{ id: 'q' }])
    } finally {
      await other.close()
      await fs.rm(otherDir, { recursive: true, force: true })
    }
  })
})
