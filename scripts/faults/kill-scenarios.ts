// The calls the kill section interrupts. One entry per call; a stage not merged yet is skipped by its route.
import fs from 'node:fs/promises'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { call, type Answer, type Body } from '../lib/http.ts'
import { tableFile } from '../lib/lake-integrity.ts'
import type { KillContext, KillScenario } from './kill.ts'
import { exportPlays, importBody, must as mustAnswer, seedResolvedPlays, settle, syntheticId } from './world.ts'

const dayMs = 24 * 60 * 60 * 1000
const playsPerImport = 3000
const artistsPerWrite = 1000
const artistsPerFetch = 25
const tracksPerRefill = 100
const playsPerRefill = 2000
const fetchedAt = '2026-01-01T00:00:00.000Z'

const must = (ctx: KillContext, method: string, route: string, body?: Body): Promise<Answer | undefined> =>
  mustAnswer(ctx.section, ctx.name, ctx.world.service, method, route, body)

/** The same call, uncounted: the one the kill cuts (its answer may never come). */
const killable = (ctx: KillContext, method: string, route: string, body?: Body): Promise<Answer> => call(ctx.world.service.url, method, route, body)

async function timed (fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now()
  await fn()
  return performance.now() - started
}

const rowsOf = (states: { final: { state: Map<string, { rows: number }> } }, table: string): number => states.final.state.get(table)?.rows ?? -1
const rowsBefore = (states: { before: { state: Map<string, { rows: number }> } }, table: string): number => states.before.state.get(table)?.rows ?? -1

// 1. An export import of a few thousand plays, as a zip (even trials) or as one JSON file (odd trials).
const importScenario: KillScenario = {
  name: 'import',
  route: { method: 'POST', path: '/v1/ingest/streaming-history' },
  world: {},
  async setup (ctx) {
    const { path: route, body } = await importBody(exportPlays(trackIds(60), Date.UTC(2020, 0, 1), playsPerImport), 'Streaming_History_Audio_0.json', true, ctx.world.dir)
    return timed(() => must(ctx, 'POST', route, body))
  },
  async prepare (ctx, trial) {
    const entries = exportPlays(trackIds(60), Date.UTC(2020, 0, 1) + trial * 20 * dayMs, playsPerImport)
    ctx.memory.upload = await importBody(entries, `Streaming_History_Audio_${trial}.json`, trial % 2 === 0, ctx.world.dir)
  },
  start: (ctx) => killable(ctx, 'POST', ctx.memory.upload.path, ctx.memory.upload.body),
  async finish (ctx) {
    const again = await must(ctx, 'POST', ctx.memory.upload.path, ctx.memory.upload.body)
    if (again && again.body.inserted + again.body.duplicates !== playsPerImport) {
      ctx.section.violation(ctx.name, `the re-run counted ${again.body.inserted} inserted + ${again.body.duplicates} duplicates of ${playsPerImport} plays`)
    }
    if (again) ctx.section.count(ctx.name, again.body.inserted === 0 ? 're-run found the plays in' : 're-run imported the plays')
  },
  async verify (_ctx, _trial, states) {
    const want = rowsBefore(states, 'tracks_played') + playsPerImport
    return rowsOf(states, 'tracks_played') === want ? [] : [`tracks_played holds ${rowsOf(states, 'tracks_played')} rows after the re-run, not ${want}`]
  },
}

function trackIds (count: number, prefix = 'import'): string[] {
  return Array.from({ length: count }, (_, i) => syntheticId(`${prefix}-track`, i))
}

// 2. A Spotify batch fetch: one call per artist (Development Mode), each landed under raw/ as it arrives.
const fetchScenario: KillScenario = {
  name: 'spotify-fetch',
  route: { method: 'POST', path: '/v1/spotify/artists/fetch' },
  // enough artists for 40 trials of 25
  world: { spotifyArtists: 41 * artistsPerFetch },
  async setup (ctx) {
    await seedResolvedPlays(ctx.section, ctx.name, ctx.world)
    const plan = await must(ctx, 'POST', '/v1/spotify/artists/plan', { json: { limit: artistsPerFetch, batchSize: artistsPerFetch } })
    let fetched: Answer | undefined
    const ms = await timed(async () => { fetched = await must(ctx, 'POST', '/v1/spotify/artists/fetch', { json: { planId: plan?.body.planId, offset: 0 } }) })
    await must(ctx, 'POST', '/v1/spotify/artists/write', { json: { records: fetched?.body.records ?? [], failures: fetched?.body.failures ?? [] } })
    return ms
  },
  async prepare (ctx) {
    const plan = await must(ctx, 'POST', '/v1/spotify/artists/plan', { json: { limit: artistsPerFetch, batchSize: artistsPerFetch } })
    ctx.memory.planId = plan?.body.planId
    ctx.memory.artists = plan?.body.total ?? 0
    ctx.memory.callsBefore = ctx.world.spotify!.catalogCalls('artists')
  },
  start: (ctx) => killable(ctx, 'POST', '/v1/spotify/artists/fetch', { json: { planId: ctx.memory.planId, offset: 0 } }),
  async finish (ctx) {
    if ((await must(ctx, 'GET', `/v1/plans/${ctx.memory.planId}`)) === undefined) return
    const fetched = await must(ctx, 'POST', '/v1/spotify/artists/fetch', { json: { planId: ctx.memory.planId, offset: 0 } })
    if (!fetched) return
    const { status, records, failures } = fetched.body
    if (status !== 'complete' || records.length !== ctx.memory.artists || failures.length > 0) {
      ctx.section.violation(ctx.name, `the re-fetch answered ${status} with ${records.length} records and ${failures.length} failures for ${ctx.memory.artists} artists`)
    }
    // Answers landed before the kill are reused; answers received but not landed yet are asked for again.
    const calls = ctx.world.spotify!.catalogCalls('artists') - ctx.memory.callsBefore
    if (calls > 2 * ctx.memory.artists + 1) ctx.section.violation(ctx.name, `${calls} Spotify calls for ${ctx.memory.artists} artists in the cut fetch and its re-run`)
    ctx.section.count(ctx.name, 'Spotify calls made twice (cut fetch + re-run)', Math.max(0, calls - ctx.memory.artists))
    await must(ctx, 'POST', '/v1/spotify/artists/write', { json: { records, failures, planId: ctx.memory.planId, offset: 0 } })
  },
  async verify (ctx, _trial, states) {
    const problems = await unreadableRaw(path.join(ctx.world.service.dataDir, 'raw'))
    const want = rowsBefore(states, 'spotify_artists') + ctx.memory.artists
    if (rowsOf(states, 'spotify_artists') !== want) problems.push(`spotify_artists holds ${rowsOf(states, 'spotify_artists')} rows, not ${want}`)
    if (rowsOf(states, 'enrichment_failures') !== 0) problems.push(`${rowsOf(states, 'enrichment_failures')} artists are marked as failed`)
    return problems
  },
}

/** Every file landed under raw/ must be whole JSON. */
async function unreadableRaw (rawDir: string): Promise<string[]> {
  const problems: string[] = []
  const files = (await fs.readdir(rawDir, { recursive: true }).catch(() => [] as string[])).filter((f) => f.endsWith('.json'))
  for (const file of files) {
    try {
      JSON.parse(await fs.readFile(path.join(rawDir, file), 'utf8'))
    } catch {
      problems.push(`raw/${file} is not whole JSON`)
    }
  }
  return problems
}

// 3. A write of 1,000 artists (and their genre rows), each trial a new version of every row.
const artistVersion = (trial: number) => Array.from({ length: artistsPerWrite }, (_, i) => ({
  artist_id: syntheticId('write-artist', i),
  artist_name: `Artist ${i} v${trial}`,
  genres: [`genre ${i % 7}`, `wave ${trial % 3}`],
  popularity: (i + trial) % 100,
  followers: i * 10 + trial,
  image_url: null,
  fetched_at: fetchedAt,
}))

const writeScenario: KillScenario = {
  name: 'spotify-write',
  route: { method: 'POST', path: '/v1/spotify/artists/write' },
  world: { spotifyArtists: 1 },
  setup: (ctx) => timed(() => must(ctx, 'POST', '/v1/spotify/artists/write', { json: { records: artistVersion(0) } })),
  start: (ctx, trial) => killable(ctx, 'POST', '/v1/spotify/artists/write', { json: { records: artistVersion(trial) } }),
  async finish (ctx, trial) {
    await must(ctx, 'POST', '/v1/spotify/artists/write', { json: { records: artistVersion(trial) } })
  },
  async verify (_ctx, _trial, states) {
    const problems: string[] = []
    if (rowsOf(states, 'spotify_artists') !== artistsPerWrite) problems.push(`spotify_artists holds ${rowsOf(states, 'spotify_artists')} rows, not ${artistsPerWrite}`)
    if (rowsOf(states, 'spotify_artist_genre') !== 2 * artistsPerWrite) problems.push(`spotify_artist_genre holds ${rowsOf(states, 'spotify_artist_genre')} rows, not ${2 * artistsPerWrite}`)
    return problems
  },
}

// 4. The plays refill that follows a track resolution write: it rewrites tracks_played in the background.
const refillTracks = (trial: number) => Array.from({ length: tracksPerRefill }, (_, i) => {
  const n = trial * tracksPerRefill + i
  return {
    track_id: syntheticId('refill-track', n),
    track_name: `Refill ${n}`,
    artist_id: syntheticId('refill-artist', n % 37),
    artist_name: `Refill Artist ${n % 37}`,
    album_id: syntheticId('refill-album', n % 53),
    album_name: `Refill Album ${n % 53}`,
    track_isrc: `QZFLT${String(n).padStart(7, '0')}`,
    duration_ms: 200_000,
    fetched_at: fetchedAt,
  }
})

async function importRefillPlays (ctx: KillContext, trial: number): Promise<void> {
  const tracks = refillTracks(trial)
  const entries = exportPlays(tracks.map((t) => t.track_id), Date.UTC(2015, 0, 1) + trial * 10 * dayMs, playsPerRefill, (i) => tracks[i]!.track_name)
  const { path: route, body } = await importBody(entries, `Streaming_History_Audio_refill_${trial}.json`, false, ctx.world.dir)
  await must(ctx, 'POST', route, body)
}

const refillScenario: KillScenario = {
  name: 'plays-refill',
  route: { method: 'POST', path: '/v1/spotify/tracks/write' },
  world: { spotifyArtists: 1 },
  async setup (ctx) {
    await importRefillPlays(ctx, 0)
    // The call is the write and the refill that follows it: until the plays read filled.
    return timed(async () => {
      await must(ctx, 'POST', '/v1/spotify/tracks/write', { json: { records: refillTracks(0) } })
      await settle(ctx.world.service)
    })
  },
  prepare: (ctx, trial) => importRefillPlays(ctx, trial),
  start: (ctx, trial) => killable(ctx, 'POST', '/v1/spotify/tracks/write', { json: { records: refillTracks(trial) } }),
  async finish (ctx, trial) {
    // The restarted service fills what the kill left unfilled by itself; the write again changes nothing.
    await must(ctx, 'POST', '/v1/spotify/tracks/write', { json: { records: refillTracks(trial) } })
  },
  async verify (ctx, trial, states) {
    const problems: string[] = []
    if (rowsOf(states, 'tracks_played') !== rowsBefore(states, 'tracks_played')) problems.push(`the refill changed the number of plays: ${rowsBefore(states, 'tracks_played')} → ${rowsOf(states, 'tracks_played')}`)
    const [row] = await ctx.world.reader.query("SELECT count(*) FILTER (WHERE artist_id IS NULL)::INTEGER AS unfilled, count(*)::INTEGER AS n FROM read_parquet($file) WHERE list_contains(string_split($ids, ','), track_id)",
      { file: tableFile(ctx.world.service.dataDir, 'tracks_played'), ids: refillTracks(trial).map((t) => t.track_id).join(',') })
    if (Number(row?.n) !== playsPerRefill || Number(row?.unfilled) !== 0) problems.push(`of the trial's ${playsPerRefill} plays ${row?.n} are stored and ${row?.unfilled} are still unfilled after the restart`)
    return problems
  },
}

// 5. The MusicBrainz area hierarchy walk (POST /v1/musicbrainz/areas/hierarchy {maxSeconds}), once it is merged.
// 6. The warehouse build (POST /v1/warehouse/build), once it is merged.
// Both live in kill-scenarios-next.ts: their set-up needs the stages' own routes.

export const killScenarios: KillScenario[] = [importScenario, fetchScenario, writeScenario, refillScenario]
