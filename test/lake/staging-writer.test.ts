import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { createStagingWriter } from '../../src/lake/staging-writer.ts'
import { tracksPlayed } from '../../src/stages/ingest/tables.ts'
import { lakePerTest } from '../helpers/lake.ts'

const play = (n: number): Record<string, unknown> => ({
  play_id: `play-${n}`,
  user_id: 'me',
  played_at: new Date(Date.UTC(2024, 0, 1, 0, n)).toISOString(),
  source: 'spotify-export',
  ingested_at: '2024-02-01T00:00:00.000Z',
  counts_as_play: n % 2 === 0,
  track_name: n === 3 ? 'lone \uD800 surrogate' : `Song ${n}`,
  artist_names: [`Artist ${n}`],
  ms_played: n === 5 ? -1 : 1000 * n,
})

describe('staging writer converting to parquet in the background', () => {
  const fresh = lakePerTest()

  it('answers parquet files holding every storable row in input order, ten staged files a conversion', async () => {
    const work = path.join(fresh.dir, 'work')
    await fs.mkdir(work)
    const rejected: number[] = []
    const writer = createStagingWriter(work, { table: tracksPlayed, rowsPerFile: 2, query: fresh.lake.query, onReject: (r) => { rejected.push(r.index) } })
    for (let n = 0; n < 25; n++) await writer.write(play(n))
    const staged = await writer.finish()
    expect(staged).toMatchObject({ format: 'parquet', rows: 24, repaired: 1 })
    expect(rejected).toEqual([5])
    // 24 rows in files of 2: twelve staged files, converted as ten and two.
    expect(staged.files).toHaveLength(2)
    expect((await fs.readdir(work)).filter((f) => f.endsWith('.ndjson'))).toEqual([])
    const rows = await fresh.lake.query('SELECT play_id, _ord, track_name, artist_names, ms_played FROM read_parquet($files::VARCHAR[]) ORDER BY _ord', { files: staged.files })
    expect(rows.map((r) => r.play_id)).toEqual(Array.from({ length: 25 }, (_, n) => `play-${n}`).filter((id) => id !== 'play-5'))
    expect(rows.map((r) => Number(r._ord))).toEqual(Array.from({ length: 24 }, (_, n) => n))
    expect(rows[3]).toMatchObject({ track_name: 'lone \uFFFD surrogate', artist_names: ['Artist 3'], ms_played: 3000 })
  })

  it('answers the JSON lines as written without a query function', async () => {
    const writer = createStagingWriter(fresh.dir, { table: tracksPlayed, rowsPerFile: 2 })
    for (let n = 0; n < 3; n++) await writer.write(play(n))
    const staged = await writer.finish()
    expect(staged).toMatchObject({ format: 'ndjson', rows: 3 })
    expect(staged.files).toHaveLength(2)
    const lines = (await fs.readFile(staged.files[1]!, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines).toEqual([expect.objectContaining({ play_id: 'play-2', _ord: 2 })])
  })
})
