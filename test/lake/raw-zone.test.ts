import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createRawZone } from '../../src/lake/raw-zone.ts'

const dirs: string[] = []
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => fs.rm(dir, { recursive: true, force: true })))
})

describe('the raw zone', () => {
  it('saveAll lands every answer of a batch as save would, each readable on its own', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'raw-zone-'))
    dirs.push(dir)
    const raw = createRawZone(dir)
    const records = Array.from({ length: 20 }, (_, i) => ({
      name: `id${i}`,
      record: { fetchedAt: '2026-01-01T00:00:00.000Z', url: `http://127.0.0.1/x/${i}`, status: 200, body: { n: i, text: 'é\u{1F600}' } },
    }))
    await raw.saveAll('spotify-tracks', records)
    await raw.save('spotify-tracks', 'single', records[0]!.record)
    for (const { name, record } of records) expect(await raw.load('spotify-tracks', name)).toEqual(record)
    expect(await raw.load('spotify-tracks', 'single')).toEqual(records[0]!.record)
    expect(await raw.load('spotify-tracks', 'absent')).toBeUndefined()
  })

  it('saveAll of nothing writes nothing', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'raw-zone-'))
    dirs.push(dir)
    await createRawZone(dir).saveAll('spotify-tracks', [])
    expect(await fs.readdir(dir)).toEqual([])
  })
})
