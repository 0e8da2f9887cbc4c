import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { granularRoutes } from '../../batch/granular.ts'
import type { PlanStore } from '../../batch/plan-store.ts'
import { simpleStepRoute } from '../../batch/simple-step.ts'
import type { Lake } from '../../lake/lake.ts'
import type { MusicBrainzSteps } from './service.ts'

/**
 * /discover, /artists (plan, fetch, write, failures), /parse and /areas/hierarchy. Without MUSICBRAINZ_CONTACT every one
 * answers 503 NOT_CONFIGURED naming it: no contact, no calls.
 */
export const musicbrainzRoutes: FastifyPluginAsyncTypebox<{ steps: MusicBrainzSteps, plans: PlanStore, lake: Lake, now: () => Date }> = async (app, { steps, ...deps }) => {
  app.addHook('onRequest', async () => { steps.requireContact() })
  await app.register(simpleStepRoute(steps.discover, deps), { prefix: '/discover' })
  await app.register(granularRoutes(steps.artists, deps), { prefix: '/artists' })
  await app.register(simpleStepRoute(steps.parse, deps), { prefix: '/parse' })
  await app.register(simpleStepRoute(steps.hierarchy, deps), { prefix: '/areas/hierarchy' })
}
