import fs from 'node:fs/promises'
import path from 'node:path'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recentReport } from '../../src/reports/recent.ts'
import { tracksPlayed } from '../../src/stages/ingest/tables.ts'
import { createWarehouseReader } from '../../src/stages/warehouse/reader.ts'
import { makeTempDir, type TestApp } from '../helpers/build-app.ts'
import { openLake } from '../helpers/lake.ts'
import { mulberry32 } from '../helpers/random.ts'
import { play, spotifyPlay } from '../stages/warehouse/rows.ts'
import { addPlays, reportApp } from './report-lake.ts'

// The recent report merges the warehouse's top rows with the plays that arrived after the build; this checks it against
// every play added up in plain code, on a seeded lake where minutes tie often (whole-minute plays) and the new plays
// lift artists and tracks from below the warehouse's top rows.

const random = mulberry32(1402)
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
const artistNames = Array.from({ length: 9 }, (_, i) => `Artist ${i}`)
const songs = artistNames.flatMap((artist, a) => Array.from({ length: 3 }, (_, s) => ({ track: `Song ${a}.${s}`, album: `Album ${a}`, artists: [artist] })))
const wholeMinutes = [60_000, 120_000, 180_000]
/** A local day in Europe/Berlin: the plays fall between 2025-03-01 and 2026-02-14, away from midnight. */
const playedAt = (): string => new Date(Date.UTC(2025, 2, 1 + Math.floor(random() * 350), 9 + Math.floor(random() * 10))).toISOString()

/** Stored ten minutes before the build (2026-02-15 12:00): all of them in it. */
const lateIngestion = '2026-02-15T11:50:00.000Z'
const warehousePlays = Array.from({ length: 240 }, (_, i) => spotifyPlay(`w${i}`, playedAt(), pick(songs), { ms_played: pick(wholeMinutes), duration_ms: 240_000, ingested_at: lateIngestion }))
const newPlays = [
  // The same ingestion time as the warehouse's plays, stored after the build (a request whose write landed late).
  spotifyPlay('late', playedAt(), songs[0]!, { ms_played: 120_000, duration_ms: 240_000, ingested_at: lateIngestion }),
  ...Array.from({ length: 30 }, (_, i) => spotifyPlay(`n${i}`, playedAt(), pick(songs.slice(18)), {
    ms_played: random() < 0.2 ? null : pick(wholeMinutes), duration_ms: 240_000, ingested_at: '2026-02-15T12:05:00.000Z',
  })),
  ...['Stranger', 'Stranger', 'Newcomer'].map((artist, i) => play({
    play_id: `x${i}`, played_at: playedAt(), source: 'listenbrainz', track_name: `Tune ${i % 2}`, artist_name: artist, ms_played: 180_000, ingested_at: '2026-02-15T12:06:00.000Z',
  })),
]

interface Sum { plays: number, minutes: number, tracks: Set<string> }

/** Every play added up: artists by Spotify id or `name:` + name, tracks likewise, ordered as the report orders them. */
function expected (plays: Array<Record<string, unknown>>, limit: number) {
  const artists = new Map<string, Sum>()
  const tracks = new Map<string, Sum>()
  for (const p of plays) {
    const artist = (p.artist_id as string | undefined) ?? `name:${String(p.artist_name).toLowerCase()}`
    const track = (p.track_id as string | undefined) ?? `name:${String(p.artist_name).toLowerCase()} - ${String(p.track_name).toLowerCase()}`
    const minutes = ((p.ms_played as number | null | undefined) ?? (p.duration_ms as number | undefined) ?? 0) / 60_000
    for (const [map, key] of [[artists, artist], [tracks, track]] as const) {
      const sum = map.get(key) ?? { plays: 0, minutes: 0, tracks: new Set<string>() }
      sum.plays++
      sum.minutes += minutes
      sum.tracks.add(track)
      map.set(key, sum)
    }
  }
  const top = (map: Map<string, Sum>) => [...map].sort(([a, x], [b, y]) => y.minutes - x.minutes || y.plays - x.plays || (a < b ? -1 : 1)).slice(0, limit)
  return {
    totals: { plays: plays.length, artists: artists.size, tracks: tracks.size },
    topArtists: top(artists).map(([id, s]) => ({ artistId: id, plays: s.plays, minutes: s.minutes, tracks: s.tracks.size })),
    topTracks: top(tracks).map(([id, s]) => ({ trackId: id, plays: s.plays, minutes: s.minutes })),
  }
}

/** A lake of the warehouse plays, its warehouse built, then `grown` added (no app left open). */
async function lakeBuiltThenGrown (grown: Array<Record<string, unknown>> = newPlays): Promise<string> {
  const dir = await makeTempDir()
  const lake = await openLake(dir)
  try {
    await lake.merge(tracksPlayed, warehousePlays)
  } finally {
    await lake.close()
  }
  const first = await reportApp(dir)
  await first.build()
  await first.t.close()
  if (grown.length > 0) await addPlays(dir, grown)
  return dir
}

/** The report's top rows as `expected` gives them. */
const topRows = (body: { topArtists: Array<Record<string, unknown>>, topTracks: Array<Record<string, unknown>> }) => ({
  topArtists: body.topArtists.map((a) => ({ artistId: a.artistId, plays: a.plays, minutes: a.minutes, tracks: a.tracks })),
  topTracks: body.topTracks.map((tr) => ({ trackId: tr.trackId, plays: tr.plays, minutes: tr.minutes })),
})

describe('the recent report over the warehouse and the plays since its build', () => {
  let t: TestApp
  let dir: string
  const get = async (url: string) => {
    const res = await request(t.app.server).get(url)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    return res.body
  }

  beforeAll(async () => {
    dir = await lakeBuiltThenGrown()
    t = (await reportApp(dir)).t
  })
  afterAll(async () => {
    await t?.close()
    await fs.rm(dir, { recursive: true, force: true })
  })

  for (const limit of [1, 3, 100]) {
    it(`top ${limit}: the same artists, tracks, plays, minutes and totals as every play added up`, async () => {
      const body = await get(`/v1/reports/recent?from=2025-01-01&to=2026-02-15&limit=${limit}`)
      const want = expected([...warehousePlays, ...newPlays], limit)
      expect(body.newSinceBuild).toBe(newPlays.length)
      expect(body.totals).toMatchObject(want.totals)
      expect(topRows(body)).toEqual({ topArtists: want.topArtists, topTracks: want.topTracks })
    })
  }

  it('the new plays change the top rows (the check above is not vacuous)', () => {
    const before = expected(warehousePlays, 3).topArtists.map((a) => a.artistId)
    const after = expected([...warehousePlays, ...newPlays], 3).topArtists.map((a) => a.artistId)
    expect(after).not.toEqual(before)
  })
})

describe('the recent report far behind the lake', () => {
  it('answers WAREHOUSE_BEHIND, saying to build, when more plays arrived since the build than it merges on the fly', async () => {
    const dir = await lakeBuiltThenGrown()
    try {
      const reader = createWarehouseReader({ file: path.join(dir, 'warehouse.duckdb') })
      try {
        const plays = { file: path.join(dir, 'lake', 'tracks_played', 'tracks_played.parquet'), tmpDir: path.join(dir, 'tmp') }
        const deps = { query: reader.query, plays, now: () => new Date('2026-02-15T12:30:00Z') }
        const params = { from: '2025-01-01', limit: 3 }
        // newPlays.length = 34, of which 'late' shares the warehouse's ingestion: 34 + 240 plays to look at.
        await expect(recentReport({ ...deps, maxPlaysAfterBuild: 273 }, params)).rejects.toMatchObject({ code: 'WAREHOUSE_BEHIND' })
        expect((await recentReport({ ...deps, maxPlaysAfterBuild: 274 }, params)).newSinceBuild).toBe(newPlays.length)
      } finally {
        await reader.close()
      }
    } finally {
      await fs.rm(dir, { recursive: true, force: true })
    }
  })
})

describe('the recent report on a warehouse that has read every play', () => {
  it('answers from the warehouse alone: the same totals and top rows, nothing new since the build', async () => {
    const dir = await lakeBuiltThenGrown([])
    const { t } = await reportApp(dir)
    try {
      const res = await request(t.app.server).get('/v1/reports/recent?from=2025-01-01&to=2026-02-15&limit=3')
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      const want = expected(warehousePlays, 3)
      expect(res.body.newSinceBuild).toBe(0)
      expect(res.body.totals).toMatchObject(want.totals)
      expect(topRows(res.body)).toEqual({ topArtists: want.topArtists, topTracks: want.topTracks })
      expect(res.body.builtAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
      expect(res.body.latest[0].playedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    } finally {
      await t.close()
      await fs.rm(dir, { recursive: true, force: true })
    }
  })
})
