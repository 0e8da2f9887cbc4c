import { quotedIdentifier as qi } from '@duckdb/node-api'
import { columnList } from './parquet-file.ts'
import type { JsonRow, SqlParams } from './rows.ts'
import type { TableDef } from './table.ts'

/** A row handed to a writer: column name → value. Timestamps may be Date objects or ISO strings. */
export type InputRow = Record<string, unknown>

export interface WriteResult {
  table: string
  /** rows that were not stored before */
  inserted: number
  /** rows whose key was stored with other values */
  updated: number
  /** rows removed (group replacement) */
  deleted: number
  /** rows already stored exactly as given */
  unchanged: number
  /** strings with lone surrogates, stored with U+FFFD in their place */
  repaired: number
  /** false when nothing changed and the file was left alone */
  written: boolean
}

/** What the upserts need of a write in progress (lake.ts's WriteTx). */
export interface UpsertTx {
  stage (table: TableDef, rows: readonly InputRow[]): Promise<{ name: string, repaired: number }>
  query (sql: string, params?: SqlParams): Promise<JsonRow[]>
  run (sql: string, params?: SqlParams): Promise<void>
  replaceWith (table: TableDef, select: string, params?: SqlParams): Promise<void>
}

export const nothingWritten = (table: TableDef): WriteResult => ({ table: table.name, inserted: 0, updated: 0, deleted: 0, unchanged: 0, repaired: 0, written: false })

const keyMatch = (table: TableDef, left: string, right: string): string =>
  table.key.map((k) => `${left}.${qi(k)} = ${right}.${qi(k)}`).join(' AND ')

async function count (tx: UpsertTx, sql: string): Promise<number> {
  const [row] = await tx.query(`SELECT count(*)::INTEGER AS n FROM (${sql})`)
  return Number(row?.n ?? 0)
}

/** Stages rows, keeping the last row given for each key, as if the rows had been written one by one. */
async function stageDeduped (tx: UpsertTx, table: TableDef, rows: readonly InputRow[]): Promise<{ name: string, repaired: number }> {
  const staged = await tx.stage(table, rows)
  const deduped = `${staged.name}_last`
  await tx.run(`CREATE TEMP TABLE ${deduped} AS SELECT ${columnList(table)} FROM ${staged.name}
    QUALIFY row_number() OVER (PARTITION BY ${table.key.map((k) => qi(k)).join(', ')} ORDER BY _ord DESC) = 1`)
  return { name: deduped, repaired: staged.repaired }
}

/** Upsert on the table key: new keys are inserted, stored keys replaced; identical rows change nothing. */
export async function mergeRows (tx: UpsertTx, table: TableDef, rows: readonly InputRow[]): Promise<WriteResult> {
  if (rows.length === 0) return nothingWritten(table)
  const incoming = await stageDeduped(tx, table, rows)
  const others = table.columns.filter((c) => !table.key.includes(c.name))
  const differs = others.length > 0
    ? others.map((c) => `c.${qi(c.name)} IS DISTINCT FROM i.${qi(c.name)}`).join(' OR ')
    : 'false'
  const changes = `${incoming.name}_changes`
  await tx.run(`CREATE TEMP TABLE ${changes} AS
    SELECT i.*, c.${qi(table.key[0]!)} IS NULL AS _is_new
    FROM ${incoming.name} i LEFT JOIN ${qi(table.name)} c ON ${keyMatch(table, 'c', 'i')}
    WHERE c.${qi(table.key[0]!)} IS NULL OR ${differs}`)
  const [stats] = await tx.query(`SELECT count(*) FILTER (WHERE _is_new)::INTEGER AS inserted,
    count(*) FILTER (WHERE NOT _is_new)::INTEGER AS updated FROM ${changes}`)
  const inserted = Number(stats?.inserted ?? 0)
  const updated = Number(stats?.updated ?? 0)
  const total = await count(tx, `SELECT 1 FROM ${incoming.name}`)
  if (inserted + updated > 0) {
    await tx.replaceWith(table, `
      SELECT ${columnList(table, 'c')} FROM ${qi(table.name)} c
      WHERE NOT EXISTS (SELECT 1 FROM ${changes} x WHERE ${keyMatch(table, 'x', 'c')})
      UNION ALL SELECT ${columnList(table)} FROM ${changes}`)
  }
  return { table: table.name, inserted, updated, deleted: 0, unchanged: total - inserted - updated, repaired: incoming.repaired, written: inserted + updated > 0 }
}

/** Inserts rows whose key is not stored yet; the others are counted as unchanged. */
export async function appendRows (tx: UpsertTx, table: TableDef, rows: readonly InputRow[]): Promise<WriteResult> {
  if (rows.length === 0) return nothingWritten(table)
  const incoming = await stageDeduped(tx, table, rows)
  const fresh = `${incoming.name}_fresh`
  await tx.run(`CREATE TEMP TABLE ${fresh} AS SELECT i.* FROM ${incoming.name} i
    WHERE NOT EXISTS (SELECT 1 FROM ${qi(table.name)} c WHERE ${keyMatch(table, 'c', 'i')})`)
  const inserted = await count(tx, `SELECT 1 FROM ${fresh}`)
  if (inserted > 0) {
    await tx.replaceWith(table, `SELECT ${columnList(table)} FROM ${qi(table.name)} UNION ALL SELECT ${columnList(table)} FROM ${fresh}`)
  }
  return { table: table.name, inserted, updated: 0, deleted: 0, unchanged: rows.length - inserted, repaired: incoming.repaired, written: inserted > 0 }
}

/** Replaces every stored row whose `column` is one of `groups` by the given rows. */
export async function replaceGroupRows (tx: UpsertTx, table: TableDef, column: string, groups: readonly string[], rows: readonly InputRow[]): Promise<WriteResult> {
  if (!table.columns.some((c) => c.name === column)) throw new Error(`${table.name} has no column ${column}`)
  if (groups.length === 0) return nothingWritten(table)
  const incoming = await stageDeduped(tx, table, rows)
  const groupTable = `${incoming.name}_groups`
  await tx.run(`CREATE TEMP TABLE ${groupTable} AS SELECT DISTINCT unnest($groups::VARCHAR[]) AS g`, { groups: [...groups] })
  const current = `SELECT ${columnList(table)} FROM ${qi(table.name)} WHERE ${qi(column)} IN (SELECT g FROM ${groupTable})`
  const given = `SELECT ${columnList(table)} FROM ${incoming.name}`
  const deleted = await count(tx, `${current} EXCEPT ${given}`)
  const inserted = await count(tx, `${given} EXCEPT ${current}`)
  if (deleted + inserted > 0) {
    await tx.replaceWith(table, `
      SELECT ${columnList(table)} FROM ${qi(table.name)} WHERE ${qi(column)} NOT IN (SELECT g FROM ${groupTable})
      UNION ALL ${given}`)
  }
  const total = await count(tx, given)
  return { table: table.name, inserted, updated: 0, deleted, unchanged: total - inserted, repaired: incoming.repaired, written: deleted + inserted > 0 }
}
