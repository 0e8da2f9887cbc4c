import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { AppError } from '../errors.ts'
import { createLockSet } from '../lake/lock.ts'
import type { StateStore } from '../lake/state-store.ts'
import { packItems, type PackedItems, type PlanItems } from './packed-items.ts'

export const planLifetimeMs = 24 * 60 * 60 * 1000

export type BatchState = 'pending' | 'done' | 'failed'
export type FetchStatus = 'complete' | 'rate_limited' | 'error'

export interface BatchRecord {
  batchIndex: number
  offset: number
  limit: number
  state: BatchState
  attempts: number
  lastStatus: FetchStatus | null
  records: number
  failures: number
  retryAfterSeconds: number | null
  error: string | null
  updatedAt: string | null
  /** when a write naming this batch landed its records in the lake */
  writtenAt: string | null
}

/** A snapshot of the keys needing work, taken once: offsets into it never shift, whatever is written meanwhile. */
export interface PlanRecord<Item = unknown> {
  planId: string
  stage: string
  resource: string
  createdAt: string
  expiresAt: string
  total: number
  batchSize: number
  items: PlanItems<Item>
  batches: BatchRecord[]
}

export interface BatchOutcome {
  status: FetchStatus
  records: number
  failures: number
  retryAfterSeconds?: number
  error?: string
}

export interface PlanStore {
  create<Item> (input: { stage: string, resource: string, items: Item[], batchSize: number }): Promise<PlanRecord<Item>>
  get<Item = unknown> (planId: string): Promise<PlanRecord<Item>>
  /** The items of [offset, offset + limit) — 400 when the offset lies outside the plan. */
  itemsAt<Item> (plan: PlanRecord<Item>, offset: number, limit: number): Item[]
  /** 400 when the offset lies outside the plan. */
  checkOffset (plan: PlanRecord, offset: number): void
  recordOutcome (planId: string, offset: number, limit: number, outcome: BatchOutcome): Promise<void>
  /** Marks the batch holding `offset` as written, when its fetch was complete. */
  recordWritten (planId: string, offset: number): Promise<void>
}

const planIdPattern = /^[a-z0-9][a-z0-9-]{0,79}$/

/**
 * Items kept in memory, packed, newest plans first: the plan being worked through (n8n runs one step at a time) is read
 * from memory, older ones from their file. A budget in characters of packed items, not plans: a plan of 60,000 Spotify
 * keys fits; the bench times five such plans for one step, and the chain's later plans push them out.
 */
const packedCharsBudget = 2 * 1024 * 1024

/** What plans/<planId>.json holds: the progress. Plans made before items had their own file hold them here too. */
type StoredPlan<Item> = Omit<PlanRecord<Item>, 'items'> & { items?: Item[] }

export function createPlanStore (state: StateStore, now: () => Date): PlanStore {
  const locks = createLockSet()
  const nameFor = (planId: string): string => `plans/${planId}`
  // The items never change after create: their own file, written once, so a fetch's progress mark rewrites a few
  // hundred bytes per batch instead of the whole snapshot (2 MB at 60,000 keys), and a fetch reads them from memory.
  const itemsNameFor = (planId: string): string => `plans/${planId}.items`
  const kept = new Map<string, PackedItems<unknown>>()
  const keep = <Item>(planId: string, packed: PackedItems<Item>): PlanItems<Item> => {
    kept.delete(planId)
    kept.set(planId, packed)
    let total = 0
    for (const held of kept.values()) total += held.chars
    // The newest plan stays whatever its size.
    for (const [oldest, held] of kept) {
      if (total <= packedCharsBudget || oldest === planId) break
      kept.delete(oldest)
      total -= held.chars
    }
    return packed
  }

  async function removeExpired (): Promise<void> {
    const dir = path.join(state.dir, 'plans')
    const entries = await fs.readdir(dir).catch(() => [] as string[])
    const cutoff = now().getTime() - planLifetimeMs
    for (const entry of entries) {
      const stat = await fs.stat(path.join(dir, entry)).catch(() => null)
      if (stat && stat.mtimeMs < cutoff) await fs.rm(path.join(dir, entry), { force: true })
    }
  }

  async function create<Item> (input: { stage: string, resource: string, items: Item[], batchSize: number }): Promise<PlanRecord<Item>> {
    await removeExpired()
    const created = now()
    const createdCompact = created.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').toLowerCase()
    const planId = `${input.stage}-${input.resource}-${createdCompact}-${randomBytes(3).toString('hex')}`
    const batches: BatchRecord[] = []
    for (let offset = 0, batchIndex = 0; offset < input.items.length; offset += input.batchSize, batchIndex++) {
      batches.push({
        batchIndex,
        offset,
        limit: Math.min(input.batchSize, input.items.length - offset),
        state: 'pending',
        attempts: 0,
        lastStatus: null,
        records: 0,
        failures: 0,
        retryAfterSeconds: null,
        error: null,
        updatedAt: null,
        writtenAt: null,
      })
    }
    const progress: StoredPlan<Item> = {
      planId,
      stage: input.stage,
      resource: input.resource,
      createdAt: created.toISOString(),
      expiresAt: new Date(created.getTime() + planLifetimeMs).toISOString(),
      total: input.items.length,
      batchSize: input.batchSize,
      batches,
    }
    // Packed once: the items file is the packed text, not the items turned into JSON a second time.
    const packed = packItems(input.items)
    // Items first: a plan file never names items that are not there.
    await state.writeJson(itemsNameFor(planId), packed.json())
    await state.write(nameFor(planId), progress, { compact: true })
    return { ...progress, items: keep(planId, packed) }
  }

  /** The stored progress, without loading the items of a plan that keeps them apart. */
  async function getStored<Item> (planId: string): Promise<StoredPlan<Item>> {
    if (!planIdPattern.test(planId)) throw new AppError('PLAN_NOT_FOUND', `plan ${JSON.stringify(planId)} does not exist`)
    const plan = await state.read<StoredPlan<Item>>(nameFor(planId))
    if (!plan) throw new AppError('PLAN_NOT_FOUND', `plan ${planId} does not exist (plans are kept for a day; make a new one)`)
    if (Date.parse(plan.expiresAt) <= now().getTime()) {
      throw new AppError('PLAN_EXPIRED', `plan ${planId} expired at ${plan.expiresAt}; make a new plan`)
    }
    // Plans saved before batches had writtenAt.
    for (const batch of plan.batches) batch.writtenAt ??= null
    return plan
  }

  async function get<Item> (planId: string): Promise<PlanRecord<Item>> {
    const plan = await getStored<Item>(planId)
    if (plan.items) return { ...plan, items: packItems(plan.items) }
    let items = kept.get(planId) as PlanItems<Item> | undefined
    if (!items) {
      const read = await state.read<Item[]>(itemsNameFor(planId))
      if (!read) throw new AppError('PLAN_NOT_FOUND', `plan ${planId} lost its items; make a new plan`)
      items = keep(planId, packItems(read))
    }
    return { ...plan, items }
  }

  function checkOffset (plan: PlanRecord, offset: number): void {
    if (offset < 0 || offset >= plan.total) {
      const range = plan.total === 0 ? 'the plan is empty' : `offsets run from 0 to ${plan.total - 1}`
      throw new AppError('OFFSET_OUT_OF_RANGE', `offset ${offset} is outside plan ${plan.planId}: ${range}`, {
        details: [{ field: 'body.offset', problem: `must be within 0..${Math.max(plan.total - 1, 0)}` }],
      })
    }
  }

  function itemsAt<Item> (plan: PlanRecord<Item>, offset: number, limit: number): Item[] {
    checkOffset(plan, offset)
    return plan.items.slice(offset, offset + limit)
  }

  async function recordOutcome (planId: string, offset: number, limit: number, outcome: BatchOutcome): Promise<void> {
    await locks.run([planId], async () => {
      const plan = await getStored(planId)
      const end = Math.min(offset + limit, plan.total)
      const touched = plan.batches.filter((b) => b.offset < end && b.offset + b.limit > offset)
      const at = now().toISOString()
      for (const batch of touched) {
        const covered = offset <= batch.offset && end >= batch.offset + batch.limit
        batch.attempts++
        batch.lastStatus = outcome.status
        batch.updatedAt = at
        batch.retryAfterSeconds = outcome.retryAfterSeconds ?? null
        batch.error = outcome.error ?? null
        if (outcome.status === 'error') batch.state = 'failed'
        else if (outcome.status === 'complete' && covered) batch.state = 'done'
        else if (batch.state !== 'done') batch.state = 'pending'
        if (touched.length === 1) {
          batch.records = outcome.records
          batch.failures = outcome.failures
        }
      }
      await state.write(nameFor(planId), plan, { compact: true })
    })
  }

  async function recordWritten (planId: string, offset: number): Promise<void> {
    await locks.run([planId], async () => {
      const plan = await getStored(planId)
      const batch = plan.batches.find((b) => b.offset <= offset && offset < b.offset + b.limit)
      // A partial (rate-limited) fetch leaves the batch pending: what it wrote is not the whole batch.
      if (!batch || batch.state !== 'done') return
      batch.writtenAt = now().toISOString()
      await state.write(nameFor(planId), plan, { compact: true })
    })
  }

  return { create, get, itemsAt, checkOffset, recordOutcome, recordWritten }
}

/** What GET /v1/plans/{planId} shows: progress without the item snapshot. */
export function summarisePlan (plan: PlanRecord) {
  const count = (state: BatchState): number => plan.batches.filter((b) => b.state === state).length
  const rateLimited = plan.batches.filter((b) => b.state === 'pending' && b.lastStatus === 'rate_limited').length
  return {
    planId: plan.planId,
    stage: plan.stage,
    resource: plan.resource,
    createdAt: plan.createdAt,
    expiresAt: plan.expiresAt,
    total: plan.total,
    batchSize: plan.batchSize,
    totals: {
      batches: plan.batches.length,
      pending: count('pending'),
      done: count('done'),
      failed: count('failed'),
      rateLimited,
      written: plan.batches.filter((b) => b.writtenAt !== null).length,
      records: plan.batches.reduce((sum, b) => sum + b.records, 0),
      failures: plan.batches.reduce((sum, b) => sum + b.failures, 0),
    },
    batches: plan.batches,
  }
}
