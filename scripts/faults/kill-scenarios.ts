// The calls the kill section interrupts. One entry per call; a stage not merged yet is skipped by its route.
import fs from 'node:fs/promises'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { call, type Answer, type Body } from '../lib/http.ts'
import { tableFile } from '../lib/lake-integrity.ts'
import type { KillContext, KillScenario } from './kill.ts'
import { drainGranular, drainSimple, exportPlays, importBody, must as mustAnswer, seedResolvedPlays, syntheticId } from './world.ts'

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
  async setup (ctx) {
    await must(ctx, 'POST', '/v1/spotify/artists/write', { json: { records: artistVersion(0) } })
    // Timed as the trials run it: a new version of every stored row.
    return timed(() => must(ctx, 'POST', '/v1/spotify/artists/write', { json: { records: artistVersion(1000) } }))
  },
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

async function unfilledPlays (ctx: KillContext, trial: number): Promise<number> {
  const [row] = await ctx.world.reader.query("SELECT count(*)::INTEGER AS n FROM read_parquet($file) WHERE artist_id IS NULL AND list_contains(string_split($ids, ','), track_id)",
    { file: tableFile(ctx.world.service.dataDir, 'tracks_played'), ids: refillTracks(trial).map((t) => t.track_id).join(',') })
  return Number(row?.n ?? 0)
}

const refillScenario: KillScenario = {
  name: 'plays-refill',
  route: { method: 'POST', path: '/v1/spotify/tracks/write' },
  world: { spotifyArtists: 1 },
  async setup (ctx) {
    await importRefillPlays(ctx, 0)
    // The call is the write and the refill the service runs a moment later, by itself: until the plays' file is
    // filled (reading them through the service would run the refill at once).
    return timed(async () => {
      await must(ctx, 'POST', '/v1/spotify/tracks/write', { json: { records: refillTracks(0) } })
      for (let waited = 0; waited < 30_000 && await unfilledPlays(ctx, 0) > 0; waited += 50) await sleep(50)
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

// 5. The MusicBrainz area hierarchy walk (issue 10): each trial plays new artists from new towns, matched beforehand;
// the walk fetches every area once and commits as it goes.
const hierarchyArtists = 6

const hierarchyScenario: KillScenario = {
  name: 'hierarchy-walk',
  route: { method: 'POST', path: '/v1/musicbrainz/areas/hierarchy' },
  world: { spotifyArtists: 42 * hierarchyArtists, musicbrainz: true },
  commits: 'progressively',
  async setup (ctx) {
    await matchNewArtists(ctx, 0)
    return timed(() => drainSimple(ctx.section, ctx.name, ctx.world.service, '/v1/musicbrainz/areas/hierarchy'))
  },
  prepare: (ctx, trial) => matchNewArtists(ctx, trial),
  start: (ctx) => killable(ctx, 'POST', '/v1/musicbrainz/areas/hierarchy', { json: { maxSeconds: 30 } }),
  finish: (ctx) => drainSimple(ctx.section, ctx.name, ctx.world.service, '/v1/musicbrainz/areas/hierarchy'),
  async verify (_ctx, _trial, states) {
    const problems: string[] = []
    // Six towns in two provinces of one new country.
    if (rowsOf(states, 'mbz_areas') !== rowsBefore(states, 'mbz_areas') + hierarchyArtists + 3) problems.push(`mbz_areas went from ${rowsBefore(states, 'mbz_areas')} to ${rowsOf(states, 'mbz_areas')} rows, not +${hierarchyArtists + 3}`)
    if (rowsOf(states, 'mbz_area_hierarchy') !== rowsBefore(states, 'mbz_area_hierarchy') + hierarchyArtists) problems.push(`mbz_area_hierarchy went from ${rowsBefore(states, 'mbz_area_hierarchy')} to ${rowsOf(states, 'mbz_area_hierarchy')} rows, not +${hierarchyArtists}`)
    return problems
  },
}

/** Plays of `hierarchyArtists` new artists, each from a new town, and their MusicBrainz matches written. */
async function matchNewArtists (ctx: KillContext, trial: number): Promise<void> {
  const spotify = ctx.world.spotify!
  const mbz = ctx.world.musicbrainz!
  const artists = [...spotify.artists.values()].slice(trial * hierarchyArtists, (trial + 1) * hierarchyArtists)
  const tracks = [...spotify.tracks.values()].filter((t) => artists.some((a) => a.id === t.artists[0].id))
  const upload = await importBody(exportPlays(tracks.map((t) => t.id), Date.UTC(2016, 0, 1) + trial * 5 * dayMs, tracks.length, (i) => tracks[i]!.name), `Streaming_History_Audio_h${trial}.json`, false, ctx.world.dir)
  await must(ctx, 'POST', upload.path, upload.body)
  await must(ctx, 'POST', '/v1/spotify/tracks/write', { json: { records: tracks.map((t) => ({ track_id: t.id, track_name: t.name, artist_id: t.artists[0].id, artist_name: t.artists[0].name, album_id: t.album.id, album_name: t.album.name, fetched_at: fetchedAt })) } })
  await must(ctx, 'POST', '/v1/spotify/artists/write', { json: { records: artists.map((a) => ({ artist_id: a.id, artist_name: a.name, genres: [], fetched_at: fetchedAt })) } })
  const country = mbz.addArea({ name: `Faultland ${trial}`, type: 'Country' })
  const provinces = [0, 1].map((k) => mbz.addArea({ name: `Province ${trial}.${k}`, type: 'Subdivision', parent: country }))
  artists.forEach((a, i) => mbz.addArtist({ name: a.name, spotifyId: a.id, area: mbz.addArea({ name: `Town ${trial}.${i}`, type: 'City', parent: provinces[i % 2] }) }))
  await must(ctx, 'POST', '/v1/musicbrainz/discover', { json: {} })
  await drainGranular(ctx.section, ctx.name, ctx.world.service, '/v1/musicbrainz/artists')
}

// 7. Update MBIDs: a process of its own rewrites spotify_artists and tracks_played, the service commits its files.
const updateMbidsScenario: KillScenario = {
  name: 'update-mbids',
  route: { method: 'POST', path: '/v1/musicbrainz/update-mbids' },
  world: { spotifyArtists: 42 * hierarchyArtists, musicbrainz: true },
  async setup (ctx) {
    await matchNewArtists(ctx, 0)
    return timed(() => must(ctx, 'POST', '/v1/musicbrainz/update-mbids', { json: {} }))
  },
  prepare: (ctx, trial) => matchNewArtists(ctx, trial),
  start: (ctx) => killable(ctx, 'POST', '/v1/musicbrainz/update-mbids', { json: {} }),
  async finish (ctx) {
    await must(ctx, 'POST', '/v1/musicbrainz/update-mbids', { json: {} })
  },
  async verify (ctx, trial, states) {
    const problems: string[] = []
    if (rowsOf(states, 'tracks_played') !== rowsBefore(states, 'tracks_played')) problems.push(`Update MBIDs changed the number of plays: ${rowsBefore(states, 'tracks_played')} → ${rowsOf(states, 'tracks_played')}`)
    const ids = [...ctx.world.spotify!.artists.values()].slice(trial * hierarchyArtists, (trial + 1) * hierarchyArtists).map((a) => a.id).join(',')
    const { dataDir } = ctx.world.service
    const [artists] = await ctx.world.reader.query("SELECT count(artist_mbid)::INTEGER AS n FROM read_parquet($file) WHERE list_contains(string_split($ids, ','), artist_id)",
      { file: tableFile(dataDir, 'spotify_artists'), ids })
    if (Number(artists?.n) !== hierarchyArtists) problems.push(`${artists?.n} of the trial's ${hierarchyArtists} matched artists have their MBID after the re-run`)
    const [plays] = await ctx.world.reader.query("SELECT count(*)::INTEGER AS n, count(*) FILTER (WHERE len(artist_mbids) > 0)::INTEGER AS with_mbids FROM read_parquet($file) WHERE list_contains(string_split($ids, ','), artist_id)",
      { file: tableFile(dataDir, 'tracks_played'), ids })
    if (Number(plays?.n) === 0 || plays?.n !== plays?.with_mbids) problems.push(`${plays?.with_mbids} of the trial's ${plays?.n} plays carry artist MBIDs after the re-run`)
    return problems
  },
}

// 6. The warehouse build (issue 12): a new warehouse.duckdb replaces the old one atomically.
const warehouseScenario: KillScenario = {
  name: 'warehouse-build',
  route: { method: 'POST', path: '/v1/warehouse/build' },
  world: {},
  async setup (ctx) {
    const upload = await importBody(exportPlays(trackIds(80, 'warehouse'), Date.UTC(2013, 0, 1), playsPerImport), 'Streaming_History_Audio_w0.json', false, ctx.world.dir)
    await must(ctx, 'POST', upload.path, upload.body)
    return timed(() => must(ctx, 'POST', '/v1/warehouse/build', { json: {} }))
  },
  async prepare (ctx, trial) {
    // New plays, so each build makes a warehouse of its own.
    const upload = await importBody(exportPlays(trackIds(80, 'warehouse'), Date.UTC(2013, 0, 1) + trial * 20 * dayMs, 500), `Streaming_History_Audio_w${trial}.json`, false, ctx.world.dir)
    await must(ctx, 'POST', upload.path, upload.body)
  },
  start: (ctx) => killable(ctx, 'POST', '/v1/warehouse/build', { json: {} }),
  async finish (ctx) {
    await must(ctx, 'POST', '/v1/warehouse/build', { json: {} })
    await must(ctx, 'GET', '/v1/warehouse')
  },
  files: (ctx) => warehouseFiles(ctx),
}

/**
 * Every DuckDB database under the data directory (not tmp/), opened from a copy — a reader of the service's own file
 * could meet its lock — and fingerprinted by its tables' row counts. A file that does not open throws.
 */
async function warehouseFiles (ctx: KillContext): Promise<Record<string, string>> {
  const dataDir = ctx.world.service.dataDir
  const files = (await fs.readdir(dataDir, { recursive: true })).filter((f) => f.endsWith('.duckdb') && !f.startsWith('tmp'))
  const out: Record<string, string> = {}
  for (const file of files) {
    const copy = path.join(ctx.world.dir, `copy-${path.basename(file)}`)
    await fs.copyFile(path.join(dataDir, file), copy)
    try {
      const read = await ctx.world.reader.readDatabase(copy)
      if (read.tables === 0) throw new Error(`${file} opens but holds no table`)
      out[file] = read.fingerprint
      ctx.section.rows(read.rows)
    } catch (err) {
      throw new Error(`${file} does not open: ${(err as Error).message.split('\n')[0]}`)
    } finally {
      await fs.rm(copy, { force: true })
    }
  }
  return out
}

export const killScenarios: KillScenario[] = [importScenario, fetchScenario, writeScenario, refillScenario, hierarchyScenario, updateMbidsScenario, warehouseScenario]
