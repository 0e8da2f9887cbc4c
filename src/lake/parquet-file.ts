import fs from 'node:fs/promises'
import path from 'node:path'
import { quotedIdentifier as qi, quotedString as qs, type DuckDBConnection } from '@duckdb/node-api'
import { commitFile, tempPathFor } from './atomic-file.ts'
import { execute, type SqlParams } from './rows.ts'
import { tableSwaps } from './swap-gate.ts'
import type { TableDef } from './table.ts'

/**
 * Small row groups keep the writer's buffers small (a 122,880-row group holds a large table's rows in memory). Writing
 * a million plays on two threads peaked 13 MB lower at 8,192 rows than at 16,384, in the same time.
 */
export const rowGroupSize = 8_192

export const columnList = (table: TableDef, alias?: string): string =>
  table.columns.map((c) => (alias ? `${alias}.${qi(c.name)}` : qi(c.name))).join(', ')

/** A query with the table's columns and no rows: the schema of an empty table. */
export const emptySelect = (table: TableDef): string =>
  `SELECT ${table.columns.map((c) => `NULL::${c.type} AS ${qi(c.name)}`).join(', ')} LIMIT 0`

export const tableFile = (lakeDir: string, table: TableDef): string => path.join(lakeDir, table.name, `${table.name}.parquet`)

/** Writes the rows of `select` (in the table's column order and sort order) to a temp file beside the table's file. */
export async function writeTemp (conn: DuckDBConnection, target: string, table: TableDef, select: string, params?: SqlParams): Promise<string> {
  const temp = tempPathFor(target)
  const order = table.orderBy.length > 0 ? ` ORDER BY ${table.orderBy.map((c) => qi(c)).join(', ')}` : ''
  try {
    await execute(conn, `COPY (SELECT ${columnList(table)} FROM (${select})${order}) TO ${qs(temp)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${rowGroupSize})`, params)
  } catch (err) {
    // The write's own error is the one to report, even when the temp file cannot be removed (the next start does).
    await fs.rm(temp, { force: true }).catch(() => {})
    throw err
  }
  return temp
}

const generations = new Map<string, number>()

/**
 * How many times this process replaced `file`. Counted inside the swap gate: a statement runs wholly before or after a
 * rename, so a reader that sees the same number before and after its statement read that one version (a cache key).
 */
export const fileGeneration = (file: string): number => generations.get(file) ?? 0

/** Makes a written temp file the table's file (fsync, rename, fsync the folder); the temp file is gone either way. */
export async function commitTemp (temp: string, target: string, beforeRename?: () => Promise<void> | void): Promise<void> {
  try {
    await beforeRename?.()
    await commitFile(temp, target, (rename) => tableSwaps.swap(async () => {
      try {
        await rename()
      } finally {
        generations.set(target, fileGeneration(target) + 1)
      }
    }))
  } catch (err) {
    // The write's own error is the one to report, even when the temp file cannot be removed (the next start does).
    await fs.rm(temp, { force: true }).catch(() => {})
    throw err
  }
}
