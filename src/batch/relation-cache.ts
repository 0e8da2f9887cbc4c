import fs from 'node:fs/promises'
import { quotedIdentifier as qi } from '@duckdb/node-api'
import type { Lake, SqlParams } from '../lake/lake.ts'
import { createLockSet } from '../lake/lock.ts'
import { fileGeneration } from '../lake/parquet-file.ts'
import type { TableDef } from '../lake/table.ts'

/**
 * The lake tables `sql` reads: every catalog table it names. Naming one it does not read only costs a rebuild more;
 * a query cannot read a table without naming it.
 */
export function tablesNamedIn (lake: Lake, sql: string): TableDef[] {
  return lake.tables.filter((table) => new RegExp(`(^|[^\\w$])${table.name}($|[^\\w$])`).test(sql))
}

/** What identifies the stored version of these tables: replaced in this process (generation) or behind its back (stat). */
async function versionOf (lake: Lake, tables: readonly TableDef[]): Promise<string> {
  const parts = await Promise.all(tables.map(async (table) => {
    const file = lake.filePath(table)
    const stat = await fs.stat(file, { bigint: true }).catch(() => null)
    const identity = stat ? `${stat.ino}.${stat.size}.${stat.mtimeNs}.${stat.ctimeNs}` : 'missing'
    return `${table.name}:${fileGeneration(file)}:${identity}`
  }))
  return parts.join('|')
}

interface Entry {
  table: string
  /** the version of the source tables the table holds the answer for; undefined while unknown */
  version: string | undefined
}

export interface CachedRelation {
  /** a DuckDB table of the engine holding the rows of the SQL, as of a version at least as new as the call */
  table: string
  /** false when the rows were computed by this call */
  reused: boolean
}

export interface RelationCache {
  /**
   * The rows of `sql` kept in a DuckDB table (in memory), computed again once a lake table it names was replaced.
   * Meant for a query over a large table whose answer is small (plays grouped per key), asked with few distinct
   * parameter values: each SQL and parameters keep one table for the life of the lake.
   */
  rows (sql: string, params?: SqlParams): Promise<CachedRelation>
}

const caches = new WeakMap<Lake, RelationCache>()

/** One cache per lake: its DuckDB tables live in that lake's engine. */
export function relationCache (lake: Lake): RelationCache {
  let cache = caches.get(lake)
  if (!cache) {
    cache = createRelationCache(lake)
    caches.set(lake, cache)
  }
  return cache
}

function createRelationCache (lake: Lake): RelationCache {
  const entries = new Map<string, Entry>()
  // Builds of one SQL run one after another, so the version noted is always the one its table holds.
  const locks = createLockSet()

  async function rows (sql: string, params?: SqlParams): Promise<CachedRelation> {
    // No parameter is an object, so a bigint spelled as one cannot meet another value.
    const key = JSON.stringify([sql, params ?? {}], (_, value: unknown) => typeof value === 'bigint' ? { bigint: value.toString() } : value)
    const sources = tablesNamedIn(lake, sql)
    return locks.run([key], async () => {
      let entry = entries.get(key)
      if (!entry) {
        entry = { table: `plan_cache_${entries.size + 1}`, version: undefined }
        entries.set(key, entry)
      }
      const before = await versionOf(lake, sources)
      if (entry.version === before) return { table: entry.table, reused: true }
      entry.version = undefined
      await lake.query(`CREATE OR REPLACE TABLE ${qi(entry.table)} AS ${sql}`, params)
      // One statement reads one version of every table; unchanged numbers around it say which. A table replaced
      // meanwhile leaves the version unknown: this answer is still a true snapshot, the next call builds again.
      const after = await versionOf(lake, sources)
      entry.version = before === after ? before : undefined
      return { table: entry.table, reused: false }
    })
  }

  return { rows }
}
