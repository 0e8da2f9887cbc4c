import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type TSchema } from 'typebox'
import { invalidField } from '../errors.ts'
import type { Lake } from '../lake/lake.ts'
import { errorResponses, TimestampSchema } from '../schemas.ts'
import { recordCheck } from '../validation.ts'
import { clearFailures, recordFailures, type FailureInput } from './failure-memory.ts'
import type { FetchOutcome } from './fetch-batch.ts'
import type { PlanStore } from './plan-store.ts'

/** A plan holds keys only: the fetch needs nothing else, and a 25,000-key plan stays quick to take and to store. */
export interface PlanItem {
  id: string
}

/**
 * A granular step: plan snapshots the ordered keys needing work, fetch calls the upstream for one slice, write upserts
 * validated records. Every API-bound enrichment follows this one contract.
 */
export interface GranularStep<Rec> {
  stage: string
  resource: string
  /** words for docs and messages, e.g. "Spotify artists" */
  title: string
  defaultBatchSize: number
  maxBatchSize: number
  /** the body schema of one record, with an `$id`: the routes register it and the OpenAPI document names it */
  recordSchema: TSchema & { $id: string }
  recordId: (record: Rec) => string
  requireConfig: () => void
  plan: (options: { limit?: number }) => Promise<PlanItem[]>
  /**
   * `endsPlan`: the batch reaches the plan's end (a step can let go of what only its batches use); `laterItems`: the
   * plan's items after the batch, for a step whose cost is per pass, not per key
   */
  fetch: (items: PlanItem[], batch: { endsPlan: boolean, laterItems: () => PlanItem[] }) => Promise<FetchOutcome<Rec>>
  write: (records: Rec[]) => Promise<Record<string, number>>
}

export const FailureSchema = Type.Object({
  entity_id: Type.String({ minLength: 1, maxLength: 200, description: 'the id that could not be enriched' }),
  reason: Type.String({ minLength: 1, maxLength: 2000 }),
  http_status: Type.Optional(Type.Union([Type.Integer({ minimum: 100, maximum: 599 }), Type.Null()])),
  failed_at: TimestampSchema,
}, { $id: 'Failure', title: 'Failure' })

const BatchRefSchema = Type.Object({
  planId: Type.String(),
  batchIndex: Type.Integer(),
  offset: Type.Integer(),
  limit: Type.Integer(),
})

const PlanSchema = Type.Object({
  planId: Type.String(),
  stage: Type.String(),
  resource: Type.String(),
  total: Type.Integer({ description: 'keys needing work; 0 means nothing to do' }),
  batchSize: Type.Integer(),
  expiresAt: Type.String({ format: 'date-time' }),
  batches: Type.Array(BatchRefSchema, { description: 'one entry per batch: n8n Split Out turns them into items' }),
})

const FailureCountsSchema = Type.Object({ recorded: Type.Integer(), unchanged: Type.Integer() })

export function granularRoutes<Rec> (
  step: GranularStep<Rec>,
  deps: { plans: PlanStore, lake: Lake, now: () => Date }
): FastifyPluginAsyncTypebox {
  const { plans, lake, now } = deps
  const scope = { stage: step.stage, resource: step.resource }
  const name = `${step.stage}.${step.resource}`
  const tags = [step.stage]
  const recordsSchema = Type.Array(Type.Ref(step.recordSchema.$id), { maxItems: 1000 })
  const failuresSchema = Type.Array(Type.Ref('Failure'), { maxItems: 1000 })

  async function storeFailures (failures: FailureInput[]) {
    const result = await recordFailures(lake, scope, failures)
    return { recorded: result.inserted + result.updated, unchanged: result.unchanged }
  }

  const checkRecord = recordCheck(step.recordSchema)

  /** A fetched record its write would refuse is a failure of that entity, never of the whole batch. */
  function writable (outcome: FetchOutcome<Rec>): FetchOutcome<Rec> {
    const records: Rec[] = []
    const failures = [...outcome.failures]
    for (const record of outcome.records) {
      const problem = checkRecord(record)
      if (problem === undefined) records.push(record)
      else failures.push({ entity_id: step.recordId(record), reason: `the upstream answer cannot be stored: ${problem}`, http_status: 200, failed_at: now().toISOString() })
    }
    return { ...outcome, records, failures }
  }

  return async (app) => {
    app.addSchema(step.recordSchema)

    app.post('/plan', {
      config: { step: `${name}.plan` },
      schema: {
        summary: `Plan ${step.title}: snapshot the keys needing work, most played first`,
        tags,
        body: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'at most this many keys' })),
          batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: step.maxBatchSize, default: step.defaultBatchSize })),
        }),
        response: { 200: PlanSchema, ...errorResponses('VALIDATION_FAILED', 'NOT_CONFIGURED') },
      },
      // An empty POST (curl -X POST …/plan) means "all defaults".
      preValidation: async (request) => { request.body ??= {} },
    }, async (request) => {
      step.requireConfig()
      const batchSize = request.body.batchSize ?? step.defaultBatchSize
      const items = await step.plan({ limit: request.body.limit })
      const plan = await plans.create({ stage: step.stage, resource: step.resource, items, batchSize })
      return {
        planId: plan.planId,
        stage: plan.stage,
        resource: plan.resource,
        total: plan.total,
        batchSize: plan.batchSize,
        expiresAt: plan.expiresAt,
        batches: plan.batches.map((b) => ({ planId: plan.planId, batchIndex: b.batchIndex, offset: b.offset, limit: b.limit })),
      }
    })

    app.post('/fetch', {
      config: { step: `${name}.fetch` },
      schema: {
        summary: `Fetch one batch of ${step.title} from the upstream and land the raw answers`,
        description: 'status is complete, or rate_limited when the upstream asked to wait longer than a request can: ' +
          'what was fetched is returned and the rest of the batch stays pending for the next plan.',
        tags,
        body: Type.Object({
          planId: Type.String({ minLength: 1, maxLength: 80 }),
          offset: Type.Integer({ minimum: 0 }),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: step.maxBatchSize })),
        }),
        response: {
          200: Type.Object({
            planId: Type.String(),
            offset: Type.Integer(),
            limit: Type.Integer(),
            status: Type.Union([Type.Literal('complete'), Type.Literal('rate_limited')]),
            retryAfterSeconds: Type.Optional(Type.Integer()),
            calls: Type.Integer({ description: 'upstream requests made' }),
            records: recordsSchema,
            failures: failuresSchema,
          }),
          ...errorResponses('VALIDATION_FAILED', 'OFFSET_OUT_OF_RANGE', 'PLAN_NOT_FOUND', 'PLAN_EXPIRED', 'UPSTREAM_AUTH_FAILED', 'UPSTREAM_FAILED', 'NOT_CONFIGURED', 'UPSTREAM_TIMEOUT', 'LAKE_WRITE_FAILED'),
        },
      },
    }, async (request) => {
      const { planId, offset } = request.body
      const plan = await plans.get<PlanItem>(planId)
      const limit = request.body.limit ?? plan.batchSize
      const items = plans.itemsAt(plan, offset, limit)
      step.requireConfig()
      const end = offset + items.length
      const outcome = writable(await step.fetch(items, { endsPlan: end >= plan.total, laterItems: () => plan.items.slice(end, plan.total) }))
      if (outcome.error) {
        await plans.recordOutcome(planId, offset, limit, { status: 'error', records: outcome.records.length, failures: outcome.failures.length, error: outcome.error.message })
        throw outcome.error
      }
      await plans.recordOutcome(planId, offset, limit, {
        status: outcome.status,
        records: outcome.records.length,
        failures: outcome.failures.length,
        retryAfterSeconds: outcome.retryAfterSeconds,
      })
      return {
        planId,
        offset,
        limit: items.length,
        status: outcome.status,
        ...(outcome.retryAfterSeconds !== undefined ? { retryAfterSeconds: outcome.retryAfterSeconds } : {}),
        calls: outcome.calls,
        records: outcome.records,
        failures: outcome.failures,
      }
    })

    app.post('/write', {
      config: { step: `${name}.write` },
      bodyLimit: 16 * 1024 * 1024,
      schema: {
        summary: `Write ${step.title}: validated upserts (posting the same body twice changes nothing)`,
        description: 'Takes the records (and failures) of a fetch, or records typed by hand: a hand-posted record sticks.',
        tags,
        body: Type.Object({
          records: Type.Optional(recordsSchema),
          failures: Type.Optional(failuresSchema),
          planId: Type.Optional(Type.String({ minLength: 1, maxLength: 80, description: 'the plan these records were fetched for: with offset, marks the batch written in its progress' })),
          offset: Type.Optional(Type.Integer({ minimum: 0, description: 'the offset of the batch in that plan' })),
        }),
        response: {
          200: Type.Object({
            records: Type.Record(Type.String(), Type.Integer()),
            failures: FailureCountsSchema,
          }),
          ...errorResponses('VALIDATION_FAILED', 'OFFSET_OUT_OF_RANGE', 'PAYLOAD_TOO_LARGE', 'LAKE_WRITE_FAILED'),
        },
      },
    }, async (request) => {
      const records = (request.body.records ?? []) as Rec[]
      const failures = (request.body.failures ?? []) as FailureInput[]
      const { planId, offset } = request.body
      if ((planId === undefined) !== (offset === undefined)) {
        throw invalidField(planId === undefined ? 'body.planId' : 'body.offset', 'is required with ' + (planId === undefined ? 'offset' : 'planId'))
      }
      // Checked before writing: a write naming another step's plan or an offset outside it is refused whole. An unknown
      // or expired plan is not: the records cost upstream calls and are written; only the progress mark is skipped.
      const plan = planId === undefined ? undefined : await plans.get<PlanItem>(planId).catch((err: unknown) => { request.log.warn({ err, planId }, 'write names a plan that is gone; records written, progress not marked') })
      if (plan && (plan.stage !== step.stage || plan.resource !== step.resource)) {
        throw invalidField('body.planId', `is a plan of ${plan.stage}/${plan.resource}, not ${step.stage}/${step.resource}`)
      }
      if (plan) plans.checkOffset(plan, offset!)
      const counts = records.length > 0 ? await step.write(records) : { inserted: 0, updated: 0, unchanged: 0 }
      // An entity written now is no longer missing, whatever an older failure said.
      const cleared = await clearFailures(lake, scope, records.map(step.recordId))
      const written = new Set(records.map(step.recordId))
      const stored = await storeFailures(failures.filter((f) => !written.has(f.entity_id)))
      if (plan) await plans.recordWritten(plan.planId, offset!)
      return { records: { ...counts, failuresCleared: cleared }, failures: stored }
    })

    app.post('/failures', {
      config: { step: `${name}.failures` },
      schema: {
        summary: `Record ${step.title} that could not be enriched (failure memory with backoff)`,
        description: 'Each failure doubles the wait before the entity is planned again: 1, 2, 4 … 32 days.',
        tags,
        body: Type.Object({ failures: failuresSchema }),
        response: { 200: Type.Object({ failures: FailureCountsSchema }), ...errorResponses('VALIDATION_FAILED', 'LAKE_WRITE_FAILED') },
      },
    }, async (request) => ({ failures: await storeFailures(request.body.failures as FailureInput[]) }))
  }
}
