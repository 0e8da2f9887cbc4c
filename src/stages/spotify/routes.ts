import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { granularRoutes } from '../../batch/granular.ts'
import type { PlanStore } from '../../batch/plan-store.ts'
import type { Lake } from '../../lake/lake.ts'
import { AlbumRecordSchema, ArtistRecordSchema, TrackRecordSchema, type SpotifySteps } from './service.ts'

/** Granular Spotify enrichment: /tracks, /artists and /albums, each with plan, fetch, write and failures. */
export const spotifyRoutes: FastifyPluginAsyncTypebox<{ steps: SpotifySteps, plans: PlanStore, lake: Lake }> = async (app, { steps, plans, lake }) => {
  app.addSchema(TrackRecordSchema)
  app.addSchema(ArtistRecordSchema)
  app.addSchema(AlbumRecordSchema)
  await app.register(granularRoutes(steps.tracks, { plans, lake }), { prefix: '/tracks' })
  await app.register(granularRoutes(steps.artists, { plans, lake }), { prefix: '/artists' })
  await app.register(granularRoutes(steps.albums, { plans, lake }), { prefix: '/albums' })
}
