import { quotedIdentifier as qi } from '@duckdb/node-api'
import type { Lake, SqlParams } from '../lake/lake.ts'
import type { TableDef } from '../lake/table.ts'
import { enrichmentFailures } from './tables.ts'

const noLimit = 2 ** 31 - 1

export interface PlanQuery {
  stage: string
  resource: string
  /**
   * SQL giving the candidates: a column `id` (the key to work on) and a column `weight` (how much it matters, e.g.
   * plays). It may bind its own `params`; the names `stage`, `resource`, `now` and `limit` are the helper's.
   */
  candidates: string
  /** Work is done for a candidate once `table` holds a row whose `column` equals its id. */
  done: { table: TableDef, column: string }
  params?: SqlParams
}

/**
 * The ordered keys needing work: candidates not done yet and not waiting in failure backoff, most weighty first, ties
 * by key, so a plan is the same list whoever takes it.
 */
export async function planKeys (lake: Lake, query: PlanQuery, options: { now: Date, limit?: number }): Promise<string[]> {
  const failures = qi(enrichmentFailures.name)
  const rows = await lake.query(`
    WITH candidates AS (${query.candidates})
    SELECT c.id FROM candidates c
    WHERE c.id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM ${qi(query.done.table.name)} d WHERE d.${qi(query.done.column)} = c.id)
      AND NOT EXISTS (
        SELECT 1 FROM ${failures} f
        WHERE f.stage = $stage AND f.resource = $resource AND f.entity_id = c.id AND f.next_attempt_at > $now::TIMESTAMPTZ)
    ORDER BY c.weight DESC, c.id
    LIMIT $limit`, {
    ...query.params,
    stage: query.stage,
    resource: query.resource,
    now: options.now.toISOString(),
    limit: options.limit ?? noLimit,
  })
  return rows.map((row) => String(row.id))
}
