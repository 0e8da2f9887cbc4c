import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { granularRoutes } from '../../batch/granular.ts'
import type { PlanStore } from '../../batch/plan-store.ts'
import { simpleStepRoute } from '../../batch/simple-step.ts'
import type { Lake } from '../../lake/lake.ts'
import type { GeographySteps } from './service.ts'

/** POST /base (one call, time-boxed) and /cities with plan, fetch, write and failures. */
export const geographyRoutes: FastifyPluginAsyncTypebox<{ steps: GeographySteps, plans: PlanStore, lake: Lake, now: () => Date }> = async (app, { steps, ...deps }) => {
  await app.register(simpleStepRoute(steps.base, { now: deps.now }), { prefix: '/base' })
  await app.register(granularRoutes(steps.cities, deps), { prefix: '/cities' })
}
