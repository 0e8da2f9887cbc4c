import fs from 'node:fs/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createPlanStore, summarisePlan, type PlanStore } from '../../src/batch/plan-store.ts'
import { createStateStore, type StateStore } from '../../src/lake/state-store.ts'
import { makeTempDir } from '../helpers/build-app.ts'

const items = Array.from({ length: 10 }, (_, i) => ({ id: `id-${i}` }))

describe('plan store', () => {
  let dir: string
  let state: StateStore
  let plans: PlanStore
  const clock = { now: Date.parse('2026-11-01T00:00:00Z') }

  beforeEach(async () => {
    dir = await makeTempDir()
    state = createStateStore(dir)
    plans = createPlanStore(state, () => new Date(clock.now))
  })

  afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }) })

  it('marks a batch written only after a complete fetch of it', async () => {
    const plan = await plans.create({ stage: 'spotify', resource: 'artists', items, batchSize: 4 })
    await plans.recordOutcome(plan.planId, 0, 4, { status: 'rate_limited', records: 2, failures: 0, retryAfterSeconds: 60 })
    await plans.recordWritten(plan.planId, 0)
    expect(summarisePlan(await plans.get(plan.planId)).totals).toMatchObject({ pending: 3, done: 0, written: 0, rateLimited: 1 })
    await plans.recordOutcome(plan.planId, 0, 4, { status: 'complete', records: 4, failures: 0 })
    await plans.recordWritten(plan.planId, 2)
    const progress = summarisePlan(await plans.get(plan.planId))
    expect(progress.totals).toMatchObject({ done: 1, written: 1 })
    expect(progress.batches[0]!.writtenAt).toBe(new Date(clock.now).toISOString())
  })

  it('reads plans saved before batches had writtenAt', async () => {
    const plan = await plans.create({ stage: 'spotify', resource: 'albums', items, batchSize: 5 })
    const stored = await state.read<{ batches: Array<Record<string, unknown>> }>(`plans/${plan.planId}`)
    for (const batch of stored!.batches) delete batch.writtenAt
    await state.write(`plans/${plan.planId}`, stored)
    const progress = summarisePlan(await plans.get(plan.planId))
    expect(progress.batches.map((b) => b.writtenAt)).toEqual([null, null])
    expect(progress.totals.written).toBe(0)
  })

  it('keeps the items apart from the progress: a progress mark rewrites only the small file, and a new process reads both', async () => {
    const many = Array.from({ length: 2000 }, (_, i) => ({ id: `key-${String(i).padStart(20, '0')}` }))
    const plan = await plans.create({ stage: 'spotify', resource: 'tracks', items: many, batchSize: 50 })
    const itemsFile = `${dir}/plans/${plan.planId}.items.json`
    const before = await fs.readFile(itemsFile, 'utf8')
    expect(JSON.parse(before)).toEqual(many)
    await plans.recordOutcome(plan.planId, 50, 50, { status: 'complete', records: 50, failures: 0 })
    await plans.recordWritten(plan.planId, 50)
    expect(await fs.readFile(itemsFile, 'utf8')).toBe(before)
    const progressBytes = (await fs.stat(`${dir}/plans/${plan.planId}.json`)).size
    expect(progressBytes).toBeLessThan(before.length / 4)

    const restarted = createPlanStore(createStateStore(dir), () => new Date(clock.now))
    const read = await restarted.get<{ id: string }>(plan.planId)
    expect(read.items.slice(0, read.total)).toEqual(many)
    expect(restarted.itemsAt(read, 1990, 50).map((i) => i.id)).toEqual(many.slice(1990).map((i) => i.id))
    expect(summarisePlan(read).totals).toMatchObject({ batches: 40, done: 1, written: 1 })
  })

  it('reads and updates plans saved with their items inside', async () => {
    const plan = await plans.create({ stage: 'spotify', resource: 'albums', items, batchSize: 5 })
    const stored = await state.read<Record<string, unknown>>(`plans/${plan.planId}`)
    await state.write(`plans/${plan.planId}`, { ...stored, items })
    await state.remove(`plans/${plan.planId}.items`)
    const restarted = createPlanStore(state, () => new Date(clock.now))
    await restarted.recordOutcome(plan.planId, 0, 5, { status: 'complete', records: 5, failures: 0 })
    const read = await restarted.get<{ id: string }>(plan.planId)
    expect(read.items.slice(0, read.total)).toEqual(items)
    expect(summarisePlan(read).totals.done).toBe(1)
  })

  it('answers PLAN_NOT_FOUND when the items of a plan are gone', async () => {
    const plan = await plans.create({ stage: 'spotify', resource: 'albums', items, batchSize: 5 })
    await state.remove(`plans/${plan.planId}.items`)
    const restarted = createPlanStore(state, () => new Date(clock.now))
    await expect(restarted.get(plan.planId)).rejects.toMatchObject({ code: 'PLAN_NOT_FOUND' })
  })

  it('keeps the items of the newest plans in memory within a budget, and reads older ones from their file', async () => {
    // 60,000 Spotify-like keys: 1.9 MB packed each.
    const many = (tag: string) => Array.from({ length: 60_000 }, (_, i) => ({ id: `${tag}${String(i).padStart(21, '0')}` }))
    const older = await plans.create({ stage: 'spotify', resource: 'tracks', items: many('a'), batchSize: 50 })
    clock.now += 1000
    const newer = await plans.create({ stage: 'spotify', resource: 'tracks', items: many('b'), batchSize: 50 })
    // Two such plans pass the budget: the older one is served from its file (gone here), the newer from memory.
    await state.remove(`plans/${older.planId}.items`)
    await state.remove(`plans/${newer.planId}.items`)
    await expect(plans.get(older.planId)).rejects.toMatchObject({ code: 'PLAN_NOT_FOUND' })
    expect(plans.itemsAt(await plans.get(newer.planId), 59_999, 1)).toEqual([{ id: `b${String(59_999).padStart(21, '0')}` }])
  })
})
