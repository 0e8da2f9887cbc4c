import type { FastifyPluginAsync } from 'fastify'
import { Type, type Static, type TObject, type TProperties } from 'typebox'
import type { ErrorCode } from '../errors.ts'
import { errorResponses } from '../schemas.ts'

/** What every long step answers: n8n loops on it until `done`. */
export interface StepProgress {
  done: boolean
  /** units of work done by this call */
  processed: number
  /** units still waiting after it */
  remaining: number
  status: 'complete' | 'rate_limited'
  retryAfterSeconds?: number
}

export interface StepContext {
  /** true once the call's time is up: stop between units of work and answer done: false */
  timeUp: () => boolean
}

/**
 * A simple step: one endpoint, one call does the work, in a time box. A step that can run long takes `maxSeconds`,
 * stops between units of work when it is up, and answers `done: false`; the next call continues.
 */
export interface SimpleStep<Body extends TProperties, Result extends TProperties> {
  /** the run record's name, e.g. musicbrainz.areas.hierarchy */
  name: string
  tag: string
  summary: string
  description: string
  /** extra body fields besides maxSeconds */
  body: Body
  /** extra answer fields besides done, processed, remaining, status */
  result: Result
  /** error codes the step can answer besides validation */
  errors: ErrorCode[]
  defaultMaxSeconds: number
  run (body: Static<TObject<Body>>, context: StepContext): Promise<Omit<StepProgress, 'done'> & Static<TObject<Result>>>
}

/** Well under n8n's 600 s HTTP timeout in our workflows. */
export const maxStepSeconds = 540

const ProgressProperties = {
  done: Type.Boolean({ description: 'false when the call stopped early (time box or rate limit): call again to continue' }),
  processed: Type.Integer({ description: 'units of work done by this call' }),
  remaining: Type.Integer({ description: 'units of work still waiting' }),
  status: Type.Union([Type.Literal('complete'), Type.Literal('rate_limited')]),
  retryAfterSeconds: Type.Optional(Type.Integer()),
}

export function simpleStepRoute<Body extends TProperties, Result extends TProperties> (
  step: SimpleStep<Body, Result>,
  deps: { now: () => Date }
): FastifyPluginAsync {
  return async (app) => {
    app.post('/', {
      prefixTrailingSlash: 'no-slash',
      config: { step: step.name },
      schema: {
        summary: step.summary,
        description: step.description,
        tags: [step.tag],
        body: Type.Object({
          maxSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: maxStepSeconds, default: step.defaultMaxSeconds, description: 'stop after about this long and answer done: false' })),
          ...step.body,
        }, { additionalProperties: false }),
        response: { 200: Type.Object({ ...ProgressProperties, ...step.result }), ...errorResponses('VALIDATION_FAILED', ...step.errors) },
      },
      // An empty POST (curl -X POST …) means "all defaults".
      preValidation: async (request) => { request.body ??= {} },
    }, async (request) => {
      // Typed by the schema above (a generic body is beyond the type provider's inference).
      const body = request.body as { maxSeconds?: number } & Static<TObject<Body>>
      const deadline = deps.now().getTime() + (body.maxSeconds ?? step.defaultMaxSeconds) * 1000
      const result = await step.run(body, { timeUp: () => deps.now().getTime() >= deadline })
      return { ...result, done: result.remaining === 0 && result.status === 'complete' }
    })
  }
}
