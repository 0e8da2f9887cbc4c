import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { StepDescriptor } from '../daily/steps.ts'
import { errorResponses, TimestampSchema } from '../schemas.ts'
import type { RunLog } from './run-log.ts'
import { stageStatuses, summariseRuns } from './summary.ts'

const RunSchema = Type.Object({
  step: Type.String({ description: 'e.g. spotify.artists.fetch' }),
  startedAt: Type.String({ format: 'date-time' }),
  durationMs: Type.Integer(),
  status: Type.Union([Type.Literal('ok'), Type.Literal('rate_limited'), Type.Literal('error')]),
  httpStatus: Type.Integer(),
  counts: Type.Record(Type.String(), Type.Number()),
  error: Type.Union([Type.String(), Type.Null()]),
  code: Type.Optional(Type.String({ description: 'the error code of a failed call, e.g. NOT_CONFIGURED' })),
  planId: Type.Union([Type.String(), Type.Null()]),
})

const StageStatusSchema = Type.Union([
  Type.Literal('done'), Type.Literal('nothing_to_do'), Type.Literal('rate_limited'), Type.Literal('not_configured'),
  Type.Literal('failed'), Type.Literal('stopped'), Type.Literal('not_run'),
], {
  description: 'done, nothing_to_do, rate_limited (retryAfterSeconds), not_configured (the message names the variable), ' +
    'failed (message), stopped (the workflow ended before the stage was through: the next run continues), or not_run ' +
    '(no call of the stage reached the service in the window)',
})

const StageSummarySchema = Type.Object({
  step: Type.String({ description: 'e.g. spotify-artists (tracklake run <step> takes the same name)' }),
  title: Type.String(),
  status: StageStatusSchema,
  processed: Type.Integer({ description: 'items handled (granular: items of the batches fetched; simple: the step\'s own units)' }),
  total: Type.Integer({ description: 'items there were to handle' }),
  calls: Type.Integer({ description: 'route calls made' }),
  upstreamCalls: Type.Integer({ description: 'upstream requests made by the fetches of a granular step, or by the calls of a simple step that reports them (the area hierarchy walk)' }),
  failedBatches: Type.Integer(),
  seconds: Type.Number({ description: 'time spent in the stage\'s calls' }),
  retryAfterSeconds: Type.Optional(Type.Number()),
  message: Type.Optional(Type.String()),
})

export const runRoutes: FastifyPluginAsyncTypebox<{ runs: RunLog, chain: readonly StepDescriptor[], now: () => Date }> = async (app, { runs, chain, now }) => {
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

  app.get('/runs/summary', {
    schema: {
      summary: 'How each stage of the Daily ETL went since a time, from the run records (the Daily ETL workflow ends with it)',
      description: `Every stage of the chain (${chain.map((s) => s.name).join(' → ')}) from the calls of its routes that ` +
        'started in [since, until): the same statuses as POST /v1/daily, worked out by the same rules, with the message of ' +
        'the first failure. A stage none of whose calls arrived is not_run.',
      tags: ['batches'],
      querystring: Type.Object({
        since: TimestampSchema,
        until: Type.Optional(Type.String({ format: 'date-time', description: 'default: now' })),
      }),
      response: {
        200: Type.Object({
          since: TimestampSchema,
          until: TimestampSchema,
          complete: Type.Boolean({ description: 'false when the run log was rotated past calls of the window' }),
          stages: Type.Array(StageSummarySchema, { description: 'every stage of the chain, in order' }),
          counts: Type.Object(Object.fromEntries(stageStatuses.map((s) => [s, Type.Integer()]))),
          headline: Type.String({ description: 'one line, e.g. "12 stages: 9 done, 2 nothing to do, 1 rate limited"' }),
        }),
        ...errorResponses('VALIDATION_FAILED'),
      },
    },
  }, async (request) => {
    const since = new Date(request.query.since)
    const until = request.query.until === undefined ? now() : new Date(request.query.until)
    const window = await runs.window(since, until)
    return summariseRuns(chain, { since, until, ...window })
  })
}
