import type { Lake, WriteResult } from '../lake/lake.ts'
import { nothingWritten } from '../lake/upserts.ts'
import { enrichmentFailures } from './tables.ts'

export interface FailureInput {
  entity_id: string
  reason: string
  http_status?: number | null
  failed_at: string
}

export interface FailureScope {
  stage: string
  resource: string
}

/**
 * Records real misses. Posting the same failure twice changes nothing: a failure counts only when it is newer than the
 * last one stored for that entity.
 */
export async function recordFailures (lake: Lake, scope: FailureScope, failures: readonly FailureInput[]): Promise<WriteResult> {
  const empty = nothingWritten(enrichmentFailures)
  if (failures.length === 0) return empty
  return lake.write([enrichmentFailures], async (tx) => {
    const { name: staged } = await tx.stage(enrichmentFailures, failures.map((f) => ({
      stage: scope.stage,
      resource: scope.resource,
      entity_id: f.entity_id,
      reason: f.reason,
      http_status: f.http_status ?? null,
      last_failed_at: f.failed_at,
    })))
    // Several failures of one entity in one body count once, at the latest time.
    const latest = `${staged}_latest`
    await tx.run(`CREATE TEMP TABLE ${latest} AS SELECT * FROM ${staged}
      QUALIFY row_number() OVER (PARTITION BY entity_id ORDER BY last_failed_at DESC, _ord DESC) = 1`)
    const newer = `${staged}_newer`
    await tx.run(`CREATE TEMP TABLE ${newer} AS
      SELECT i.stage, i.resource, i.entity_id, i.reason, i.http_status,
             coalesce(c.attempts, 0) + 1 AS attempts,
             coalesce(c.first_failed_at, i.last_failed_at) AS first_failed_at,
             i.last_failed_at,
             c.entity_id IS NULL AS is_new
      FROM ${latest} i LEFT JOIN enrichment_failures c
        ON c.stage = i.stage AND c.resource = i.resource AND c.entity_id = i.entity_id
      WHERE c.entity_id IS NULL OR i.last_failed_at > c.last_failed_at`)
    const [counts] = await tx.query(`SELECT count(*) FILTER (WHERE is_new)::INTEGER AS inserted,
      count(*) FILTER (WHERE NOT is_new)::INTEGER AS updated FROM ${newer}`)
    const inserted = Number(counts?.inserted ?? 0)
    const updated = Number(counts?.updated ?? 0)
    if (inserted + updated > 0) {
      await tx.replaceWith(enrichmentFailures, `
        SELECT * FROM enrichment_failures c WHERE NOT EXISTS (
          SELECT 1 FROM ${newer} n WHERE n.stage = c.stage AND n.resource = c.resource AND n.entity_id = c.entity_id)
        UNION ALL
        -- The n-th failure waits 1, 2, 4, … days, at most 32.
        SELECT stage, resource, entity_id, reason, http_status, attempts, first_failed_at, last_failed_at,
               last_failed_at + to_days(least(CAST(pow(2, attempts - 1) AS INTEGER), 32)) AS next_attempt_at
        FROM ${newer}`)
    }
    return { ...empty, inserted, updated, unchanged: failures.length - inserted - updated, written: inserted + updated > 0 }
  })
}

/** Forgets failures of entities that were enriched after all. */
export async function clearFailures (lake: Lake, scope: FailureScope, entityIds: readonly string[]): Promise<number> {
  if (entityIds.length === 0) return 0
  return lake.write([enrichmentFailures], async (tx) => {
    const params = { stage: scope.stage, resource: scope.resource, ids: [...entityIds] }
    const match = 'stage = $stage AND resource = $resource AND list_contains($ids::VARCHAR[], entity_id)'
    const [row] = await tx.query(`SELECT count(*)::INTEGER AS n FROM enrichment_failures WHERE ${match}`, params)
    const removed = Number(row?.n ?? 0)
    if (removed > 0) await tx.replaceWith(enrichmentFailures, `SELECT * FROM enrichment_failures WHERE NOT (${match})`, params)
    return removed
  })
}
