import fs from 'node:fs/promises'
import path from 'node:path'
import { quotedIdentifier as qi, quotedString as qs, type DuckDBConnection } from '@duckdb/node-api'
import type { FastifyBaseLogger } from 'fastify'
import { commitTemp, emptySelect, writeTemp } from './parquet-file.ts'
import { execute, readRows } from './rows.ts'
import type { TableDef } from './table.ts'

/**
 * Makes `file` hold `table` as declared: a missing file becomes an empty file with the full schema (any parquet tool
 * can open a fresh lake; its mtime is the epoch, which the table list reads as "never written"); a file written by an
 * older version is rewritten with the current columns, after a backup copy under lake/.backup/.
 */
export async function prepareTable (conn: DuckDBConnection, table: TableDef, file: string, log: FastifyBaseLogger): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true })
  const exists = await fs.stat(file).then(() => true, () => false)
  if (!exists) {
    await commitTemp(await writeTemp(conn, file, table, emptySelect(table)), file)
    await fs.utimes(file, 0, 0)
  } else {
    await migrateIfNeeded(conn, table, file, log)
  }
  await execute(conn, `CREATE OR REPLACE VIEW ${qi(table.name)} AS SELECT * FROM read_parquet(${qs(file)})`)
}

async function migrateIfNeeded (conn: DuckDBConnection, table: TableDef, file: string, log: FastifyBaseLogger): Promise<void> {
  const described = await readRows(conn, 'SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet($file))', { file })
  const stored = new Map(described.map((row) => [String(row.column_name), String(row.column_type)]))
  // DuckDB spells types its own way (TIMESTAMPTZ is TIMESTAMP WITH TIME ZONE): compare what it says of both.
  const expected = await readRows(conn, `SELECT column_name, column_type FROM (DESCRIBE ${emptySelect(table)})`)
  const spell = (rows: Array<[string, string]>) => rows.map(([name, type]) => `${name}:${type}`).join(',')
  if (spell(expected.map((r) => [String(r.column_name), String(r.column_type)])) === spell([...stored])) return
  const dropped = [...stored.keys()].filter((name) => !table.columns.some((c) => c.name === name))
  const backup = path.join(path.dirname(path.dirname(file)), '.backup', `${table.name}-${Date.now()}.parquet`)
  await fs.mkdir(path.dirname(backup), { recursive: true })
  await fs.copyFile(file, backup)
  const select = table.columns.map((c) => stored.has(c.name)
    ? `TRY_CAST(${qi(c.name)} AS ${c.type}) AS ${qi(c.name)}`
    : `NULL::${c.type} AS ${qi(c.name)}`).join(', ')
  await commitTemp(await writeTemp(conn, file, table, `SELECT ${select} FROM read_parquet(${qs(file)})`), file)
  log.warn({ table: table.name, dropped, backup }, 'migrated table to the current schema')
}
