import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import pino from 'pino'
import { catalog } from '../../src/catalog.ts'
import { httpCaller, type RouteCaller } from '../../src/daily/route-caller.ts'
import { runStep, stoppedSummary, type StepSummary } from '../../src/daily/step-runner.ts'
import { dailyChain, findStep, type StepDescriptor } from '../../src/daily/steps.ts'
import { createLake } from '../../src/lake/lake.ts'
import { mbzAreaHierarchy } from '../../src/stages/musicbrainz/tables.ts'
import { spotifyEnv } from '../../test/helpers/build-app.ts'
import { ok } from '../lib/http.ts'
import { cpuMs, peakBytes, resetPeak, residentBytes, sampleRss, type RssSampler } from '../lib/process-stats.ts'
import { makeTempDir, startService, type Service } from '../lib/service.ts'
import { formatDailyTable, machineLine, writeResults, type Check, type DailyResults, type DailyRow } from './daily-table.ts'
import { createLakeReader, importFloor, planFloorSql, type LakeReader } from './floors.ts'
import { createWorld, fullWorld, smallWorld, type World } from './world.ts'
import { ignoredExportFiles, worldExport, type WorldExport } from './world-export.ts'
import { benchReports, reportLabel, reportTargetMs, type ReportTiming } from './reports.ts'
import { spotifyWindow, worldMusicBrainz, worldOpenWeather, worldSpotify, type MusicBrainzFake, type SpotifyFake } from './world-fakes.ts'

/**
 * `npm run bench`: the whole Daily ETL at full scale on one generated world (bench/world.ts), through the production
 * service, against fakes held to the real services' rate rules. The import of the world's export, then every step of
 * the chain (src/daily/steps.ts) driven by the step runner over HTTP, each granular step's plan timed on its own; one
 * table, with each measure's floor from the same run; bench/results.json. Timings and memory are reported against
 * their targets; only a failed correctness check fails the run.
 */
const MB = 1024 * 1024
const targets = {
  importVsFloor: 3,
  peakRss: 200 * MB,
  planMs: 300,
  warehouseSeconds: 30,
  matchingCallsPerArtist: 0.1,
}
const planRuns = 5
const floorRuns = 3
/** The fake's tolerance for early requests: a loaded machine's jitter (bench/musicbrainz.ts explains it). */
const musicbrainzToleranceMs = 250

export interface DailyBenchOptions {
  small: boolean
  /**
   * A time box for each granular step's batches, in seconds: the step stops there and its row says how far it got
   * and how long all of it would take at that pace. Steps after it work on what it wrote. Undefined: every step runs
   * to its end.
   */
  stepSeconds?: number
  resultsFile: string
  progress: (message: string) => void
}

interface Measured<T> {
  result: T
  wallSeconds: number
  cpuSeconds: number
  peakRssBytes: number
  /** the highest peak of a child process of the service meanwhile (0: none) */
  childPeakRssBytes: number
}

const thousands = (n: number): string => n.toLocaleString('en-US')
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Wall time, service CPU time and the service's peak RSS of one piece of work. */
function measurer (pid: number, sampler: RssSampler) {
  let runPeak = 0
  let runChildPeak = 0
  /** VmRSS as each measured piece of work began: what the service carries from step to step */
  const atStart: number[] = []
  return {
    get runPeak () { return runPeak },
    get runChildPeak () { return runChildPeak },
    atStart,
    async measure<T> (fn: () => Promise<T>): Promise<Measured<T>> {
      atStart.push(residentBytes(pid))
      const reset = resetPeak(pid)
      sampler.take()
      sampler.takeChildren()
      const cpu = cpuMs(pid)
      const started = performance.now()
      const result = await fn()
      const wallSeconds = (performance.now() - started) / 1000
      // Without a reset VmHWM is the peak of the whole life: the samples are the fallback.
      const peakRssBytes = reset ? Math.max(peakBytes(pid), sampler.take()) : sampler.take()
      const childPeakRssBytes = sampler.takeChildren()
      runPeak = Math.max(runPeak, peakRssBytes)
      runChildPeak = Math.max(runChildPeak, childPeakRssBytes)
      return { result, wallSeconds, cpuSeconds: (cpuMs(pid) - cpu) / 1000, peakRssBytes, childPeakRssBytes }
    },
  }
}

/** The route caller of the step runner, over HTTP, keeping each route's last answer and the time of each call. */
function recordingCaller (baseUrl: string): { call: RouteCaller, answers: Map<string, unknown>, calls: Array<{ url: string, ms: number }> } {
  const http = httpCaller(baseUrl, undefined)
  const answers = new Map<string, unknown>()
  const calls: Array<{ url: string, ms: number }> = []
  return {
    answers,
    calls,
    async call (method, url, body) {
      const started = performance.now()
      const answer = await http(method, url, body)
      calls.push({ url, ms: performance.now() - started })
      answers.set(url, answer.body)
      return answer
    },
  }
}

interface RunContext {
  world: World
  exported: WorldExport
  service: Service
  spotify: SpotifyFake
  musicbrainz: MusicBrainzFake
  musicbrainzRate: number
  reader: LakeReader
  rows: DailyRow[]
  checks: Check[]
  progress: (message: string) => void
  workDir: string
  stepSeconds: number | undefined
  /** true once a step stopped at its time box: the checks that need the whole world ask for what was written */
  partial: boolean
}

function check (ctx: RunContext, what: string, okay: boolean, value: string, expected: string): void {
  ctx.checks.push({ what, ok: okay, value, expected })
}

async function count (reader: LakeReader, sql: string): Promise<number> {
  const [row] = await reader.query(sql)
  return Number(Object.values(row ?? {})[0] ?? 0)
}

async function measureImport (ctx: RunContext, m: ReturnType<typeof measurer>): Promise<number> {
  const { exported } = ctx
  ctx.progress('import: DuckDB alone reading the JSON files into parquet (the floor)')
  const floorBefore = await importFloor(exported.jsonFiles, ctx.workDir)
  ctx.progress(`import: ${thousands(exported.entries)} entries in ${exported.jsonFiles.length} files (zip ${Math.round(exported.zipBytes / MB)} MB) through the service`)
  const run = await m.measure(() => ok(ctx.service.url, 'POST', '/v1/ingest/streaming-history', { file: exported.zipFile, contentType: 'application/zip' }))
  ctx.progress('import: the floor again')
  const floorAfter = await importFloor(exported.jsonFiles, ctx.workDir)
  const body = run.result.body
  const floorSeconds = (floorBefore + floorAfter) / 2 / 1000
  const ratio = run.wallSeconds / floorSeconds
  ctx.rows.push({
    step: 'import (zip, POST /v1/ingest/streaming-history)',
    items: exported.rows,
    wallSeconds: run.wallSeconds,
    cpuSeconds: run.cpuSeconds,
    upstreamCalls: null,
    rateUse: null,
    peakRssBytes: run.peakRssBytes,
    ...run.childPeakRssBytes > 0 ? { childPeakRssBytes: run.childPeakRssBytes } : {},
    floor: { what: 'DuckDB read_json → parquet', seconds: floorSeconds },
    target: `≤ ${targets.importVsFloor}× floor, < 200 MB`,
    verdict: ratio <= targets.importVsFloor && run.peakRssBytes < targets.peakRss && run.childPeakRssBytes < targets.peakRss ? 'ok' : 'over target',
    note: `floor ${(floorBefore / 1000).toFixed(1)} s before the import, ${(floorAfter / 1000).toFixed(1)} s after; ${exported.jsonFiles.length} files, ${Math.round(exported.jsonBytes / MB)} MB of JSON`,
  })
  check(ctx, 'import: files / ignored files', body.files === exported.jsonFiles.length && body.ignoredFiles?.length === ignoredExportFiles,
    `${body.files} / ${body.ignoredFiles?.length}`, `${exported.jsonFiles.length} / ${ignoredExportFiles}`)
  const got = `${thousands(body.rows)} rows, ${thousands(body.skipped)} skipped, ${thousands(body.shortPlays)} short`
  const want = `${thousands(exported.rows)} rows, ${thousands(exported.podcasts)} skipped, ${thousands(exported.shortPlays)} short`
  check(ctx, 'import: rows / skipped / short plays', got === want, got, want)
  check(ctx, 'import: inserted / duplicates', body.inserted === exported.rows - exported.repeats && body.duplicates === exported.repeats,
    `${thousands(body.inserted)} / ${thousands(body.duplicates)}`, `${thousands(exported.rows - exported.repeats)} / ${thousands(exported.repeats)}`)
  const stored = await count(ctx.reader, 'SELECT count(*) FROM tracks_played')
  check(ctx, 'import: tracks_played rows', stored === exported.rows - exported.repeats, thousands(stored), thousands(exported.rows - exported.repeats))
  return ratio
}

/** A granular step's plan, called `planRuns` times before the step runs it, beside the bare query. */
async function measurePlan (ctx: RunContext, m: ReturnType<typeof measurer>, step: StepDescriptor): Promise<{ medianMs: number, maxMs: number }> {
  const times: number[] = []
  const cpu: number[] = []
  let total = 0
  const run = await m.measure(async () => {
    for (let i = 0; i < planRuns; i++) {
      const before = cpuMs(ctx.service.pid)
      const answer = await ok(ctx.service.url, 'POST', `${step.path}/plan`, { json: {} })
      cpu.push(cpuMs(ctx.service.pid) - before)
      times.push(answer.ms)
      total = answer.body.total
    }
  })
  const floorSql = planFloorSql(step.name)
  const floor = floorSql ? await ctx.reader.time(floorSql, floorRuns) : undefined
  const medianMs = median(times)
  const maxMs = Math.max(...times)
  ctx.rows.push({
    step: `  plan ${step.name} (median of ${planRuns})`,
    items: total,
    wallSeconds: medianMs / 1000,
    cpuSeconds: median(cpu) / 1000,
    upstreamCalls: null,
    rateUse: null,
    peakRssBytes: run.peakRssBytes,
    ...(floor ? { floor: { what: 'bare query', seconds: median(floor.ms) / 1000 } } : {}),
    target: `< ${targets.planMs} ms`,
    verdict: medianMs < targets.planMs ? 'ok' : 'over target',
    note: `plans ${times.map((t) => Math.round(t)).join(', ')} ms (service CPU ${cpu.join(', ')} ms); bare query ${floor?.ms.map((t) => Math.round(t)).join(', ') ?? '-'} ms`,
  })
  if (floor) check(ctx, `plan ${step.name}: keys = the bare query's`, floor.rows === total, thousands(total), thousands(floor.rows))
  return { medianMs, maxMs }
}

interface StepRun {
  summary: StepSummary
  /** stopped at the time box */
  boxed: boolean
  measured: Measured<unknown>
  spotifyCalls: number
  musicbrainzCalls: number
}

async function runChainStep (ctx: RunContext, m: ReturnType<typeof measurer>, step: StepDescriptor, caller: ReturnType<typeof recordingCaller>): Promise<StepRun> {
  const spotifyBefore = ctx.spotify.calls()
  const musicbrainzBefore = ctx.musicbrainz.fake.calls()
  let lastProgress = 0
  let boxed = false
  const boxEnds = ctx.stepSeconds !== undefined && step.kind === 'granular' ? performance.now() + ctx.stepSeconds * 1000 : Infinity
  const measured = await m.measure(async () => {
    const result = await runStep(step, {
      call: caller.call,
      shouldStop: () => performance.now() > boxEnds,
      onProgress: (event) => {
        if (Date.now() - lastProgress < 15_000) return
        lastProgress = Date.now()
        ctx.progress(`${step.name}: ${thousands(event.done)} of ${thousands(event.total)}`)
      },
    })
    // Resolved tracks fill their plays in the background; a table read waits for it. It is this step's work.
    if (step.name === 'spotify-tracks') await ok(ctx.service.url, 'GET', '/v1/tables/tracks_played?limit=1')
    if (result.kind === 'finished') return result.summary
    boxed = true
    return stoppedSummary(step, result.cursor)
  })
  if (boxed) ctx.partial = true
  return {
    summary: measured.result,
    boxed,
    measured,
    spotifyCalls: ctx.spotify.calls() - spotifyBefore,
    musicbrainzCalls: ctx.musicbrainz.fake.calls() - musicbrainzBefore,
  }
}

function stepRow (ctx: RunContext, step: StepDescriptor, run: StepRun, extra: Partial<DailyRow> = {}): DailyRow {
  const spotify = step.name.startsWith('spotify-')
  const musicbrainz = step.name.startsWith('musicbrainz-') && step.name !== 'musicbrainz-update-mbids'
  const calls = spotify ? run.spotifyCalls : musicbrainz ? run.musicbrainzCalls : null
  const perSecond = spotify ? spotifyWindow.limit / (spotifyWindow.windowMs / 1000) : ctx.musicbrainzRate
  return {
    step: step.name,
    items: run.summary.processed,
    wallSeconds: run.measured.wallSeconds,
    cpuSeconds: run.measured.cpuSeconds,
    upstreamCalls: calls,
    rateUse: calls === null || calls === 0 ? null : calls / (run.measured.wallSeconds * perSecond),
    peakRssBytes: run.measured.peakRssBytes,
    ...run.measured.childPeakRssBytes > 0 ? { childPeakRssBytes: run.measured.childPeakRssBytes } : {},
    verdict: run.summary.status === 'failed' ? 'FAIL' : 'info',
    ...extra,
    ...(run.boxed ? { note: boxedNote(ctx, run, extra.note) } : {}),
  }
}

function boxedNote (ctx: RunContext, run: StepRun, note: string | undefined): string {
  const { processed, total } = run.summary
  const allSeconds = processed > 0 ? run.measured.wallSeconds * total / processed : Infinity
  const all = allSeconds >= 120 ? `${Math.round(allSeconds / 60)} min` : `${Math.round(allSeconds)} s`
  return `time box ${ctx.stepSeconds} s: ${thousands(processed)} of ${thousands(total)} planned; all of them at this pace ~${all}` + (note ? `; ${note}` : '')
}

async function runChain (ctx: RunContext, m: ReturnType<typeof measurer>): Promise<{ plans: Array<{ step: string, medianMs: number, maxMs: number }>, warehouse?: { seconds: number, childPeak: number }, stage: { wall: number, calls: number, matchingCalls: number, areaCalls: number, artists: number, areasFetched: number } }> {
  const { world, musicbrainz } = ctx
  const caller = recordingCaller(ctx.service.url)
  const plans: Array<{ step: string, medianMs: number, maxMs: number }> = []
  const stage = { wall: 0, calls: 0, matchingCalls: 0, areaCalls: 0, artists: 0, areasFetched: 0 }
  let warehouse: { seconds: number, childPeak: number } | undefined
  const expectedTotals: Record<string, number> = {
    'spotify-tracks': world.tracks.length,
    'spotify-artists': world.artists.length,
    'spotify-albums': world.albums.length,
    'musicbrainz-artists': world.artists.length,
  }
  for (const step of dailyChain) {
    if (step.kind === 'granular') {
      ctx.progress(`${step.name}: timing its plan`)
      plans.push({ step: step.name, ...await measurePlan(ctx, m, step) })
    }
    ctx.progress(`${step.name}: running`)
    const mbBefore = { url: musicbrainz.fake.calls('url'), recording: musicbrainz.fake.calls('recording'), artist: musicbrainz.fake.calls('artist'), genre: musicbrainz.fake.calls('genre'), area: musicbrainz.fake.calls('area') }
    // A step after a time-boxed one plans what that one wrote, not the whole world.
    const afterTimeBox = ctx.partial
    const run = await runChainStep(ctx, m, step, caller)
    const { summary } = run
    const extra: Partial<DailyRow> = {}
    const statusOk = summary.status === 'done' || summary.status === 'nothing_to_do' || (run.boxed && summary.failedBatches === 0)
    check(ctx, `${step.name}: status`, statusOk, summary.status + (summary.message ? ` (${summary.message})` : ''), run.boxed ? 'stopped at the time box, no failed batch' : 'done')
    const expected = afterTimeBox ? undefined : expectedTotals[step.name]
    if (expected !== undefined) {
      const handledOk = run.boxed ? summary.processed > 0 : summary.processed === expected
      check(ctx, `${step.name}: planned / handled`, summary.total === expected && handledOk, `${thousands(summary.total)} / ${thousands(summary.processed)}`, `${thousands(expected)} / ${run.boxed ? '> 0 (time box)' : thousands(expected)}`)
    } else if (run.boxed) {
      check(ctx, `${step.name}: handled`, summary.processed > 0, `${thousands(summary.processed)} of ${thousands(summary.total)}`, '> 0 (time box)')
    }
    if (step.name.startsWith('musicbrainz-') && step.name !== 'musicbrainz-update-mbids') {
      stage.wall += run.measured.wallSeconds
      stage.calls += run.musicbrainzCalls
      stage.matchingCalls += ['url', 'recording', 'artist', 'genre'].reduce((sum, e) => sum + musicbrainz.fake.calls(e as 'url') - mbBefore[e as 'url'], 0)
      stage.areaCalls += musicbrainz.fake.calls('area') - mbBefore.area
      if (step.name === 'musicbrainz-artists') stage.artists = summary.processed
    }
    switch (step.name) {
      case 'spotify-tracks': {
        const unfilled = await count(ctx.reader, 'SELECT count(*) FROM tracks_played p JOIN spotify_tracks t ON t.track_id = p.track_id WHERE p.artist_id IS NULL')
        check(ctx, 'spotify-tracks: plays left without artist after the fill', unfilled === 0, thousands(unfilled), '0')
        extra.note = 'includes filling the plays of the resolved tracks (a table read waits for it)'
        break
      }
      case 'musicbrainz-discover': {
        const answer = caller.answers.get(step.path) as { new?: number } | undefined
        if (ctx.partial) check(ctx, 'musicbrainz-discover: new artists', (answer?.new ?? 0) > 0, String(answer?.new), '> 0 (after a time box)')
        else check(ctx, 'musicbrainz-discover: new artists', answer?.new === world.artists.length, String(answer?.new), thousands(world.artists.length))
        break
      }
      case 'musicbrainz-artists': {
        const matched = await count(ctx.reader, 'SELECT count(*) FROM mbz_artist_match WHERE mbid IS NOT NULL')
        const missed = await count(ctx.reader, "SELECT count(*) FROM enrichment_failures WHERE stage = 'musicbrainz' AND resource = 'artists'")
        const unknown = world.artists.length - musicbrainz.known
        if (ctx.partial) check(ctx, 'musicbrainz-artists: matched + missed = handled', matched + missed === summary.processed, `${thousands(matched)} + ${thousands(missed)}`, thousands(summary.processed))
        else check(ctx, 'musicbrainz-artists: matched / missed', matched === musicbrainz.known && missed === unknown, `${thousands(matched)} / ${thousands(missed)}`, `${thousands(musicbrainz.known)} / ${thousands(unknown)}`)
        break
      }
      case 'musicbrainz-hierarchy': {
        const rows = await count(ctx.reader, 'SELECT count(*) FROM mbz_area_hierarchy')
        if (ctx.partial) check(ctx, 'musicbrainz-hierarchy: rows', rows > 0, thousands(rows), '> 0 (after a time box)')
        else check(ctx, 'musicbrainz-hierarchy: rows (the artists\' own areas)', rows === musicbrainz.ownAreas.size, thousands(rows), thousands(musicbrainz.ownAreas.size))
        stage.areasFetched = new Set(musicbrainz.fake.server.requests.filter((r) => r.path.startsWith('/ws/2/area/')).map((r) => r.path.split('?')[0])).size
        break
      }
      case 'geography-cities': {
        const geocoded = await count(ctx.reader, 'SELECT count(*) FROM cities_with_lat_long WHERE lat IS NOT NULL')
        check(ctx, 'geography-cities: places geocoded (GeoNames offline)', geocoded >= summary.total * 0.97, `${thousands(geocoded)} of ${thousands(summary.total)}`, '≥ 97%')
        extra.note = 'GeoNames offline (GEOCODER=geonames, the default); OpenWeather is measured on its own below'
        break
      }
      case 'musicbrainz-update-mbids': {
        const withMbid = await count(ctx.reader, 'SELECT count(*) FROM spotify_artists WHERE artist_mbid IS NOT NULL')
        const matched = ctx.partial ? await count(ctx.reader, 'SELECT count(*) FROM mbz_artist_match WHERE mbid IS NOT NULL') : musicbrainz.known
        check(ctx, 'musicbrainz-update-mbids: Spotify artists with an MBID', withMbid === matched, thousands(withMbid), thousands(matched))
        break
      }
      case 'warehouse-build': {
        const answer = caller.answers.get(step.path) as { peakRssBytes?: number, tests?: { passed: number, failed: number }, models?: Array<{ name: string, rows: number | null }> } | undefined
        const counting = await count(ctx.reader, 'SELECT count(*) FROM tracks_played WHERE counts_as_play')
        const facts = answer?.models?.find((model) => model.name === 'fact_track_played')?.rows
        check(ctx, 'warehouse-build: model tests passed / failed', (answer?.tests?.failed ?? 1) === 0 && (answer?.tests?.passed ?? 0) > 0, `${answer?.tests?.passed} / ${answer?.tests?.failed}`, '> 0 / 0')
        check(ctx, 'warehouse-build: fact_track_played rows = plays that count', facts === counting, String(facts), thousands(counting))
        warehouse = { seconds: run.measured.wallSeconds, childPeak: answer?.peakRssBytes ?? 0 }
        extra.childPeakRssBytes = answer?.peakRssBytes
        extra.target = `< ${targets.warehouseSeconds} s, build process < 200 MB`
        extra.verdict = run.measured.wallSeconds < targets.warehouseSeconds && (answer?.peakRssBytes ?? Infinity) < targets.peakRss ? 'ok' : 'over target'
        break
      }
    }
    ctx.rows.push(stepRow(ctx, step, run, extra))
  }
  return { plans, warehouse, stage }
}

/** Issue 14: every query the reports page sends, on the warehouse the chain just built (the median of `runs` each). */
async function measureReportQueries (ctx: RunContext, runs: number): Promise<ReportTiming[]> {
  ctx.progress('reports: timing the queries the page sends')
  resetPeak(ctx.service.pid)
  const started = performance.now()
  const timings = await benchReports(ctx.service.url, { runs })
  ctx.rows.push({
    step: '  reports: every query the page sends',
    items: timings.length,
    wallSeconds: (performance.now() - started) / 1000,
    cpuSeconds: null,
    upstreamCalls: null,
    rateUse: null,
    peakRssBytes: peakBytes(ctx.service.pid),
    verdict: 'info',
    note: `${timings.length} queries, ${runs + 1} calls each, one after another; the peak is the service's while it answered them`,
  })
  for (const t of timings) {
    ctx.rows.push({
      step: `  report ${reportLabel(t.query)}`,
      items: null,
      wallSeconds: t.medianMs / 1000,
      cpuSeconds: null,
      upstreamCalls: null,
      rateUse: null,
      peakRssBytes: null,
      target: `< ${reportTargetMs} ms`,
      verdict: t.medianMs < reportTargetMs ? 'ok' : 'over target',
      note: `median of ${t.runs}: ${Math.round(t.minMs)}–${Math.round(t.maxMs)} ms`,
    })
  }
  return timings
}

/**
 * Geocoding through OpenWeather at its real rule (60 calls a minute): a separate, small measure, since the world's
 * places would take the chain most of an hour at that rate. Its own service and lake, seeded with places the fake
 * knows; geography base, then the cities step.
 */
async function measureOpenWeather (world: World, places: number, rows: DailyRow[], checks: Check[], progress: (message: string) => void): Promise<void> {
  const chosen = world.places.slice(0, places)
  const openWeather = await worldOpenWeather(chosen)
  const dir = await makeTempDir('daily-openweather')
  let service: Service | undefined
  try {
    const lake = await createLake({ dataDir: path.join(dir, 'data'), log: pino({ level: 'silent' }), tables: catalog })
    await lake.merge(mbzAreaHierarchy, chosen.map((p, n) => ({
      area_id: `00000000-0000-4000-8000-${String(n + 1).padStart(12, '0')}`,
      area_type: 'City',
      area_name: p.name,
      city: p.name,
      country_code: p.countryCode,
      subdivision_code: p.countryCode === 'US' ? `US-${p.admin1}` : null,
    })))
    await lake.close()
    service = await startService(path.join(dir, 'data'), { GEOCODER: 'openweather', OPENWEATHER_API_KEY: openWeather.fake.apiKey, OPENWEATHER_URL: openWeather.fake.url })
    const call = httpCaller(service.url, undefined)
    await runStep(findStep('geography-base')!, { call })
    progress(`geography-cities through OpenWeather: ${chosen.length} places at ${60} calls a minute`)
    const sampler = sampleRss(service.pid)
    const m = measurer(service.pid, sampler)
    const run = await m.measure(() => runStep(findStep('geography-cities')!, { call }))
    sampler.stop()
    const summary = run.result.kind === 'finished' ? run.result.summary : undefined
    const calls = openWeather.fake.geocodingCalls()
    rows.push({
      step: 'geography-cities (OpenWeather, own lake)',
      items: summary?.processed ?? 0,
      wallSeconds: run.wallSeconds,
      cpuSeconds: run.cpuSeconds,
      upstreamCalls: calls,
      rateUse: calls / (run.wallSeconds * openWeather.gate.perSecond),
      peakRssBytes: run.peakRssBytes,
      floor: { what: 'calls ÷ rate', seconds: calls / openWeather.gate.perSecond },
      verdict: 'info',
      note: `${openWeather.gate.refused} answers 429 (the fake's 60 a minute)`,
    })
    checks.push({ what: 'OpenWeather: planned / handled', ok: summary?.status === 'done' && summary.processed === chosen.length, value: `${summary?.status}, ${summary?.processed}`, expected: `done, ${chosen.length}` })
    checks.push({ what: 'OpenWeather: 429s', ok: openWeather.gate.refused === 0, value: String(openWeather.gate.refused), expected: '0' })
  } finally {
    await service?.stop()
    await openWeather.fake.close()
    await fs.rm(dir, { recursive: true, force: true })
  }
}

export async function runDailyBench (options: DailyBenchOptions): Promise<{ failed: boolean, table: string, logs: string[] }> {
  const loadAtStart = os.loadavg()[0]!
  const { progress } = options
  const params = options.small ? smallWorld : fullWorld
  const musicbrainzRate = options.small ? 50 : 20
  progress(`world: ${thousands(params.plays)} plays over ${params.years} years, ${thousands(params.artists)} artists, ${thousands(params.albums)} albums, ${thousands(params.tracks)} tracks, ${thousands(params.areas)} areas`)
  const world = await createWorld(params)
  const exported = await worldExport(world, progress)
  progress('seeding the fakes (Spotify, MusicBrainz)')
  const spotify = await worldSpotify(world)
  const musicbrainz = await worldMusicBrainz(world, { ratePerSec: musicbrainzRate, toleranceMs: musicbrainzToleranceMs })
  const workDir = await makeTempDir('daily')
  const rows: DailyRow[] = []
  const checks: Check[] = []
  let service: Service | undefined
  let reader: LakeReader | undefined
  let chain: Awaited<ReturnType<typeof runChain>> | undefined
  let ctx: RunContext | undefined
  let importRatio = Number.NaN
  let reports: ReportTiming[] = []
  let runPeak = 0
  const logs: string[] = []
  try {
    service = await startService(path.join(workDir, 'data'), {
      ...spotifyEnv(spotify.fake.url),
      SPOTIFY_BATCH_ENDPOINTS: 'on',
      MUSICBRAINZ_URL: musicbrainz.fake.url,
      MUSICBRAINZ_CONTACT: 'bench@tracklake.invalid',
      MUSICBRAINZ_RATE_PER_SEC: String(musicbrainzRate),
      TRACKLAKE_TIMEZONE: 'Europe/Berlin',
    })
    reader = await createLakeReader(path.join(workDir, 'data', 'lake'))
    const sampler = sampleRss(service.pid)
    const m = measurer(service.pid, sampler)
    const idle = residentBytes(service.pid)
    ctx = { world, exported, service, spotify, musicbrainz, musicbrainzRate, reader, rows, checks, progress, workDir, stepSeconds: options.stepSeconds, partial: false }
    try {
      importRatio = await measureImport(ctx, m)
      chain = await runChain(ctx, m)
      // The Daily ETL's peak; the reports are read afterwards and have their own row.
      runPeak = Math.max(m.runPeak, peakBytes(service.pid))
      if (chain.warehouse) reports = await measureReportQueries(ctx, options.small ? 3 : 7)
    } catch (err) {
      checks.push({ what: 'the run', ok: false, value: err instanceof Error ? err.message.split('\n')[0]!.slice(0, 300) : String(err), expected: 'completes' })
    }
    sampler.stop()
    if (runPeak === 0) runPeak = Math.max(m.runPeak, peakBytes(service.pid))
    const stage = chain?.stage
    if (stage) {
      const ideal = stage.calls / musicbrainzRate
      rows.push({
        step: 'musicbrainz stage (discover, artists, parse, hierarchy)',
        items: stage.artists,
        wallSeconds: stage.wall,
        cpuSeconds: null,
        upstreamCalls: stage.calls,
        rateUse: stage.calls / (stage.wall * musicbrainzRate),
        peakRssBytes: null,
        floor: { what: 'calls ÷ rate', seconds: ideal },
        verdict: 'info',
        note: `MusicBrainz and MUSICBRAINZ_RATE_PER_SEC at ${musicbrainzRate}/s; at MusicBrainz's own 1/s the calls alone take ${Math.round(stage.calls / 60)} min`,
      })
    }
    rows.push({
      step: 'whole run (import + chain + plans)',
      items: null,
      wallSeconds: rows.filter((r) => !r.step.startsWith('  ') && !r.step.startsWith('musicbrainz stage')).reduce((sum, r) => sum + r.wallSeconds, 0),
      cpuSeconds: null,
      upstreamCalls: null,
      rateUse: null,
      peakRssBytes: runPeak,
      childPeakRssBytes: Math.max(chain?.warehouse?.childPeak ?? 0, m.runChildPeak) || undefined,
      target: '< 200 MB',
      verdict: runPeak < targets.peakRss ? 'ok' : 'over target',
      note: `service RSS at rest after start ${Math.round(idle / MB)} MB, as each measured step began ${m.atStart.map((b) => Math.round(b / MB)).join(', ')} MB; its child processes (the export's unpacking, the warehouse build) are counted beside it`,
    })
  } finally {
    reader?.close()
    await service?.stop()
    logs.push(...(service?.logs ?? []))
    await spotify.fake.close()
    await musicbrainz.fake.close()
    await fs.rm(workDir, { recursive: true, force: true })
  }
  await measureOpenWeather(world, options.small ? 3 : 60, rows, checks, progress)

  const stage = chain?.stage
  const newArtists = stage?.artists ?? 0
  const plans = chain?.plans ?? []
  const slowest = plans.reduce((worst, p) => (p.medianMs > (worst?.medianMs ?? -1) ? p : worst), undefined as (typeof plans)[number] | undefined)
  const verdict = (okay: boolean): DailyRow['verdict'] => okay ? 'ok' : 'over target'
  const importRow = rows.find((r) => r.step.startsWith('import'))
  const slowestReport = reports.reduce((worst, r) => (r.medianMs > (worst?.medianMs ?? -1) ? r : worst), undefined as ReportTiming | undefined)
  const results: DailyResults = {
    machine: '',
    loadAverage: { start: loadAtStart, end: 0 },
    world: { ...params, stepSeconds: options.stepSeconds ?? null, placesUsed: world.places.length, areasInWorld: world.areaCount, musicbrainzRatePerSec: musicbrainzRate, spotifyWindow },
    rows,
    checks,
    targets: [
      { target: `import ≤ ${targets.importVsFloor}× DuckDB alone`, value: `${importRatio.toFixed(2)}×`, verdict: verdict(importRatio <= targets.importVsFloor) },
      { target: 'import peak RSS < 200 MB (the service, and its unpacking process)', value: `${Math.round((importRow?.peakRssBytes ?? 0) / MB)} MB, ${Math.round((importRow?.childPeakRssBytes ?? 0) / MB)} MB`, verdict: verdict(Math.max(importRow?.peakRssBytes ?? Infinity, importRow?.childPeakRssBytes ?? 0) < targets.peakRss) },
      { target: `every plan < ${targets.planMs} ms (median of ${planRuns})`, value: plans.map((p) => `${p.step} ${Math.round(p.medianMs)} (max ${Math.round(p.maxMs)})`).join(', ') + ' ms', verdict: verdict(plans.length > 0 && (slowest?.medianMs ?? Infinity) < targets.planMs) },
      { target: `warehouse build < ${targets.warehouseSeconds} s`, value: chain?.warehouse ? `${chain.warehouse.seconds.toFixed(1)} s` : '-', verdict: verdict((chain?.warehouse?.seconds ?? Infinity) < targets.warehouseSeconds) },
      { target: `every report query < ${reportTargetMs} ms (median)`, value: reports.length > 0 ? `slowest ${Math.round(slowestReport?.medianMs ?? 0)} ms (${reportLabel(slowestReport?.query ?? '')})` : '-', verdict: verdict(reports.length > 0 && (slowestReport?.medianMs ?? Infinity) < reportTargetMs) },
      { target: `MusicBrainz ≤ ${targets.matchingCallsPerArtist} calls per new artist for matching, details, genres`, value: stage ? `${(stage.matchingCalls / newArtists).toFixed(3)} (${stage.matchingCalls} / ${thousands(newArtists)})` : '-', verdict: verdict(stage !== undefined && newArtists > 0 && stage.matchingCalls / newArtists <= targets.matchingCallsPerArtist) },
      { target: 'MusicBrainz: each area fetched once', value: stage ? `${(stage.areaCalls / Math.max(1, stage.areasFetched)).toFixed(2)} (${stage.areaCalls} calls / ${stage.areasFetched} distinct areas${ctx?.partial ? '' : ` of ${musicbrainz.areaIds.size} needed`})` : '-', verdict: verdict(stage !== undefined && stage.areaCalls === stage.areasFetched && (ctx?.partial === true || stage.areasFetched === musicbrainz.areaIds.size)) },
      { target: 'MusicBrainz: zero 503s', value: String(musicbrainz.fake.served503), verdict: verdict(musicbrainz.fake.served503 === 0) },
      { target: 'Spotify: zero 429s', value: String(spotify.gate.refused), verdict: verdict(spotify.gate.refused === 0) },
      { target: 'service peak RSS < 200 MB through the whole run', value: `${Math.round(runPeak / MB)} MB`, verdict: verdict(runPeak < targets.peakRss) },
      { target: 'warehouse build process peak RSS < 200 MB', value: chain?.warehouse ? `${Math.round(chain.warehouse.childPeak / MB)} MB` : '-', verdict: verdict((chain?.warehouse?.childPeak ?? Infinity) < targets.peakRss) },
      // performance.now() counts from the process start: the whole command, the dist/ build included.
      ...(options.small ? [{ target: '--small under a minute', value: `${(performance.now() / 1000).toFixed(0)} s (the whole command, dist/ build included)`, verdict: verdict(performance.now() < 60_000) }] : []),
    ],
  }
  const machine = machineLine(loadAtStart)
  results.machine = machine.line
  results.loadAverage = machine.load
  await writeResults(options.resultsFile, results)
  return { failed: checks.some((c) => !c.ok), table: formatDailyTable(results), logs }
}
