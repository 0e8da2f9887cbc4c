import { column as c, defineTable, required, type RowOf } from '../lake/table.ts'

export const enrichmentFailures = defineTable({
  name: 'enrichment_failures',
  description: 'Failure memory: real misses (404, no match) with a doubling next-attempt time. Plans skip entities until then.',
  key: ['stage', 'resource', 'entity_id'],
  columns: {
    stage: required(c.varchar('pipeline stage, e.g. spotify')),
    resource: required(c.varchar('resource within the stage, e.g. artists')),
    entity_id: required(c.varchar('the id that failed')),
    reason: c.varchar('why, in words'),
    http_status: c.integer('upstream status, when there was one', { minimum: 100, maximum: 599 }),
    attempts: c.integer('failed attempts so far', { minimum: 0 }),
    first_failed_at: c.timestamp('first failure'),
    last_failed_at: c.timestamp('latest failure'),
    next_attempt_at: c.timestamp('plans skip the entity until then (1, 2, 4 … 32 days)'),
  },
})

export type FailureRow = RowOf<typeof enrichmentFailures>
