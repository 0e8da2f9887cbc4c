import fs from 'node:fs/promises'
import Fastify, { type FastifyInstance } from 'fastify'
import request from 'supertest'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { granularRoutes } from '../../src/batch/granular.ts'
import { createPlanStore, summarisePlan, type PlanStore } from '../../src/batch/plan-store.ts'
import { enrichmentFailures } from '../../src/batch/tables.ts'
import { handleError } from '../../src/error-handler.ts'
import { createLake, type Lake } from '../../src/lake/lake.ts'
import { createRawZone } from '../../src/lake/raw-zone.ts'
import { createStateStore } from '../../src/lake/state-store.ts'
import { ErrorSchema } from '../../src/schemas.ts'
import { FailureSchema } from '../../src/batch/granular.ts'
import { validationOptions } from '../../src/validation.ts'
import { makeTempDir } from '../helpers/build-app.ts'
import { silentLog } from '../helpers/lake.ts'
import { toyPlays, toyStep, toyThings, toyUpstream } from '../helpers/toy-step.ts'

const day = 24 * 60 * 60 * 1000

describe('a granular step (the engine, driven through a toy stage)', () => {
  let dir: string
  let lake: Lake
  let app: FastifyInstance
  let clock: Date
  let upstream: ReturnType<typeof toyUpstream>
  let plans: PlanStore
  const post = (path: string, body: unknown) => request(app.server).post(`/toy/things${path}`).send(body as object)

  beforeEach(async () => {
    dir = await makeTempDir()
    clock = new Date('2026-11-01T00:00:00Z')
    const now = () => clock
    lake = await createLake({ dataDir: dir, log: silentLog, tables: [enrichmentFailures, toyPlays, toyThings] })
    // c and a are played most; d is unknown upstream; e was already fetched.
    const plays = ['c', 'c', 'c', 'a', 'a', 'b', 'd', 'e'].map((thing, i) => ({ play_id: `p${i}`, thing_id: thing }))
    await lake.merge(toyPlays, plays)
    await lake.merge(toyThings, [{ thing_id: 'e', name: 'E', size: 5 }])
    upstream = toyUpstream({ a: { name: 'A', size: 1 }, b: { name: 'B', size: 2 }, c: { name: 'C', size: 3 } })
    plans = createPlanStore(createStateStore(lake.stateDir), now)
    app = Fastify({ logger: false, ...validationOptions() })
    app.setErrorHandler(handleError)
    app.addSchema(ErrorSchema)
    app.addSchema(FailureSchema)
    await app.register(granularRoutes(toyStep({ lake, raw: createRawZone(lake.rawDir), now, upstream }), { plans, lake, now }), { prefix: '/toy/things' })
    await app.ready()
  })

  afterEach(async () => {
    await app.close()
    await lake.close()
    await fs.rm(dir, { recursive: true, force: true })
  })

  /** plan → for each batch fetch and write, as the n8n workflow does */
  async function runAll () {
    const plan = (await post('/plan', {})).body
    for (const batch of plan.batches) {
      const fetched = (await post('/fetch', batch)).body
      await post('/write', { records: fetched.records, failures: fetched.failures, planId: batch.planId, offset: batch.offset })
    }
    return plan
  }

  it('plans the most played first, ties by key, skipping what is done', async () => {
    const plan = (await post('/plan', {})).body
    expect(plan).toMatchObject({ stage: 'toy', resource: 'things', total: 4, batchSize: 2 })
    expect(plan.batches.map((b: { offset: number, limit: number }) => [b.offset, b.limit])).toEqual([[0, 2], [2, 2]])
    const first = (await post('/fetch', plan.batches[0])).body
    expect(first.records.map((r: { thing_id: string }) => r.thing_id)).toEqual(['c', 'a'])
    expect((await post('/plan', { limit: 1 })).body.total).toBe(1)
  })

  it('fetch, write and failures land once; a second run plans nothing and calls nobody', async () => {
    await runAll()
    expect(await lake.query('SELECT thing_id, name, size FROM toy_things ORDER BY thing_id')).toEqual([
      { thing_id: 'a', name: 'A', size: 1 }, { thing_id: 'b', name: 'B', size: 2 }, { thing_id: 'c', name: 'C', size: 3 }, { thing_id: 'e', name: 'E', size: 5 },
    ])
    const [failure] = await lake.query('SELECT entity_id, reason, http_status, attempts FROM enrichment_failures')
    expect(failure).toEqual({ entity_id: 'd', reason: 'unknown thing', http_status: 404, attempts: 1 })
    const asked = upstream.asked
    expect((await post('/plan', {})).body.total).toBe(0)
    expect(upstream.asked).toBe(asked)
  })

  it('a miss waits in backoff (1 day, then 2) and is planned again after it', async () => {
    await runAll()
    clock = new Date(clock.getTime() + day + 1000)
    expect((await post('/plan', {})).body.total).toBe(1)
    await runAll()
    expect((await lake.query('SELECT attempts FROM enrichment_failures'))[0]?.attempts).toBe(2)
    clock = new Date(clock.getTime() + day + 1000)
    expect((await post('/plan', {})).body.total).toBe(0)
    clock = new Date(clock.getTime() + day)
    expect((await post('/plan', {})).body.total).toBe(1)
  })

  it('progress tells fetched from written; a failing upstream marks its batch failed and records no miss', async () => {
    upstream.broken.add('b')
    const plan = (await post('/plan', {})).body
    const ok = (await post('/fetch', plan.batches[0])).body
    expect((await post('/fetch', plan.batches[1])).status).toBe(502)
    const fetchedOnly = summarisePlan(await plans.get(plan.planId))
    expect(fetchedOnly.totals).toMatchObject({ batches: 2, done: 1, failed: 1, written: 0 })
    expect(fetchedOnly.batches[1]).toMatchObject({ state: 'failed', lastStatus: 'error', error: expect.stringContaining('down') })
    await post('/write', { records: ok.records, failures: ok.failures, planId: plan.planId, offset: 0 })
    expect(summarisePlan(await plans.get(plan.planId)).totals).toMatchObject({ done: 1, written: 1, records: 2 })
    expect(await lake.query('SELECT count(*)::INTEGER AS n FROM enrichment_failures')).toEqual([{ n: 0 }])
  })

  it('an upstream answer the write would refuse fails alone; the rest of the batch is written', async () => {
    upstream.known.a = { name: 'A', size: -1 }
    await runAll()
    const failures = await lake.query('SELECT entity_id, reason FROM enrichment_failures ORDER BY entity_id')
    expect(failures.map((f) => f.entity_id)).toEqual(['a', 'd'])
    expect(failures[0]?.reason).toMatch(/cannot be stored: size must be >= 0/)
    expect((await lake.query('SELECT count(*)::INTEGER AS n FROM toy_things'))[0]?.n).toBe(3)
  })

  it('reuses a raw answer younger than a day instead of calling again', async () => {
    const plan = (await post('/plan', {})).body
    await post('/fetch', plan.batches[0])
    const asked = upstream.asked
    const again = (await post('/fetch', plan.batches[0])).body
    expect(again.records).toHaveLength(2)
    expect(upstream.asked).toBe(asked)
    clock = new Date(clock.getTime() + day + 1)
    const later = (await post('/plan', {})).body
    await post('/fetch', later.batches[0])
    expect(upstream.asked).toBe(asked + 2)
  })

  it('a write is idempotent, a hand-posted record sticks, and a bad one is refused naming the field', async () => {
    const hand = { records: [{ thing_id: 'z', name: 'Typed by hand', size: 9 }] }
    expect((await post('/write', hand)).body.records).toMatchObject({ inserted: 1 })
    expect((await post('/write', hand)).body.records).toMatchObject({ inserted: 0, updated: 0, unchanged: 1 })
    const bad = await post('/write', { records: [{ thing_id: 'y', name: '' }] })
    expect(bad.status).toBe(400)
    expect(bad.body.details[0].field).toBe('body.records[0].name')
  })

  it('refuses an offset outside the plan and an unknown plan', async () => {
    const plan = (await post('/plan', {})).body
    expect((await post('/fetch', { planId: plan.planId, offset: 4 })).body).toMatchObject({ statusCode: 400, code: 'OFFSET_OUT_OF_RANGE' })
    expect((await post('/fetch', { planId: 'toy-things-nope', offset: 0 })).body).toMatchObject({ statusCode: 404, code: 'PLAN_NOT_FOUND' })
  })
})
