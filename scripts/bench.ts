// npm run bench: the whole Daily ETL at full scale on one generated world (bench/daily.ts): the import, every step of the
// chain through the production service against fakes at the real services' rate rules, each plan beside its bare query;
// one table and bench/results.json. `npm run bench -- --small` runs the same code paths on a small world in under a
// minute (CI runs it). Named sections run the older measures on their own lakes, each with its own service:
// `npm run bench -- import spotify plans geography musicbrainz warehouse`. Exits 1 only when a correctness check fails.
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { batchSizes, type CatalogKind } from '../src/stages/spotify/client.ts'
import { createFakeSpotify, seedCatalog, type FakeSpotify } from '../test/fakes/fake-spotify.ts'
import { exportEntry } from '../test/helpers/export.ts'
import { generateExport, type GeneratedExport } from './bench/export-history.ts'
import { benchPlaces, buildGeographyLake, runCities } from './bench/geography.ts'
import { runGranular } from './bench/granular.ts'
import { ok } from './lib/http.ts'
import { buildLargeLake, lakePlays, type LargeLake } from './bench/lake-fixture.ts'
import { measureMusicBrainz, musicbrainzBench } from './bench/musicbrainz.ts'
import { runDailyBench } from './bench/daily.ts'
import { measureWarehouseBuilds } from './bench/warehouse.ts'
import { addEnrichment } from './bench/warehouse-fixture.ts'
import { createReport, formatTable, mb, ms, type Report } from './bench/report.ts'
import { spotifyEnv } from '../test/helpers/build-app.ts'
import { buildProduction, makeTempDir, memoryOf, startService, type Service } from './lib/service.ts'

const MB = 1024 * 1024
const importTargetMs = 10_000
const importPeakRssTarget = 200 * MB
const planTargetMs = 300
const planRuns = 5
/** artists in the fake catalog, each with one album and one track: every resource plans this many ids */
const catalogArtists = 200
const playsPerCatalogTrack = 2
const writeRecords = 50
const logLinesShown = 15

const resources: CatalogKind[] = ['tracks', 'artists', 'albums']
const serviceLogs: Array<{ name: string, lines: string[] }> = []
const benchStarted = Date.now()

function progress (message: string): void {
  console.log(`[bench ${((Date.now() - benchStarted) / 1000).toFixed(0).padStart(4)} s] ${message}`)
}

const thousands = (n: number): string => n.toLocaleString('en-US')

interface ServiceSetup {
  env?: Record<string, string>
  /** fills the temp dir before the service starts (the service's data dir is <dir>/data) */
  prepare?: (dir: string) => Promise<void>
}

/** Runs one measure with its own service and temp dir; a throw becomes a FAIL row and the next measure still runs. */
async function withService (report: Report, name: string, setup: ServiceSetup, body: (service: Service) => Promise<void>): Promise<void> {
  const dir = await makeTempDir(name)
  let service: Service | undefined
  try {
    await setup.prepare?.(dir)
    service = await startService(path.join(dir, 'data'), setup.env)
    await body(service)
  } catch (err) {
    report.error(name, err)
  } finally {
    await service?.stop()
    if (service && service.logs.length > 0) serviceLogs.push({ name, lines: service.logs })
    await fs.rm(dir, { recursive: true, force: true })
  }
}

// 1. Importing a 10-year extended streaming history export.

/** The video history file and the PDF. */
const ignoredFiles = 2

function checkImport (report: Report, body: any, generated: GeneratedExport): void {
  const files = `${body.files} / ${body.ignoredFiles?.length}`
  report.check('import: audio files / ignored files', files === `${generated.files} / ${ignoredFiles}`, files, `${generated.files} / ${ignoredFiles}`)
  const counts = (rows: number, skipped: number, episodes: number, short: number): string =>
    `${thousands(rows)} / ${thousands(skipped)} (${thousands(episodes)} episodes) / ${thousands(short)}`
  const got = counts(body.rows, body.skipped, body.skippedBy?.episodes, body.shortPlays)
  const want = counts(generated.rows, generated.podcasts, generated.podcasts, generated.shortPlays)
  report.check('import: rows / skipped / short plays', got === want, got, want)
  const inserted = generated.rows - generated.repeats
  report.check('import: inserted / duplicates', body.inserted === inserted && body.duplicates === generated.repeats,
    `${thousands(body.inserted)} / ${body.duplicates}`, `${thousands(inserted)} / ${generated.repeats}`)
}

async function tableRows (service: Service, table: string): Promise<number> {
  const { body } = await ok(service.url, 'GET', '/v1/tables')
  return (body.tables as Array<{ name: string, rowCount: number }>).find((t) => t.name === table)?.rowCount ?? -1
}

async function measureImport (report: Report): Promise<void> {
  let generated: GeneratedExport | undefined
  const prepare = async (dir: string): Promise<void> => {
    progress('generating the export zip')
    generated = await generateExport(dir)
    report.info('import: export', `${thousands(generated.entries)} entries, ${thousands(generated.tracks)} tracks, ${generated.files} files, zip ${mb(generated.zipBytes)}`)
  }
  await withService(report, 'import', { prepare }, async (service) => {
    const zip = { file: generated!.zipFile, contentType: 'application/zip' }
    const idle = memoryOf(service.pid)
    report.memory('import: service RSS idle before (VmRSS)', idle.rss)
    report.memory('import: service peak RSS at start (VmHWM)', idle.peak)

    progress('importing the export zip')
    const first = await ok(service.url, 'POST', '/v1/ingest/streaming-history', zip)
    const afterFirst = memoryOf(service.pid)
    report.timing('import: 150,000 plays, 12 files (zip)', first.ms, importTargetMs)
    report.memory('import: service peak RSS (VmHWM after)', afterFirst.peak, importPeakRssTarget)
    checkImport(report, first.body, generated!)
    const stored = await tableRows(service, 'tracks_played')
    report.check('import: tracks_played rows in the lake', stored === first.body.inserted, thousands(stored), thousands(first.body.inserted))

    progress('importing the same zip again')
    const second = await ok(service.url, 'POST', '/v1/ingest/streaming-history', zip)
    report.timing('re-import: same zip', second.ms, importTargetMs)
    report.check('re-import: inserted / duplicates', second.body.inserted === 0 && second.body.duplicates === generated!.rows,
      `${second.body.inserted} / ${thousands(second.body.duplicates)}`, `0 / ${thousands(generated!.rows)}`)
    report.memory('re-import: service peak RSS (VmHWM after)', memoryOf(service.pid).peak, importPeakRssTarget)
  })
}

// 2. Spotify catalog calls per entity, per-id (Development Mode) and with ?ids= batch endpoints.

/** Two plays of every catalog track, as an export file with nothing but the track URI and names. */
function catalogExport (trackIds: string[]): Array<Record<string, unknown>> {
  const start = Date.UTC(2025, 0, 1)
  return trackIds.flatMap((trackId, n) => Array.from({ length: playsPerCatalogTrack }, (_, k) => exportEntry({
    ts: new Date(start + (n * playsPerCatalogTrack + k) * 600_000).toISOString().replace('.000Z', 'Z'),
    ms_played: 200_000,
    spotify_track_uri: `spotify:track:${trackId}`,
    master_metadata_track_name: `Song ${n}.0`,
    master_metadata_album_artist_name: `Artist ${n}`,
    master_metadata_album_album_name: `Album ${n}`,
  })))
}

async function measureSpotifyCalls (report: Report, batchEndpoints: boolean): Promise<void> {
  const mode = batchEndpoints ? 'batch' : 'per-id'
  const fake = await createFakeSpotify({ batchEndpoints })
  const catalog = seedCatalog(fake, { artists: catalogArtists, tracksPerArtist: 1, devMode: !batchEndpoints })
  try {
    await withService(report, `spotify-${mode}`, { env: spotifyEnv(fake.url) }, async (service) => {
      const entries = catalogExport(catalog.trackIds)
      const imported = await ok(service.url, 'POST', '/v1/ingest/streaming-history?file=Streaming_History_Audio_2025.json', { json: entries })
      report.check(`spotify ${mode}: plays imported`, imported.body.inserted === entries.length, String(imported.body.inserted), String(entries.length))
      for (const resource of resources) await enrichResource(report, fake, service, mode, resource, batchEndpoints)
      report.info(`spotify ${mode}: token requests (not catalog calls)`, String(fake.server.count('/api/token')))
    })
  } finally {
    await fake.close()
  }
}

async function enrichResource (report: Report, fake: FakeSpotify, service: Service, mode: string, resource: CatalogKind, batchEndpoints: boolean): Promise<void> {
  progress(`spotify ${mode}: enriching ${resource}`)
  const before = fake.catalogCalls(resource)
  const run = await runGranular(service.url, resource)
  const calls = fake.catalogCalls(resource) - before
  const ids = catalogArtists
  report.check(`spotify ${mode}: ${resource} planned / records / failures`,
    run.planned === ids && run.records === ids && run.failures === 0 && run.nonComplete === 0 && run.inserted === ids,
    `${run.planned} / ${run.records} / ${run.failures}, ${run.inserted} written`, `${ids} / ${ids} / 0, ${ids} written`)

  const perId = calls / Math.max(run.planned, 1)
  const size = batchSizes[resource]
  // Auto mode may spend one ?ids= probe per resource before it learns the app has no batch endpoints.
  const allowed = batchEndpoints ? Math.ceil(ids / size) : ids + 1
  const target = batchEndpoints ? `1/${size} = ${(1 / size).toFixed(3)}` : '1 per id (+1 probe)'
  report.compare(`spotify ${mode}: calls per ${resource.slice(0, -1)}`, `${perId.toFixed(3)} (${calls} calls / ${run.planned}, ${(run.ms / 1000).toFixed(1)} s)`, target, calls <= allowed)
  report.check(`spotify ${mode}: ${resource} fetch "calls" = fake's count`, run.reportedCalls === calls, String(run.reportedCalls), String(calls))
}

// 3. Plan latency on a lake of 1,000,000 plays and 20,000 artists.

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

async function timePlan (service: Service, resource: CatalogKind): Promise<{ ms: number, total: number }> {
  const answer = await ok(service.url, 'POST', `/v1/spotify/${resource}/plan`, { json: {} })
  return { ms: answer.ms, total: answer.body.total }
}

async function measurePlans (report: Report): Promise<void> {
  const fake = await createFakeSpotify({ batchEndpoints: true })
  let lake: LargeLake | undefined
  const prepare = async (dir: string): Promise<void> => {
    progress('building a lake of 1,000,000 plays')
    const started = Date.now()
    lake = await buildLargeLake(path.join(dir, 'data'))
    report.timing('plans: building the lake (DuckDB, in the bench)', Date.now() - started)
    report.check('plans: tracks_played rows', lake.plays === lakePlays, thousands(lake.plays), thousands(lakePlays))
  }
  try {
    await withService(report, 'plans', { env: spotifyEnv(fake.url), prepare }, async (service) => {
      progress('timing plans')
      const artistRuns: Array<{ ms: number, total: number }> = []
      for (let i = 0; i < planRuns; i++) artistRuns.push(await timePlan(service, 'artists'))
      const times = artistRuns.map((r) => r.ms)
      report.timing(`plans: artists plan, median of ${planRuns}`, median(times), planTargetMs)
      report.timing(`plans: artists plan, max of ${planRuns}`, Math.max(...times), planTargetMs)
      report.info('plans: artists plan runs', times.map((t) => ms(t)).join(', '))
      report.check('plans: artists plan keys', artistRuns.every((r) => r.total === lake!.expected.artists),
        [...new Set(artistRuns.map((r) => thousands(r.total)))].join(', '), thousands(lake!.expected.artists))
      for (const resource of ['tracks', 'albums'] as const) {
        const run = await timePlan(service, resource)
        report.timing(`plans: ${resource} plan`, run.ms, planTargetMs)
        report.check(`plans: ${resource} plan keys`, run.total === lake!.expected[resource], thousands(run.total), thousands(lake!.expected[resource]))
      }
      await measureWrites(report, service, lake!)
      report.check('plans: Spotify calls made by plans and writes', fake.catalogCalls() === 0, String(fake.catalogCalls()), '0')
      report.memory('plans: service peak RSS (VmHWM)', memoryOf(service.pid).peak)
    })
  } finally {
    await fake.close()
  }
}

async function measureWrites (report: Report, service: Service, lake: LargeLake): Promise<void> {
  const fetchedAt = new Date().toISOString()
  const artists = lake.unknownArtists.slice(0, writeRecords).map((id, n) => ({
    artist_id: id, artist_name: `Bench Artist ${n}`, genres: ['bench pop', `bench ${n % 5}`], popularity: 50, followers: 1000, image_url: null, fetched_at: fetchedAt,
  }))
  const artistWrite = await ok(service.url, 'POST', '/v1/spotify/artists/write', { json: { records: artists } })
  report.timing(`plans: artists write, ${artists.length} records`, artistWrite.ms)
  report.check('plans: artists written', artistWrite.body.records.inserted === writeRecords, String(artistWrite.body.records.inserted), String(writeRecords))

  // Not asked for by the targets: resolved tracks fill their plays, which rewrites all of tracks_played. Writes ask for
  // the fill and one runs after a burst of them; a read of the table waits for it.
  const tracks = lake.unresolvedTracks.slice(0, writeRecords).map((id, n) => ({
    track_id: id, track_name: `Bench Song ${n}`, artist_id: lake.unknownArtists[n]!, artist_name: `Bench Artist ${n}`, fetched_at: fetchedAt,
  }))
  const trackWrite = await ok(service.url, 'POST', '/v1/spotify/tracks/write', { json: { records: tracks } })
  report.timing(`plans: tracks write, ${tracks.length} records`, trackWrite.ms)
  const filled = await ok(service.url, 'GET', '/v1/tables/tracks_played?limit=1')
  report.timing('plans: until their plays are filled (a table read waits)', trackWrite.ms + filled.ms)
  const left = await ok(service.url, 'POST', '/v1/spotify/tracks/write', { json: { records: tracks } })
  report.check('plans: tracks written, plays to fill, then filled', trackWrite.body.records.inserted === writeRecords && trackWrite.body.records.playsToFill > 0 && left.body.records.playsToFill === 0,
    `${trackWrite.body.records.inserted}, ${thousands(trackWrite.body.records.playsToFill ?? 0)} plays, then ${left.body.records.playsToFill}`, `${writeRecords}, > 0 plays, then 0`)
}

// 4. Geography: 1,000 distinct places geocoded offline, and the service's memory through it.

const geocodeTargetMs = 2000
const geocodingPeakRssTarget = 200 * MB

async function measureGeography (report: Report): Promise<void> {
  let areas = 0
  const prepare = async (dir: string): Promise<void> => {
    progress(`seeding mbz_area_hierarchy with ${benchPlaces + 1} places`)
    areas = await buildGeographyLake(path.join(dir, 'data'), benchPlaces + 1)
  }
  await withService(report, 'geography', { prepare }, async (service) => {
    const base = await ok(service.url, 'POST', '/v1/geography/base', { json: {} })
    report.timing(`geography: base rules for ${thousands(areas)} areas`, base.ms)
    report.check('geography: areas done / without a country', base.body.processed === areas && base.body.withoutCountry === 0 && base.body.done,
      `${base.body.processed} / ${base.body.withoutCountry}`, `${areas} / 0`)
    report.memory('geography: service RSS before geocoding (VmRSS)', memoryOf(service.pid).rss)

    // Each plan reads the gazetteer once, in its first batch: a plan of one place pays the whole pass.
    progress('geocoding offline')
    const first = await runCities(service.url, { batchSize: 1, limit: 1 })
    report.timing('geography: a plan of 1 place (one pass over the gazetteer)', first.fetchMs[0]!)
    const run = await runCities(service.url, { batchSize: 500 })
    report.timing(`geography: ${thousands(run.planned)} places geocoded offline (plan, ${run.fetchMs.length} × fetch + write)`, run.ms, geocodeTargetMs)
    report.info('geography: the fetch calls', run.fetchMs.map((t) => ms(t)).join(', '))
    report.check('geography: planned / coordinates / misses', run.planned === benchPlaces && run.records + run.failures === benchPlaces && run.records >= benchPlaces * 0.97 && run.inserted === run.records,
      `${run.planned} / ${run.records} / ${run.failures}`, `${benchPlaces} / ≥ 97% / rest`)
    const after = memoryOf(service.pid)
    report.memory('geography: service RSS after geocoding (VmRSS)', after.rss)
    report.memory('geography: service peak RSS (VmHWM)', after.peak, geocodingPeakRssTarget)
    const again = await ok(service.url, 'POST', '/v1/geography/cities/plan', { json: {} })
    report.check('geography: a second plan', again.body.total === 0, String(again.body.total), '0')
  })
}

// 5. The MusicBrainz stage: 1,000 new artists (80% with a Spotify URL relation) from about 300 places, at 20/s.

async function measureMusicBrainzStage (report: Report): Promise<void> {
  progress('musicbrainz: seeding the fake (1,000 artists, 300 places) and the plays')
  const bench = await musicbrainzBench()
  try {
    await withService(report, 'musicbrainz', { env: bench.env, prepare: (dir) => bench.prepare(path.join(dir, 'data')) },
      (service) => measureMusicBrainz(report, bench, service, progress))
  } finally {
    await bench.fake.close()
  }
}

// 6. The warehouse on the same lake, with what the MusicBrainz and geography stages would add: Update MBIDs, then the
// build (bench/warehouse.ts has the measures).

async function measureWarehouse (report: Report): Promise<void> {
  let enrichment: { matched: number, countingPlays: number } | undefined
  const prepare = async (dir: string): Promise<void> => {
    progress('building a lake of 1,000,000 plays with MusicBrainz and geography rows')
    const lake = await buildLargeLake(path.join(dir, 'data'))
    enrichment = await addEnrichment(path.join(dir, 'data'))
    report.info('warehouse: lake', `${thousands(lake.plays)} plays (${thousands(enrichment.countingPlays)} that count), ${thousands(enrichment.matched)} artists matched to an MBID`)
  }
  await withService(report, 'warehouse', { env: { TRACKLAKE_TIMEZONE: 'Europe/Berlin' }, prepare }, (service) => measureWarehouseBuilds(report, service, enrichment!, progress))
}

const loadAtStart = os.loadavg()[0]!

/** The load average says whether other work on the machine shared the CPUs with the bench. */
function machine (): string {
  const cpus = os.cpus()
  const load = `load average (1 min) ${loadAtStart.toFixed(2)} at start, ${os.loadavg()[0]!.toFixed(2)} at end`
  return `machine: ${cpus[0]?.model ?? 'unknown cpu'} × ${cpus.length}, ${mb(os.totalmem())} RAM, ${os.type()} ${os.release()}, node ${process.version}, ${load}`
}

const sections = ['import', 'spotify', 'plans', 'geography', 'musicbrainz', 'warehouse']
const args = process.argv.slice(2).filter((arg) => arg !== '--only')
const small = args.includes('--small')
// The full world's granular steps take hours on a busy 2-core machine (60,000 tracks in batches of 50, 40,000 albums
// in batches of 20): each stops at this many seconds unless `--step-seconds=0`; its row says how far it got.
const stepSecondsArg = args.find((arg) => arg.startsWith('--step-seconds='))
const stepSeconds = stepSecondsArg ? Number(stepSecondsArg.split('=')[1]) : small ? 0 : 180
if (!Number.isFinite(stepSeconds) || stepSeconds < 0) {
  console.error(`--step-seconds takes a number of seconds (0: no time box), got ${stepSecondsArg}`)
  process.exit(2)
}
const only = new Set(args.filter((arg) => !arg.startsWith('--')))
const unknown = [...only].filter((name) => name !== 'daily' && !sections.includes(name))
if (unknown.length > 0) {
  console.error(`unknown section ${unknown.join(', ')}: the sections are daily (the default), ${sections.join(', ')}; --small for a small daily run`)
  process.exit(2)
}
const wanted = (name: string): boolean => only.has(name)
const daily = only.size === 0 || only.has('daily')

progress('building dist/ (the service runs as in production)')
await buildProduction()
let failed = false
if (daily) {
  const resultsFile = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'bench', small ? 'results-small.json' : 'results.json')
  const run = await runDailyBench({ small, resultsFile, progress, ...(stepSeconds > 0 ? { stepSeconds } : {}) })
  console.log(`\n${run.table}\n`)
  console.log(`written: ${path.relative(process.cwd(), resultsFile)}`)
  if (run.logs.length > 0) serviceLogs.push({ name: 'daily', lines: run.logs })
  failed ||= run.failed
}
const report = createReport()
if (wanted('import')) await measureImport(report)
if (wanted('spotify')) {
  await measureSpotifyCalls(report, false)
  await measureSpotifyCalls(report, true)
}
if (wanted('plans')) await measurePlans(report)
if (wanted('geography')) await measureGeography(report)
if (wanted('musicbrainz')) await measureMusicBrainzStage(report)
if (wanted('warehouse')) await measureWarehouse(report)

if (report.rows.length > 0) {
  console.log(`\n${formatTable(report.rows)}\n`)
  console.log(machine())
}
for (const { name, lines } of serviceLogs) {
  console.log(`service log (${name}, warn and above): ${lines.length} line(s)`)
  for (const line of lines.slice(0, logLinesShown)) console.log(`  ${line}`)
}
process.exitCode = failed || report.failed() ? 1 : 0
