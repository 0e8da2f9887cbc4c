import type Bottleneck from 'bottleneck'
import Fastify, { type FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { installBearerAuth } from './auth.ts'
import { installBodyTimeout } from './body-timeout.ts'
import { rawReuseMs } from './batch/fetch-batch.ts'
import { createPlanStore } from './batch/plan-store.ts'
import { batchRoutes } from './batch/routes.ts'
import { catalog } from './catalog.ts'
import { configSecrets, type Config } from './config.ts'
import { AppError, truncate } from './errors.ts'
import { createDailyRun } from './daily/daily-run.ts'
import { injectCaller } from './daily/route-caller.ts'
import { dailyRoutes } from './daily/routes.ts'
import { dailyChain } from './daily/steps.ts'
import { handleError } from './error-handler.ts'
import { healthRoutes } from './health.ts'
import { createLimiters, stopLimiters } from './http/limiters.ts'
import type { UpstreamOptions } from './http/upstream.ts'
import { createLake, type LakeHooks } from './lake/lake.ts'
import { rawRetentionStep, type RawFolderRule } from './lake/raw-retention.ts'
import { createRawZone } from './lake/raw-zone.ts'
import { lakeRoutes } from './lake/routes.ts'
import { createStateStore } from './lake/state-store.ts'
import { engineTimezone } from './lake/timezones.ts'
import { loggerOptions } from './logger.ts'
import { registerOpenApi } from './openapi.ts'
import { reportPage } from './reports/page.ts'
import { reportRoutes } from './reports/routes.ts'
import { createReports } from './reports/service.ts'
import { createRunLog } from './runs/run-log.ts'
import { installRunRecorder } from './runs/run-recorder.ts'
import { runRoutes } from './runs/routes.ts'
import { simpleStepRoute } from './batch/simple-step.ts'
import { createSecrets } from './secrets.ts'
import { validationOptions } from './validation.ts'
import { version } from './version.ts'
import type { Gazetteer } from './stages/geography/gazetteer.ts'
import { geographyRoutes } from './stages/geography/routes.ts'
import { createGeographySteps } from './stages/geography/service.ts'
import { createExportImport } from './stages/ingest/export-import.ts'
import { createListenBrainzClient } from './stages/ingest/listenbrainz-client.ts'
import { createListenBrainzIngest } from './stages/ingest/listenbrainz.ts'
import { createRecentlyPlayed } from './stages/ingest/recently-played.ts'
import { ingestRoutes } from './stages/ingest/routes.ts'
import { tracksPlayed } from './stages/ingest/tables.ts'
import { createSpotifyAuth } from './stages/spotify/auth.ts'
import { createSpotifyClient } from './stages/spotify/client.ts'
import { trackRecord } from './stages/spotify/mappers.ts'
import { createPlaysRefill, type PlaysRefill, type Scheduler } from './stages/spotify/plays-refill.ts'
import { spotifyRoutes } from './stages/spotify/routes.ts'
import { createSpotifySteps, saveTracks } from './stages/spotify/service.ts'
import { musicbrainzRoutes } from './stages/musicbrainz/routes.ts'
import { createMusicBrainzSteps } from './stages/musicbrainz/service.ts'
import { createUpdateMbids, updateMbidsRoutes } from './stages/musicbrainz/update-mbids.ts'
import { mbzAreaHierarchy, mbzArtistGenre, mbzArtistInfo, mbzArtistMatch } from './stages/musicbrainz/tables.ts'
import { citiesWithLatLong } from './stages/geography/tables.ts'
import { spotifyAlbums, spotifyArtistGenre, spotifyArtists, spotifyTracks } from './stages/spotify/tables.ts'
import { warehouseRoutes } from './stages/warehouse/routes.ts'
import { createWarehouse, type WarehouseDeps } from './stages/warehouse/service.ts'

/** Seams for tests; production uses the defaults. */
export interface AppDeps {
  now?: () => Date
  lakeHooks?: LakeHooks
  upstream?: Partial<Pick<UpstreamOptions, 'timeoutMs' | 'retries' | 'retryBaseMs'>>
  /** Where to sleep out short Retry-After waits (tests shorten them). */
  sleep?: (ms: number) => Promise<void>
  /** How long plays wait to be filled after a track resolution write, and who fires the wait (plays-refill.ts). */
  refillDelayMs?: number
  refillScheduler?: Scheduler
  /** Pages of ListenBrainz listens read in one call (tests shorten it). */
  listenBrainzPagesPerCall?: number
  /** Where log lines go instead of stdout (tests read them). */
  logStream?: { write (line: string): void }
  /** How long a request body may send nothing (default: TRACKLAKE_BODY_TIMEOUT_SECONDS; tests shorten it). */
  bodyTimeoutMs?: number
  /** The offline gazetteer (tests wrap it to count its passes). */
  gazetteer?: Gazetteer
  /** Paces OpenWeather calls instead of the 60-a-minute limiter (tests call the fake without the 1 s spacing). */
  openWeatherLimiter?: Bottleneck
  /** Warehouse build seams: another project folder, a hook before the swap, DuckDB memory and threads. */
  warehouse?: Pick<WarehouseDeps, 'projectDir' | 'hooks' | 'memoryLimit' | 'threads'>
}

/**
 * Imported plays of tracks that were resolved before are filled like the others: the refill the resolution write asked
 * for has run already, and the tracks plan will not pick those tracks again.
 */
function fillingAfter<A, R extends { inserted: number }> (importPlays: (arg: A) => Promise<R>, refill: PlaysRefill): (arg: A) => Promise<R> {
  return async (arg) => {
    const result = await importPlays(arg)
    if (result.inserted > 0) refill.request()
    return result
  }
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Which folders of raw/ hold replayable data (POST /v1/raw/retention). Spotify and ListenBrainz answers are in the lake
 * once written and reused for a day at most; the MusicBrainz parse rebuilds tables from raw/musicbrainz/, so only a
 * superseded copy of an entity that was parsed may go there (the stage hands over entityOf and parsed). A folder with no
 * rule is kept whole.
 */
/**
 * What raw/ retention may drop. MusicBrainz details (artists/, a batch of artists per file), areas (one file per area,
 * fetched once ever) and the genre list are what its parse replays: kept. Matching answers (url/, recording/,
 * search/) are evidence only, like the Spotify, ListenBrainz and OpenWeather answers: dropped by age and size.
 */
const rawFolderRules: RawFolderRule[] = [
  { folder: 'spotify', replayable: false },
  { folder: 'listenbrainz', replayable: false },
  { folder: 'openweather', replayable: false },
  { folder: 'musicbrainz', replayable: true },
  { folder: 'musicbrainz/url', replayable: false },
  { folder: 'musicbrainz/recording', replayable: false },
  { folder: 'musicbrainz/search', replayable: false },
]

/**
 * The composition root: builds every collaborator once and registers one plugin per concern. Stages never import one
 * another; what one needs of another is handed over here as a function.
 */
export async function buildApp (config: Config, deps: AppDeps = {}): Promise<FastifyInstance> {
  const secrets = createSecrets(configSecrets(config))
  const now = deps.now ?? (() => new Date())
  const upstream: UpstreamOptions = { timeoutMs: 15_000, retries: 2, retryBaseMs: 1000, ...deps.upstream, sleep: deps.sleep ?? defaultSleep, now }

  const app = Fastify({
    logger: loggerOptions(config.logLevel, secrets, deps.logStream),
    requestIdHeader: 'x-request-id',
    ...validationOptions(),
  }).withTypeProvider<TypeBoxTypeProvider>()

  const lake = await createLake({ dataDir: config.dataDir, log: app.log, tables: catalog, hooks: deps.lakeHooks })
  const timezone = await engineTimezone(lake.query, config.timezone).catch(async (err: unknown) => {
    await lake.close()
    throw err
  })
  const state = createStateStore(lake.stateDir)
  const raw = createRawZone(lake.rawDir)
  const plans = createPlanStore(state, now)
  const runs = await createRunLog(lake.stateDir)
  const limiters = createLimiters(config.musicbrainz.ratePerSec)

  const spotifyAuth = createSpotifyAuth({ config, state, secrets, upstream, limiter: limiters.spotify, log: app.log })
  const spotify = createSpotifyClient({ config, auth: spotifyAuth, state, upstream, limiter: limiters.spotify, log: app.log })
  const refill = createPlaysRefill({ lake, plays: tracksPlayed, log: app.log, delayMs: deps.refillDelayMs, scheduler: deps.refillScheduler })
  const spotifySteps = createSpotifySteps({ lake, raw, spotify, now, refill, plays: tracksPlayed })
  const musicbrainzSteps = createMusicBrainzSteps({
    config: config.musicbrainz, lake, raw, state, now, upstream, limiter: limiters.musicbrainz, plays: tracksPlayed, settlePlays: () => refill.flush(), log: app.log,
  })

  const geographySteps = createGeographySteps({
    config,
    lake,
    raw,
    now,
    upstream,
    limiter: deps.openWeatherLimiter ?? limiters.openweather,
    // The geography stage fills the MusicBrainz stage's area rows and weighs places by its artists.
    areas: { hierarchy: mbzAreaHierarchy, artists: { table: mbzArtistInfo, id: 'id', areaColumns: ['area_id', 'begin_area_id', 'end_area_id'] } },
    gazetteer: deps.gazetteer,
  })

  // Update MBIDs writes the Spotify stage's artists and the ingest stage's plays (tables handed over here).
  const updateMbids = createUpdateMbids({ lake, artists: spotifyArtists, plays: tracksPlayed, settlePlays: () => refill.flush() })

  // The warehouse reads every stage's tables: they are handed over here, as the models' sources.
  const warehouse = createWarehouse({
    lake,
    sources: [tracksPlayed, spotifyTracks, spotifyArtists, spotifyArtistGenre, spotifyAlbums, mbzArtistMatch, mbzArtistInfo, mbzArtistGenre, mbzAreaHierarchy, citiesWithLatLong],
    state,
    timezone,
    now,
    log: app.log,
    version,
    settlePlays: () => refill.flush(),
    ...deps.warehouse,
  })

  // The reports read the warehouse, and the lake's plays newer than its build (the last 24 hours stay fresh).
  const reports = createReports({
    query: (sql, params, options) => warehouse.reader.query(sql, params, options),
    plays: { file: lake.filePath(tracksPlayed), tmpDir: lake.tmpDir },
    lakePlays: async () => Number((await lake.query(`SELECT count(*) AS n FROM ${tracksPlayed.name} WHERE counts_as_play`))[0]?.n ?? 0),
    now,
  })

  const ingest = {
    recentlyPlayed: createRecentlyPlayed({
      config,
      lake,
      raw,
      now,
      log: app.log,
      spotify: {
        get: (path, options) => spotify.get(path, { ...options, user: true }),
        parseTrack: trackRecord,
        saveTracks: (tracks) => saveTracks(lake, refill, tracks),
      },
    }),
    importExport: fillingAfter(createExportImport({ config, lake, now }), refill),
    listenbrainz: createListenBrainzIngest({
      config,
      lake,
      raw,
      state,
      now,
      client: createListenBrainzClient({ config, upstream, limiter: limiters.listenbrainz }),
      pagesPerCall: deps.listenBrainzPagesPerCall,
    }),
  }

  app.setErrorHandler(handleError)
  app.setNotFoundHandler((request) => {
    throw new AppError('ROUTE_NOT_FOUND', `no route ${request.method} ${truncate(request.url.split('?')[0]!, 200)}; the API is described at /docs`)
  })
  installBearerAuth(app, config.apiToken)
  installBodyTimeout(app, deps.bodyTimeoutMs ?? config.bodyTimeoutSeconds * 1000)
  installRunRecorder(app, runs, secrets)
  await registerOpenApi(app, version)

  await app.register(healthRoutes, { lake })
  // Reads of the plays wait for plays still being filled from resolved tracks, so a reader sees what the last call wrote.
  await app.register(lakeRoutes, { prefix: '/v1', lake, beforeRead: async (table) => { if (table === tracksPlayed.name) await refill.flush() } })
  await app.register(batchRoutes, { prefix: '/v1', plans })
  await app.register(runRoutes, { prefix: '/v1', runs, chain: dailyChain, now })
  await app.register(ingestRoutes, { prefix: '/v1/ingest', ingest })
  await app.register(spotifyRoutes, { prefix: '/v1/spotify', steps: spotifySteps, plans, lake, now })
  await app.register(geographyRoutes, { prefix: '/v1/geography', steps: geographySteps, plans, lake, now })
  await app.register(simpleStepRoute(rawRetentionStep({
    rawDir: lake.rawDir,
    rules: rawFolderRules,
    policy: { maxDays: config.raw.maxDays, maxBytes: config.raw.maxMb * 1024 * 1024, minAgeMs: rawReuseMs },
    now,
  }), { now }), { prefix: '/v1/raw/retention' })
  // The Daily ETL calls the routes above through the app itself: one implementation of every step.
  const daily = createDailyRun({ chain: dailyChain, call: injectCaller(app, config.apiToken), state, now })
  await app.register(dailyRoutes({ daily, chain: dailyChain, now }), { prefix: '/v1/daily' })
  await app.register(musicbrainzRoutes, { prefix: '/v1/musicbrainz', steps: musicbrainzSteps, plans, lake, now })
  await app.register(updateMbidsRoutes(updateMbids, { now }), { prefix: '/v1/musicbrainz/update-mbids' })
  await app.register(warehouseRoutes, { prefix: '/v1/warehouse', warehouse, now })
  await app.register(reportRoutes, { prefix: '/v1/reports', reports })
  await app.register(reportPage, { prefix: '/reports' })

  app.addHook('onClose', async () => {
    await stopLimiters(limiters)
    // A graceful stop leaves the plays filled.
    await refill.flush()
    refill.close()
    await warehouse.close()
    await lake.close()
  })
  // Resolved tracks whose plays a stopped process did not get to fill.
  app.addHook('onReady', async () => { refill.request() })
  return app
}
