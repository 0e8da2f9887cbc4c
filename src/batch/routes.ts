import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { errorResponses } from '../schemas.ts'
import { summarisePlan, type PlanStore } from './plan-store.ts'

const BatchSchema = Type.Object({
  batchIndex: Type.Integer(),
  offset: Type.Integer(),
  limit: Type.Integer(),
  state: Type.Union([Type.Literal('pending'), Type.Literal('done'), Type.Literal('failed')]),
  attempts: Type.Integer(),
  lastStatus: Type.Union([Type.Literal('complete'), Type.Literal('rate_limited'), Type.Literal('error'), Type.Null()]),
  records: Type.Integer(),
  failures: Type.Integer(),
  retryAfterSeconds: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  writtenAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'when a write naming this batch (planId, offset) landed; the workflows name it' }),
})

export const PlanProgressSchema = Type.Object({
  planId: Type.String(),
  stage: Type.String(),
  resource: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
  total: Type.Integer({ description: 'keys in the plan' }),
  batchSize: Type.Integer(),
  totals: Type.Object({
    batches: Type.Integer(),
    pending: Type.Integer(),
    done: Type.Integer(),
    failed: Type.Integer(),
    rateLimited: Type.Integer({ description: 'pending batches whose last fetch was rate limited' }),
    written: Type.Integer({ description: 'batches whose records a write naming the batch has landed in the lake' }),
    records: Type.Integer(),
    failures: Type.Integer(),
  }),
  batches: Type.Array(BatchSchema, { description: 'state done: fetched completely; writtenAt: its records are in the lake' }),
}, { $id: 'PlanProgress', title: 'PlanProgress' })

export const batchRoutes: FastifyPluginAsyncTypebox<{ plans: PlanStore }> = async (app, { plans }) => {
  app.addSchema(PlanProgressSchema)

  app.get('/plans/:planId', {
    schema: {
      summary: 'Progress of a plan: each batch\'s state (pending, done, failed) and totals',
      tags: ['batches'],
      params: Type.Object({ planId: Type.String({ maxLength: 80 }) }),
      response: { 200: Type.Ref('PlanProgress'), ...errorResponses('PLAN_NOT_FOUND', 'PLAN_EXPIRED') },
    },
  }, async (request) => summarisePlan(await plans.get(request.params.planId)))
}
