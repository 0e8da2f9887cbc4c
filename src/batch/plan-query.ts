import { quotedIdentifier as qi } from '@duckdb/node-api'
import type { Lake, SqlParams } from '../lake/lake.ts'
import type { TableDef } from '../lake/table.ts'
import { relationCache } from './relation-cache.ts'
import { enrichmentFailures } from './tables.ts'

export interface PlanQuery {
  stage: string
  resource: string
  /**
   * SQL giving the candidates: a column `id` (the key to work on) and a column `weight` (how much it matters, e.g.
   * plays), one row per id. It may bind its own `params`. It must read lake tables only, each by its name (they decide
   * when the kept answer is stale), and nothing that changes without a table write (no now(), no random()).
   */
  candidates: string
  /** Work is done for a candidate once `table` holds a row whose `column` equals its id. */
  done: { table: TableDef, column: string }
  params?: SqlParams
}

/**
 * The ordered keys needing work: candidates not done yet and not waiting in failure backoff, most weighty first, ties
 * by key, so a plan is the same list whoever takes it.
 *
 * The candidates (a scan of every play, grouped per key) are kept between plans until a table they read is replaced
 * (relation-cache.ts); what is done and what waits in backoff is read anew each time. The keys come back as one JSON
 * list: a 60,000-key plan is one value to convert, not 60,000 rows.
 */
export async function planKeys (lake: Lake, query: PlanQuery, options: { now: Date, limit?: number }): Promise<string[]> {
  // Ranked once when kept: each plan then orders by an integer, not by weight and a string key.
  const candidates = await relationCache(lake).rows(`
    SELECT id, row_number() OVER (ORDER BY weight DESC, id) AS rank FROM (${query.candidates}) WHERE id IS NOT NULL`, query.params)
  const [row] = await lake.query(`
    SELECT coalesce(to_json(list(id::VARCHAR ORDER BY rank)), '[]')::VARCHAR AS ids FROM (
      SELECT c.id, c.rank FROM ${qi(candidates.table)} c
      ANTI JOIN ${qi(query.done.table.name)} d ON d.${qi(query.done.column)} = c.id
      ANTI JOIN (
        SELECT entity_id FROM ${qi(enrichmentFailures.name)}
        WHERE stage = $stage AND resource = $resource AND next_attempt_at > $now::TIMESTAMPTZ) f ON f.entity_id = c.id
      ${options.limit === undefined ? '' : 'ORDER BY c.rank LIMIT $limit'})`, {
    stage: query.stage,
    resource: query.resource,
    now: options.now.toISOString(),
    ...(options.limit === undefined ? {} : { limit: options.limit }),
  })
  return JSON.parse(String(row?.ids ?? '[]')) as string[]
}
