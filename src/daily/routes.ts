import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'
import { simpleStepRoute, type SimpleStep } from '../batch/simple-step.ts'
import { errorResponses } from '../schemas.ts'
import type { DailyRun } from './daily-run.ts'
import type { StepDescriptor } from './steps.ts'

const DailyStepSchema = Type.Object({
  step: Type.String({ description: 'e.g. spotify-artists (tracklake run <step> takes the same name)' }),
  title: Type.String(),
  status: Type.Union([
    Type.Literal('done'), Type.Literal('nothing_to_do'), Type.Literal('rate_limited'), Type.Literal('failed'),
    Type.Literal('not_available'), Type.Literal('not_configured'), Type.Literal('stopped'), Type.Literal('pending'), Type.Literal('running'),
  ], {
    description: 'done, nothing_to_do, rate_limited (retryAfterSeconds), failed (message), not_available (no such route in this version), not_configured (an optional stage without its credential: the message names the variable), or pending/running while the run is under way',
  }),
  processed: Type.Integer({ description: 'items handled' }),
  total: Type.Integer({ description: 'items there were to handle' }),
  calls: Type.Integer({ description: 'route calls made' }),
  upstreamCalls: Type.Integer({ description: 'upstream requests made by the fetches of a granular step' }),
  failedBatches: Type.Integer(),
  seconds: Type.Number(),
  retryAfterSeconds: Type.Optional(Type.Integer()),
  message: Type.Optional(Type.String()),
})

const runProperties = {
  runId: Type.String(),
  startedAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  current: Type.Union([Type.Object({ step: Type.String(), title: Type.String(), processed: Type.Integer(), total: Type.Integer() }), Type.Null()], {
    description: 'the step a call stopped in the middle of; the next call continues it',
  }),
  steps: Type.Array(DailyStepSchema, { description: 'every stage of the chain, in order' }),
}

/** POST /v1/daily runs the Daily ETL in-process, time-boxed; GET /v1/daily shows the latest run. */
export function dailyRoutes (deps: { daily: DailyRun, chain: readonly StepDescriptor[], now: () => Date }): FastifyPluginAsync {
  const { daily, chain, now } = deps
  const step: SimpleStep<Record<never, never>, typeof runProperties> = {
    name: 'daily',
    tag: 'daily',
    summary: 'Run the Daily ETL in-process: every stage in order, time-boxed per call',
    description: `The same chain as the Daily ETL workflow (${chain.map((s) => s.name).join(' → ')}), each stage driven through its ` +
      'own routes. A stage that had nothing to do, was rate limited or failed does not stop the chain. Answers done: false ' +
      'while stages remain (call again: it continues where it stopped, in the middle of a plan if need be), then the summary ' +
      'of every stage. A call after done starts a new run. One run at a time: a second call waits for the first.',
    body: {},
    result: runProperties,
    errors: [],
    defaultMaxSeconds: 240,
    async run (body, { timeUp }) {
      const maxSeconds = (body as { maxSeconds?: number }).maxSeconds ?? 240
      const deadline = now().getTime() + maxSeconds * 1000
      const { run, finished } = await daily.advance({ timeUp, secondsLeft: () => (deadline - now().getTime()) / 1000 })
      const { done: _done, ...view } = daily.view(run)
      return { processed: finished, remaining: chain.length - run.stepIndex, status: 'complete', ...view }
    },
  }

  return async (app) => {
    app.get('/', {
      prefixTrailingSlash: 'no-slash',
      schema: {
        summary: 'The latest Daily ETL run: where it is, or the summary of every stage',
        tags: ['daily'],
        response: { 200: Type.Object({ run: Type.Union([Type.Object({ done: Type.Boolean(), ...runProperties }), Type.Null()]) }), ...errorResponses() },
      },
    }, async () => {
      const run = await daily.read()
      return { run: run ? daily.view(run) : null }
    })
    await app.register(simpleStepRoute(step, { now }))
  }
}
