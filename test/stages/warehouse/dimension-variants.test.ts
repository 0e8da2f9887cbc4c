import path from 'node:path'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JsonRow } from '../../../src/lake/rows.ts'
import { tracksPlayed } from '../../../src/stages/ingest/tables.ts'
import { createWarehouseReader, type WarehouseReader } from '../../../src/stages/warehouse/reader.ts'
import { buildTestApp, closeAndRemove, makeTempDir, type TestApp } from '../../helpers/build-app.ts'
import { openLake } from '../../helpers/lake.ts'
import { sid, spotifyPlay } from './rows.ts'

/**
 * Plays that name one Spotify track (never enriched, so only the plays describe it) with different names, albums,
 * lengths and ISRCs, as an export and polling can. Each attribute comes from the combination played most often, and a
 * tie goes to the greatest value.
 */
const track = { track: 'Gamma Song', album: 'Gee Two', artists: ['Gamma'] }
let n = 0
const plays = (times: number, extra: Record<string, unknown>, which = track): Array<Record<string, unknown>> =>
  Array.from({ length: times }, () => spotifyPlay(`p${++n}`, new Date(Date.UTC(2025, 10, 1, 12, n)).toISOString(), which, extra))
const tied = { track: 'Tie Song', album: 'Tie Album', artists: ['Gamma'] }

let t: TestApp
let reader: WarehouseReader
let tracks: Record<string, JsonRow>
let albums: Record<string, JsonRow>

beforeAll(async () => {
  const dir = await makeTempDir()
  const lake = await openLake(dir)
  await lake.merge(tracksPlayed, [
    ...plays(3, { duration_ms: 200_000 }),
    ...plays(1, { track_name: 'Gamma Song (Live)', album_id: sid('Gee One'), album_name: 'Gee One', duration_ms: 210_000, track_isrc: 'QZAAA2500001' }),
    ...plays(1, { track_name: 'Zamma Song', album_name: 'G2', duration_ms: 200_000 }),
    ...plays(2, { track_name: 'Tie Song', album_name: 'Tie Album' }, tied),
    ...plays(2, { track_name: 'tie song', album_name: 'tie album' }, tied),
  ])
  await lake.close()
  t = await buildTestApp({}, {}, dir)
  const build = await request(t.app.server).post('/v1/warehouse/build')
  expect(build.status).toBe(200)
  reader = createWarehouseReader({ file: path.join(dir, 'warehouse.duckdb') })
  tracks = Object.fromEntries((await reader.query('SELECT * FROM dim_track')).map((r) => [String(r.track_id), r]))
  albums = Object.fromEntries((await reader.query('SELECT * FROM dim_album')).map((r) => [String(r.album_id), r]))
}, 60_000)

afterAll(async () => {
  await reader?.close()
  await closeAndRemove(t)
})

describe('dim_track and dim_album from plays that disagree', () => {
  it('take each attribute from the combination played most often; a value only some plays give comes from them', () => {
    expect(tracks[sid('Gamma Song')]).toMatchObject({
      track_name: 'Gamma Song',
      album_id: sid('Gee Two'),
      album_name: 'Gee Two',
      artist_id: sid('Gamma'),
      duration_ms: 200_000,
      isrc: 'QZAAA2500001',
    })
    expect(albums[sid('Gee Two')]).toMatchObject({ album_name: 'Gee Two', artist_name: 'Gamma' })
    expect(albums[sid('Gee One')]).toMatchObject({ album_name: 'Gee One' })
  })

  it('break a tie by the greatest value', () => {
    expect(tracks[sid('Tie Song')]).toMatchObject({ track_name: 'tie song', album_name: 'tie album' })
    expect(albums[sid('Tie Album')]).toMatchObject({ album_name: 'tie album' })
  })
})
