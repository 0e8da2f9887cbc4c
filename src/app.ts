import { readFileSync } from 'node:fs'
import Fastify, { type FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { installBearerAuth } from './auth.ts'
import { installBodyTimeout } from './body-timeout.ts'
import { createPlanStore } from './batch/plan-store.ts'
import { batchRoutes } from './batch/routes.ts'
import { createRunLog } from './batch/run-log.ts'
import { installRunRecorder } from './batch/run-recorder.ts'
import { configSecrets, type Config } from './config.ts'
import { AppError, truncate } from './errors.ts'
import { handleError } from './error-handler.ts'
import { healthRoutes } from './health.ts'
import { createLimiters, stopLimiters } from './http/limiters.ts'
import { createLake, type LakeHooks } from './lake/lake.ts'
import { createRawZone } from './lake/raw-zone.ts'
import { lakeRoutes } from './lake/routes.ts'
import { tracksPlayed } from './lake/tables.ts'
import { createStateStore } from './lake/state-store.ts'
import { loggerOptions } from './logger.ts'
import { registerOpenApi } from './openapi.ts'
import { createSecrets } from './secrets.ts'
import { validationOptions } from './validation.ts'
import { ingestRoutes } from './stages/ingest/routes.ts'
import { createPlaysRefill } from './stages/ingest/plays-refill.ts'
import { createIngestService } from './stages/ingest/service.ts'
import { createSpotifyAuth } from './stages/spotify/auth.ts'
import { createSpotifyClient } from './stages/spotify/client.ts'
import { spotifyRoutes } from './stages/spotify/routes.ts'
import { createSpotifySteps } from './stages/spotify/service.ts'
import { createListenBrainzClient } from './stages/ingest/listenbrainz-client.ts'

export const version: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version

/** Seams for tests; production uses the defaults. */
export interface AppDeps {
  now?: () => Date
  lakeHooks?: LakeHooks
  upstream?: {
    timeoutMs?: number
    retries?: number
    retryBaseMs?: number
  }
  /** Where to sleep out short Retry-After waits (tests shorten them). */
  sleep?: (ms: number) => Promise<void>
  /** How long plays wait to be filled after a track resolution write (plays-refill.ts). */
  refillDelayMs?: number
  /** Pages of ListenBrainz listens read in one call (tests shorten it). */
  listenBrainzPagesPerCall?: number
  /** Where log lines go instead of stdout (tests read them). */
  logStream?: { write (line: string): void }
  /** How long a request body may send nothing (default: TRACKLAKE_BODY_TIMEOUT_SECONDS; tests shorten it). */
  bodyTimeoutMs?: number
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** The composition root: builds every collaborator once and registers one plugin per concern. */
export async function buildApp (config: Config, deps: AppDeps = {}): Promise<FastifyInstance> {
  const secrets = createSecrets(configSecrets(config))
  const now = deps.now ?? (() => new Date())
  const sleep = deps.sleep ?? defaultSleep
  const upstream = { timeoutMs: 15_000, retries: 2, retryBaseMs: 1000, ...deps.upstream }

  const app = Fastify({
    logger: loggerOptions(config.logLevel, secrets, deps.logStream),
    requestIdHeader: 'x-request-id',
    ...validationOptions(),
  }).withTypeProvider<TypeBoxTypeProvider>()

  const lake = await createLake({ dataDir: config.dataDir, log: app.log, hooks: deps.lakeHooks })
  const state = createStateStore(lake.stateDir)
  const raw = createRawZone(lake.rawDir)
  const plans = createPlanStore(state, now)
  const runs = await createRunLog(lake.stateDir)
  const limiters = createLimiters(config.musicbrainz.ratePerSec)

  const spotifyAuth = createSpotifyAuth({ config, state, secrets, upstream, limiter: limiters.spotify, log: app.log })
  const spotify = createSpotifyClient({ config, auth: spotifyAuth, state, upstream, limiter: limiters.spotify, log: app.log, sleep, now })
  const listenbrainz = createListenBrainzClient({ config, upstream, limiter: limiters.listenbrainz, sleep, now })
  const ingest = createIngestService({ config, lake, raw, state, spotify, listenbrainz, now, log: app.log, listenBrainzPagesPerCall: deps.listenBrainzPagesPerCall })
  const refill = createPlaysRefill({ lake, log: app.log, delayMs: deps.refillDelayMs })
  const spotifySteps = createSpotifySteps({ config, lake, raw, spotify, now, log: app.log, refill })

  app.setErrorHandler(handleError)
  app.setNotFoundHandler((request) => {
    throw new AppError('ROUTE_NOT_FOUND', `no route ${request.method} ${truncate(request.url.split('?')[0]!, 200)}; the API is described at /docs`)
  })
  installBearerAuth(app, config.apiToken)
  installBodyTimeout(app, deps.bodyTimeoutMs ?? config.bodyTimeoutSeconds * 1000)
  installRunRecorder(app, runs, secrets)
  await registerOpenApi(app, version)

  await app.register(healthRoutes, { lake })
  await app.register(lakeRoutes, { prefix: '/v1', lake, beforeRead: async (table) => { if (table === tracksPlayed.name) await refill.flush() } })
  await app.register(batchRoutes, { prefix: '/v1', plans, runs })
  await app.register(ingestRoutes, { prefix: '/v1/ingest', ingest })
  await app.register(spotifyRoutes, { prefix: '/v1/spotify', steps: spotifySteps, plans, lake })

  app.addHook('onClose', async () => {
    await stopLimiters(limiters)
    // A graceful stop leaves the plays filled.
    await refill.flush()
    refill.close()
    await lake.close()
  })
  // Resolved tracks whose plays a stopped process did not get to fill.
  app.addHook('onReady', async () => { refill.request() })
  return app
}
