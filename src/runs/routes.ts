import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { errorResponses } from '../schemas.ts'
import type { RunLog } from './run-log.ts'

const RunSchema = Type.Object({
  step: Type.String({ description: 'e.g. spotify.artists.fetch' }),
  startedAt: Type.String({ format: 'date-time' }),
  durationMs: Type.Integer(),
  status: Type.Union([Type.Literal('ok'), Type.Literal('rate_limited'), Type.Literal('error')]),
  httpStatus: Type.Integer(),
  counts: Type.Record(Type.String(), Type.Number()),
  error: Type.Union([Type.String(), Type.Null()]),
  planId: Type.Union([Type.String(), Type.Null()]),
})

export const runRoutes: FastifyPluginAsyncTypebox<{ runs: RunLog }> = async (app, { runs }) => {
  app.get('/runs', {
    schema: {
      summary: 'The latest step calls, newest first',
      tags: ['batches'],
      querystring: Type.Object({
        limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
        step: Type.Optional(Type.String({ maxLength: 100, description: 'only this step or its sub-steps, e.g. spotify.artists' })),
      }),
      response: { 200: Type.Object({ runs: Type.Array(RunSchema) }), ...errorResponses('VALIDATION_FAILED') },
    },
  }, async (request) => ({ runs: runs.list(request.query) }))
}
