import fs from 'node:fs/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Lake } from '../../../src/lake/lake.ts'
import { playId } from '../../../src/stages/ingest/play-rows.ts'
import { writePlays } from '../../../src/stages/ingest/plays-store.ts'
import { tracksPlayed } from '../../../src/stages/ingest/tables.ts'
import { createPlaysRefill, type Scheduler } from '../../../src/stages/spotify/plays-refill.ts'
import { spotifyTracks } from '../../../src/stages/spotify/tables.ts'
import { buildTestApp, makeTempDir } from '../../helpers/build-app.ts'
import { openLake, silentLog } from '../../helpers/lake.ts'

/** A scheduler the test fires by hand: no real timer races the lake's I/O. */
function manualScheduler () {
  const waiting: Array<{ run: () => void, cancelled: boolean }> = []
  const scheduler: Scheduler = (run) => {
    const entry = { run, cancelled: false }
    waiting.push(entry)
    return { cancel: () => { entry.cancelled = true } }
  }
  return {
    scheduler,
    /** Waits that were set and not cancelled. */
    armed: () => waiting.filter((w) => !w.cancelled).length,
    fire () {
      for (const entry of waiting.splice(0)) if (!entry.cancelled) entry.run()
    },
  }
}

const trackId = (n: number) => `track${String(n).padStart(17, '0')}`

/** Plays imported from an export: a track id and names, no artist or album ids yet. */
const plays = (tracks: number, perTrack: number) => Array.from({ length: tracks * perTrack }, (_, i) => {
  const at = Date.parse('2025-01-01T00:00:00Z') + i * 300_000
  const id = trackId(i % tracks)
  return {
    play_id: playId('spotify-export', 'me', at, id, 'Band', `Song ${i % tracks}`),
    user_id: 'me',
    played_at: new Date(at).toISOString(),
    track_id: id,
    track_name: `Song ${i % tracks}`,
    artist_name: 'Band',
    ms_played: 200_000,
    counts_as_play: true,
    source: 'spotify-export' as const,
    ingested_at: '2026-11-01T00:00:00.000Z',
  }
})

const resolved = (n: number) => ({
  track_id: trackId(n),
  track_uri: `spotify:track:${trackId(n)}`,
  track_name: `Song ${n}`,
  track_isrc: `USAAA26${String(n).padStart(5, '0')}`,
  duration_ms: 200_000,
  explicit: false,
  album_id: `album${String(n).padStart(17, '0')}`,
  album_name: `Album ${n}`,
  artist_id: `artist${String(n).padStart(16, '0')}`,
  artist_name: 'Band',
  artist_ids: [`artist${String(n).padStart(16, '0')}`],
  artist_names: ['Band'],
  fetched_at: '2026-11-01T00:00:00.000Z',
})

describe('filling plays from resolved tracks', () => {
  let dir: string
  let lake: Lake
  let rewrites: string[]
  let failNext: number

  beforeEach(async () => {
    dir = await makeTempDir()
    rewrites = []
    failNext = 0
    lake = await openLake(dir, {
      beforeRename: (table) => {
        if (failNext > 0 && failNext--) throw new Error('disk full')
        rewrites.push(table)
      },
    })
    await writePlays(lake, { plays: plays(4, 3), source: 'test', at: '2026-11-01T00:00:00.000Z' })
    rewrites.length = 0
  })

  afterEach(async () => {
    await lake.close().catch(() => {})
    await fs.rm(dir, { recursive: true, force: true })
  })

  const unfilled = async () => Number((await lake.query('SELECT count(*)::INTEGER AS n FROM tracks_played WHERE artist_id IS NULL'))[0]?.n)

  it('runs one refill after a burst of requests, and flush waits for it', async () => {
    const clock = manualScheduler()
    const refill = createPlaysRefill({ lake, plays: tracksPlayed, log: silentLog, scheduler: clock.scheduler })
    for (const n of [0, 1, 2]) {
      await lake.merge(spotifyTracks, [resolved(n)])
      refill.request()
    }
    // Each request put the wait back: one refill is armed for the whole burst, and none has run.
    expect(clock.armed()).toBe(1)
    expect(await refill.pending()).toBe(9)
    expect(await unfilled()).toBe(12)
    await refill.flush()
    expect(await unfilled()).toBe(3)
    expect(rewrites.filter((t) => t === 'tracks_played')).toHaveLength(1)
    const [play] = await lake.query('SELECT * FROM tracks_played WHERE track_id = $id LIMIT 1', { id: trackId(1) })
    expect(play).toMatchObject({ artist_id: resolved(1).artist_id, album_id: resolved(1).album_id, artist_ids: [resolved(1).artist_id], track_isrc: 'USAAA2600001' })
  })

  it('changes only plays that lack something their track has, whatever the other tracks hold', async () => {
    const clock = manualScheduler()
    const refill = createPlaysRefill({ lake, plays: tracksPlayed, log: silentLog, scheduler: clock.scheduler })
    await lake.merge(spotifyTracks, [resolved(0), resolved(1)])
    refill.request()
    await refill.flush()
    const before = await lake.query('SELECT * FROM tracks_played WHERE track_id = $id ORDER BY play_id', { id: trackId(1) })
    // Track 1 changes after its plays were filled; track 2 is resolved now.
    await lake.merge(spotifyTracks, [{ ...resolved(1), album_name: 'Renamed', track_uri: 'spotify:track:other' }, resolved(2)])
    expect(await refill.pending()).toBe(3)
    refill.request()
    await refill.flush()
    expect(await lake.query('SELECT * FROM tracks_played WHERE track_id = $id ORDER BY play_id', { id: trackId(1) })).toEqual(before)
    expect(await unfilled()).toBe(3)
    expect(await refill.pending()).toBe(0)
    expect(rewrites.filter((t) => t === 'tracks_played')).toHaveLength(2)
  })

  it('runs when its wait is over', async () => {
    const clock = manualScheduler()
    const refill = createPlaysRefill({ lake, plays: tracksPlayed, log: silentLog, scheduler: clock.scheduler })
    await lake.merge(spotifyTracks, [resolved(0)])
    refill.request()
    clock.fire()
    await refill.flush()
    expect(await unfilled()).toBe(9)
    expect(rewrites.filter((t) => t === 'tracks_played')).toHaveLength(1)
  })

  it('runs again for a request that arrives while it runs', async () => {
    const clock = manualScheduler()
    const refill = createPlaysRefill({ lake, plays: tracksPlayed, log: silentLog, scheduler: clock.scheduler })
    await lake.merge(spotifyTracks, [resolved(0)])
    refill.request()
    clock.fire()
    // The refill holds the tables' locks: this write lands after it, and its request arms another refill.
    await lake.merge(spotifyTracks, [resolved(3)])
    refill.request()
    await refill.flush()
    expect(await unfilled()).toBe(6)
    expect(await refill.pending()).toBe(0)
  })

  it('a failed refill changes nothing, and the next flush tries again', async () => {
    const refill = createPlaysRefill({ lake, plays: tracksPlayed, log: silentLog, scheduler: manualScheduler().scheduler })
    await lake.merge(spotifyTracks, [resolved(0), resolved(1)])
    rewrites.length = 0
    failNext = 1
    refill.request()
    // The flush runs it, it fails: the flush gives up rather than spin, and the plays stay as they were.
    await refill.flush()
    expect(await unfilled()).toBe(12)
    await refill.flush()
    expect(await unfilled()).toBe(6)
    refill.close()
  })

  it('ignores requests once closed', async () => {
    const clock = manualScheduler()
    const refill = createPlaysRefill({ lake, plays: tracksPlayed, log: silentLog, scheduler: clock.scheduler })
    refill.close()
    await lake.merge(spotifyTracks, [resolved(0)])
    rewrites.length = 0
    refill.request()
    expect(clock.armed()).toBe(0)
    await refill.flush()
    expect(rewrites).toEqual([])
  })

  it('flush answers at once when nothing waits', async () => {
    const refill = createPlaysRefill({ lake, plays: tracksPlayed, log: silentLog })
    await refill.flush()
    expect(rewrites).toEqual([])
  })

  it('a service that stopped before filling fills on its next start', async () => {
    await lake.merge(spotifyTracks, [resolved(0), resolved(1)])
    await lake.close()
    const t = await buildTestApp({}, { refillDelayMs: 10 }, dir)
    try {
      const rows = (await t.app.inject({ method: 'GET', url: '/v1/tables/tracks_played?limit=1000' })).json().rows as Array<{ artist_id: string | null }>
      expect(rows.filter((r) => r.artist_id === null)).toHaveLength(6)
    } finally {
      await t.close()
    }
  })
})

describe('plays imported after their track was resolved', () => {
  it('are filled too (the tracks plan will not pick their track again)', async () => {
    const t = await buildTestApp({}, { refillScheduler: () => ({ cancel () {} }) })
    try {
      const entry = (ts: string) => ({ ts, ms_played: 200_000, spotify_track_uri: `spotify:track:${'a'.repeat(22)}`, master_metadata_track_name: 'Song', master_metadata_album_artist_name: 'Band', master_metadata_album_album_name: 'Album' })
      const importPlays = (entries: unknown[]) => t.app.inject({ method: 'POST', url: '/v1/ingest/streaming-history', payload: entries })
      const unfilled = async () => ((await t.app.inject({ method: 'GET', url: '/v1/tables/tracks_played?limit=1000' })).json().rows as Array<{ artist_id: string | null }>).filter((r) => r.artist_id === null).length

      expect((await importPlays([entry('2025-01-01T10:00:00Z')])).statusCode).toBe(200)
      const track = { track_id: 'a'.repeat(22), track_name: 'Song', artist_id: 'b'.repeat(22), artist_name: 'Band', album_id: 'c'.repeat(22), album_name: 'Album', fetched_at: '2026-01-01T00:00:00.000Z' }
      expect((await t.app.inject({ method: 'POST', url: '/v1/spotify/tracks/write', payload: { records: [track] } })).statusCode).toBe(200)
      expect(await unfilled()).toBe(0)

      expect((await importPlays([entry('2025-02-01T10:00:00Z'), entry('2025-02-01T11:00:00Z')])).json().inserted).toBe(2)
      expect(await unfilled()).toBe(0)
    } finally {
      await t.close()
    }
  })
})
