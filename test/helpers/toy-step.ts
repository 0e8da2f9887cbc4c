import { fetchBatch } from '../../src/batch/fetch-batch.ts'
import type { GranularStep } from '../../src/batch/granular.ts'
import { planKeys } from '../../src/batch/plan-query.ts'
import { AppError } from '../../src/errors.ts'
import type { Lake } from '../../src/lake/lake.ts'
import type { RawZone } from '../../src/lake/raw-zone.ts'
import { column as c, defineTable, recordSchema, required, type RowOf } from '../../src/lake/table.ts'

/** A whole granular stage in under 60 lines: its tables, record schema, plan, fetch and write. */
export const toyPlays = defineTable({
  name: 'toy_plays',
  description: 'plays of things',
  key: ['play_id'],
  columns: { play_id: required(c.varchar('play')), thing_id: c.varchar('what was played') },
})
export const toyThings = defineTable({
  name: 'toy_things',
  description: 'what the upstream knows of each thing',
  key: ['thing_id'],
  columns: { thing_id: required(c.varchar('id')), name: required(c.varchar('name', { minLength: 1 })), size: c.integer('size', { minimum: 0 }) },
})
const ToySchema = recordSchema(toyThings, { $id: 'ToyThing', required: ['thing_id', 'name'], description: 'a toy_things row' })
type Toy = RowOf<typeof toyThings>

/** The upstream: what it knows, how many ids it was asked for, and ids that make it fail. */
export const toyUpstream = (known: Record<string, { name: string, size: number }>) => ({ known, asked: 0, broken: new Set<string>() })

export function toyStep (deps: { lake: Lake, raw: RawZone, now: () => Date, upstream: ReturnType<typeof toyUpstream> }): GranularStep<Toy> {
  const { lake, upstream } = deps
  const lookup = async (ids: string[]) => {
    upstream.asked += ids.length
    if (ids.some((id) => upstream.broken.has(id))) return { found: [], missing: [], calls: 1, error: new AppError('UPSTREAM_FAILED', 'the toy upstream is down') }
    return {
      found: ids.filter((id) => upstream.known[id]).map((id) => ({ id, body: upstream.known[id]!, url: `toy:${id}` })),
      missing: ids.filter((id) => !upstream.known[id]).map((id) => ({ id, httpStatus: 404, reason: 'unknown thing' })),
      calls: 1,
    }
  }
  return {
    stage: 'toy',
    resource: 'things',
    title: 'toy things',
    defaultBatchSize: 2,
    maxBatchSize: 10,
    recordSchema: ToySchema,
    recordId: (record) => record.thing_id,
    requireConfig: () => {},
    plan: async ({ limit }) => (await planKeys(lake, {
      stage: 'toy',
      resource: 'things',
      candidates: 'SELECT thing_id AS id, count(*) AS weight FROM toy_plays GROUP BY thing_id',
      done: { table: toyThings, column: 'thing_id' },
    }, { now: deps.now(), limit })).map((id) => ({ id })),
    fetch: (items) => fetchBatch({ raw: deps.raw, source: 'toy', now: deps.now, ids: items.map((i) => i.id), lookup, toRecord: (body, id) => ({ thing_id: id, ...body }), unreadable: 'no name' }),
    write: async (records) => { const r = await lake.merge(toyThings, records); return { inserted: r.inserted, updated: r.updated, unchanged: r.unchanged } },
  }
}
