import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { granularRoutes } from '../../batch/granular.ts'
import type { PlanStore } from '../../batch/plan-store.ts'
import type { Lake } from '../../lake/lake.ts'
import type { SpotifySteps } from './service.ts'

/** Granular Spotify enrichment: /tracks, /artists and /albums, each with plan, fetch, write and failures. */
export const spotifyRoutes: FastifyPluginAsyncTypebox<{ steps: SpotifySteps, plans: PlanStore, lake: Lake, now: () => Date }> = async (app, { steps, ...deps }) => {
  await app.register(granularRoutes(steps.tracks, deps), { prefix: '/tracks' })
  await app.register(granularRoutes(steps.artists, deps), { prefix: '/artists' })
  await app.register(granularRoutes(steps.albums, deps), { prefix: '/albums' })
}
