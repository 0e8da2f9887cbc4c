import type { FastifyBaseLogger } from 'fastify'
import { Type } from 'typebox'
import { clearFailures, recordFailures, type FailureInput } from '../../batch/failure-memory.ts'
import { planKeys } from '../../batch/plan-query.ts'
import type { SimpleStep } from '../../batch/simple-step.ts'
import { AppError } from '../../errors.ts'
import { createWaitBudget, RateLimited } from '../../http/rate-limited.ts'
import type { Lake, WriteTx } from '../../lake/lake.ts'
import { quarantine, quarantineRow } from '../../lake/quarantine.ts'
import { partitionStorable, type TableDef } from '../../lake/table.ts'
import { MusicBrainzUnavailable, type MusicBrainzClient } from './client.ts'
import { areaRow, hierarchyRow, walkAreaChain } from './mappers.ts'
import { backgroundWrites, type BackgroundWrites, type RawAnswers } from './raw-answers.ts'
import { mbzAreaHierarchy, mbzAreas, mbzArtistInfo, type AreaHierarchyRow, type AreaRow } from './tables.ts'
import type { MusicBrainzTransport } from './transport.ts'

/**
 * The hierarchy columns this stage owns, as one comparable string. Not `country_code`: the geography stage settles it
 * (a former country's code, a territory's own), and MusicBrainz's code is in `path` already. Compared, it made every
 * parse after a geography run see East Germany's row as changed and clear its geography, run after run.
 */
function ownPart (row: AreaHierarchyRow): string {
  const path = (row.path ?? []).map((p) => [p.id, p.type, p.name, (p.iso_3166_1 ?? []).join(','), (p.iso_3166_2 ?? []).join(',')])
  return JSON.stringify([row.area_type, row.area_name, path, row.city, row.municipality, row.district, row.county, row.subdivision, row.subdivision_code, row.country, row.island])
}

/**
 * Whether a rebuilt hierarchy row differs from the stored one in this stage's columns. An unchanged row is left alone
 * (with the geography stage's columns); a changed one is written whole, its geography columns cleared, so the
 * geography stage works it out again.
 */
export function chainChanged (fresh: AreaHierarchyRow, stored: AreaHierarchyRow): boolean {
  return ownPart(fresh) !== ownPart(stored)
}

export async function loadAreas (lake: Lake | WriteTx): Promise<Map<string, AreaRow>> {
  const rows = await lake.query('SELECT * FROM mbz_areas') as unknown as AreaRow[]
  return new Map(rows.map((row) => [row.id, row]))
}

/**
 * Stores rows an upstream gave, each that the lake can store; the others go to the quarantine table with the reason.
 * Answers the keys (by `keyOf`) that were set aside.
 */
export async function mergeStorable<R extends Record<string, unknown>> (tx: WriteTx, table: TableDef, rows: readonly R[], source: string, at: string, keyOf: (row: R) => string): Promise<{ inserted: number, updated: number, unchanged: number, rejected: string[] }> {
  const { storable, rejected } = partitionStorable(table, rows)
  if (rejected.length > 0) await tx.merge(quarantine, rejected.map((bad) => quarantineRow(table.name, source, bad, at)))
  const result = await tx.merge(table, storable)
  return { inserted: result.inserted, updated: result.updated, unchanged: result.unchanged, rejected: rejected.map((bad) => keyOf(bad.row as R)) }
}

const hierarchyResult = {
  calls: Type.Integer({ description: 'MusicBrainz requests made' }),
  areasFetched: Type.Integer({ description: 'areas looked up (each once ever: mbz_areas and raw/ are the cache)' }),
  hierarchyRows: Type.Integer({ description: 'mbz_area_hierarchy rows written' }),
  failures: Type.Integer({ description: 'areas recorded in the failure memory (unknown to MusicBrainz)' }),
}

export type HierarchyStep = SimpleStep<Record<string, never>, typeof hierarchyResult>

/** Areas fetched before the new ones are written, so a long call that is stopped loses little (raw/ keeps them anyway). */
const flushEvery = 100
/**
 * Chains walked at once. The limiter still sends one request at a time; a second walker keeps the next request queued
 * while an answer is read, so the budget is never idle. Walkers share every lookup: an area is fetched once.
 */
const walkers = 3

type Outcome = { row: AreaHierarchyRow } | { failure: FailureInput }

/**
 * For every area, begin area and end area of the matched artists not yet in mbz_area_hierarchy: walk the backward
 * "part of" relation up to the country, fetching each area once ever, and write the chain. An area MusicBrainz does not
 * know (404) is a failure with backoff; a lookup that fails otherwise leaves its area for the next call, never a half row.
 */
export function createHierarchyStep (deps: {
  lake: Lake
  transport: MusicBrainzTransport
  answers: RawAnswers
  now: () => Date
  log: FastifyBaseLogger
}): HierarchyStep {
  const { lake, answers, now } = deps
  const scope = { stage: 'musicbrainz', resource: 'areas' }
  // One walk at a time in the process: two would fetch the same new areas.
  let running: Promise<unknown> = Promise.resolve()

  async function walk (timeUp: () => boolean) {
    const candidates = await planKeys(lake, {
      ...scope,
      candidates: `
        SELECT id, count(*) AS weight FROM (
          SELECT area_id AS id FROM ${mbzArtistInfo.name}
          UNION ALL SELECT begin_area_id FROM ${mbzArtistInfo.name}
          UNION ALL SELECT end_area_id FROM ${mbzArtistInfo.name})
        WHERE id IS NOT NULL GROUP BY id`,
      done: { table: mbzAreaHierarchy, column: 'area_id' },
    }, { now: now() })
    const known = await loadAreas(lake)
    const client = deps.transport.client(createWaitBudget())
    const counts = { calls: 0, areasFetched: 0, hierarchyRows: 0, failures: 0 }
    const landings = backgroundWrites()
    const inflight = new Map<string, Promise<AreaRow | undefined>>()
    const unknown = new Set<string>()
    let fresh: AreaRow[] = []
    let rows: AreaHierarchyRow[] = []
    let failures: FailureInput[] = []
    let processed = 0
    let stopped: { error: RateLimited | AppError } | undefined
    // The lake is written while the walk goes on; one write at a time, in order.
    let flushing: Promise<void> = Promise.resolve()
    let flushFailed: { error: unknown } | undefined

    function flush (): void {
      if (fresh.length + rows.length + failures.length === 0) return
      const batch = { fresh, rows, failures }
      fresh = []
      rows = []
      failures = []
      flushing = flushing.then(() => write(batch, counts)).catch((error: unknown) => { flushFailed ??= { error } })
    }

    /** An area from what is known, the lookup another walker already started, or a new lookup. */
    function area (id: string): Promise<AreaRow | undefined> {
      const row = known.get(id)
      if (row || unknown.has(id)) return Promise.resolve(row)
      let pending = inflight.get(id)
      if (!pending) {
        pending = lookup(id, client, counts, landings).then((found) => {
          if (found) {
            known.set(id, found)
            fresh.push(found)
          } else {
            unknown.add(id)
          }
          return found
        })
        inflight.set(id, pending)
        pending.then(() => inflight.delete(id), () => inflight.delete(id))
      }
      return pending
    }

    /** The chain of one area, fetching what is missing; a row only once the chain is whole. */
    async function resolve (rootId: string): Promise<Outcome> {
      for (;;) {
        const chain = walkAreaChain(rootId, (id) => known.get(id))
        if (chain.complete) return { row: { ...hierarchyRow(chain.chain)!, area_id: rootId } }
        const missing = chain.missingId
        if (!await area(missing)) {
          const where = missing === rootId ? '' : `, an ancestor of ${rootId}`
          return { failure: { entity_id: rootId, reason: `area ${missing}${where} is unknown to MusicBrainz (404)`, http_status: 404, failed_at: now().toISOString() } }
        }
      }
    }

    const queue = [...candidates]
    async function walker (): Promise<void> {
      for (let id = queue.shift(); id !== undefined && !stopped && !flushFailed && !timeUp(); id = queue.shift()) {
        let outcome: Outcome
        try {
          outcome = await resolve(id)
        } catch (err) {
          if (!(err instanceof RateLimited) && !(err instanceof AppError)) throw err
          stopped ??= { error: err }
          return
        }
        if ('row' in outcome) rows.push(outcome.row)
        else failures.push(outcome.failure)
        processed++
        if (fresh.length >= flushEvery) flush()
      }
    }

    await Promise.all(Array.from({ length: walkers }, walker))
    flush()
    await flushing
    await landings.settled()
    if (flushFailed) throw flushFailed.error
    if (stopped?.error instanceof AppError) throw stopped.error
    const limited = stopped?.error
    return {
      processed,
      remaining: candidates.length - processed,
      status: limited ? 'rate_limited' as const : 'complete' as const,
      ...(limited ? { retryAfterSeconds: limited.retryAfterSeconds } : {}),
      ...counts,
    }
  }

  /** Stores fetched areas and whole chains; a chain the lake cannot store becomes a failure. */
  async function write (batch: { fresh: AreaRow[], rows: AreaHierarchyRow[], failures: FailureInput[] }, counts: { hierarchyRows: number, failures: number }): Promise<void> {
    const at = now().toISOString()
    const written = await lake.write([mbzAreas, mbzAreaHierarchy, quarantine], async (tx) => {
      await mergeStorable(tx, mbzAreas, batch.fresh, 'musicbrainz:area lookups', at, (row) => row.id)
      return mergeStorable(tx, mbzAreaHierarchy, batch.rows, 'musicbrainz:area chains', at, (row) => row.area_id)
    })
    const failures = [...batch.failures]
    for (const id of written.rejected) failures.push({ entity_id: id, reason: 'the area chain cannot be stored (see the quarantine table)', http_status: 200, failed_at: at })
    const stored = batch.rows.map((r) => r.area_id).filter((id) => !written.rejected.includes(id))
    await clearFailures(lake, scope, stored)
    await recordFailures(lake, scope, failures)
    counts.hierarchyRows += stored.length
    counts.failures += failures.length
  }

  /** One area: from raw/ when an earlier call landed it, else from MusicBrainz (and landed). Undefined when unknown. */
  async function lookup (id: string, client: MusicBrainzClient, counts: { calls: number, areasFetched: number }, landings: BackgroundWrites): Promise<AreaRow | undefined> {
    const kept = await answers.loadArea(id)
    if (kept?.status === 200) {
      const row = areaRow(kept.body, kept.fetchedAt)
      if (row) return { ...row, id }
    }
    const answer = await client.area(id)
    counts.calls += answer.calls
    counts.areasFetched++
    const at = now().toISOString()
    landings.add(answers.saveArea(id, answer.raw[answer.raw.length - 1]!, at))
    if (answer.result.kind === 'unknown-area') return undefined
    const row = areaRow(answer.result.area, at)
    if (!row) throw new MusicBrainzUnavailable(200, answer.raw[0]?.url ?? id, 'the area answer has no id')
    // A merged area answers under its new id: it is kept under the id that was asked for, which the chain follows.
    return { ...row, id }
  }

  return {
    name: 'musicbrainz.areas.hierarchy',
    tag: 'musicbrainz',
    summary: 'Walk the areas of matched artists up to their country and write mbz_areas and mbz_area_hierarchy',
    description: 'Each area is fetched once ever (mbz_areas and raw/musicbrainz/areas/ are the cache). Works for about maxSeconds, ' +
      'then answers done: false; call again until done. An area MusicBrainz does not know is recorded in the failure memory ' +
      '(resource areas) and retried after its backoff; a failed lookup is retried by the next call.',
    body: {},
    result: hierarchyResult,
    errors: ['NOT_CONFIGURED', 'UPSTREAM_FAILED', 'UPSTREAM_TIMEOUT', 'LAKE_WRITE_FAILED'],
    defaultMaxSeconds: 60,
    run: (_body, { timeUp }) => {
      deps.transport.requireContact()
      const run = running.then(() => walk(timeUp), () => walk(timeUp))
      running = run.catch(() => {})
      return run
    },
  }
}
