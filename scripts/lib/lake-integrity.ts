// Checks a lake from outside the service: every table file read by a fresh DuckDB, keys unique, and a table compared
// with the versions it may legally be after a crash. The fault suite uses them; the bench and e2e may too.
import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { DuckDBInstance, quotedIdentifier as qi, type DuckDBConnection } from '@duckdb/node-api'
import { call } from './http.ts'

export interface TableKey {
  name: string
  key: string[]
}

/** One table as a fresh reader sees it: its rows as content hashes (a multiset), and whether its key is unique. */
export interface TableState {
  rows: number
  distinctKeys: number
  nullKeys: number
  /** the sum of every row's content hash with the row count: equal for equal tables (as multisets of rows) */
  fingerprint: string
  /** each row's content hash, sorted (only when asked for: `rowsMissing` needs them) */
  hashes?: string[]
}

export type LakeState = Map<string, TableState>

export interface LakeRead {
  state: LakeState
  /** a file that is missing or unreadable, a null or repeated key */
  problems: string[]
  /** rows read from all files */
  rows: number
}

export interface DatabaseRead {
  tables: number
  rows: number
  /** one hash over every table's name and row count */
  fingerprint: string
}

export interface LakeReader {
  /** Reads `<dataDir>/lake/<table>/<table>.parquet` of every table, with no service involved. */
  read (dataDir: string, tables: readonly TableKey[], options?: { hashes?: boolean }): Promise<LakeRead>
  /**
   * Any query on the reader's own DuckDB (read files with read_parquet($file): one version of it, even while the service
   * replaces it); answers rows as JSON values.
   */
  query (sql: string, params?: Record<string, string>): Promise<Array<Record<string, unknown>>>
  /** Opens a DuckDB database file read-only and counts the rows of each of its tables (the warehouse). */
  readDatabase (file: string): Promise<DatabaseRead>
  close (): void
}

export const tableFile = (dataDir: string, table: string): string => path.join(dataDir, 'lake', table, `${table}.parquet`)

const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex')

async function rowsOf (conn: DuckDBConnection, sql: string, params?: Record<string, string>): Promise<Array<Record<string, unknown>>> {
  const reader = await conn.runAndReadAll(sql, params)
  return reader.getRowObjectsJson() as Array<Record<string, unknown>>
}

let pins = 0

/**
 * Runs `read` on one version of `file`, held by a hard link (a copy across filesystems) for as long as it runs. DuckDB
 * opens a parquet file more than once in a statement (its footer, then its pages): a table renamed over in between, as
 * the service does while this reader polls, would hand it the pages of another version. The service's own readers are
 * kept apart from its renames by its swap gate; a reader outside it needs a pinned version.
 */
async function pinnedVersion<T> (file: string, read: (version: string) => Promise<T>): Promise<T> {
  const pin = path.join(os.tmpdir(), `tracklake-reader-${process.pid}-${pins++}.parquet`)
  try {
    await fs.link(file, pin)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return read(file)
    if (code !== 'EXDEV') throw err
    await fs.copyFile(file, pin)
  }
  try {
    return await read(pin)
  } finally {
    await fs.rm(pin, { force: true })
  }
}

/** rowsOf, with `$file` (when given) read from one pinned version. */
const rowsOfPinned = (conn: DuckDBConnection, sql: string, params?: Record<string, string>): Promise<Array<Record<string, unknown>>> =>
  params?.file === undefined ? rowsOf(conn, sql, params) : pinnedVersion(params.file, (file) => rowsOf(conn, sql, { ...params, file }))

export async function createLakeReader (): Promise<LakeReader> {
  // Tables are replaced by rename: a cache keyed on the path could answer with the old file's blocks.
  const instance = await DuckDBInstance.create(':memory:', { enable_external_file_cache: 'false', threads: '1' })
  const conn = await instance.connect()
  await conn.run("SET TimeZone = 'UTC'")

  // Both statements read one version.
  const readTable = (dataDir: string, table: TableKey, withHashes: boolean): Promise<TableState> =>
    pinnedVersion(tableFile(dataDir, table.name), (file) => readVersion(file, table, withHashes))

  async function readVersion (file: string, table: TableKey, withHashes: boolean): Promise<TableState> {
    const keys = table.key.map((k) => qi(k))
    const keyTuple = keys.length === 1 ? keys[0]! : `(${keys.join(', ')})`
    // One pass: counts, and the sum of the rows' content hashes (order does not matter, a doubled row does).
    const [counts] = await rowsOf(conn, `SELECT count(*)::BIGINT AS n, count(DISTINCT ${keyTuple})::BIGINT AS k,
      count(*) FILTER (WHERE ${keys.map((k) => `${k} IS NULL`).join(' OR ')})::BIGINT AS nulls,
      coalesce(sum(hash(t::VARCHAR)::HUGEINT), 0)::VARCHAR AS fingerprint FROM read_parquet($file) t`, { file })
    const hashes = withHashes ? (await rowsOf(conn, 'SELECT hash(t::VARCHAR)::VARCHAR AS h FROM read_parquet($file) t', { file })).map((r) => String(r.h)).sort() : undefined
    return {
      rows: Number(counts?.n ?? 0),
      distinctKeys: Number(counts?.k ?? 0),
      nullKeys: Number(counts?.nulls ?? 0),
      fingerprint: `${counts?.n}:${counts?.fingerprint}`,
      hashes,
    }
  }

  return {
    async read (dataDir, tables, options = {}) {
      const state: LakeState = new Map()
      const problems: string[] = []
      let rows = 0
      for (const table of tables) {
        try {
          const read = await readTable(dataDir, table, options.hashes ?? false)
          state.set(table.name, read)
          rows += read.rows
          if (read.nullKeys > 0) problems.push(`${table.name}: ${read.nullKeys} rows without a key`)
          if (read.distinctKeys + (read.nullKeys > 0 ? 1 : 0) < read.rows) problems.push(`${table.name}: ${read.rows - read.distinctKeys} rows repeat a key (${table.key.join(', ')})`)
        } catch (err) {
          problems.push(`${table.name}: its parquet file does not read (${(err as Error).message.split('\n')[0]})`)
        }
      }
      return { state, problems, rows }
    },

    query: (sql, params) => rowsOfPinned(conn, sql, params),

    async readDatabase (file) {
      await fs.access(file)
      const alias = `db_${sha1(file).slice(0, 8)}`
      await conn.run(`ATTACH '${file.replace(/'/g, "''")}' AS ${alias} (READ_ONLY)`)
      try {
        const tables = await rowsOf(conn, 'SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = $db ORDER BY ALL', { db: alias })
        let rows = 0
        const parts: string[] = []
        for (const t of tables) {
          const [count] = await rowsOf(conn, `SELECT count(*)::BIGINT AS n FROM ${qi(alias)}.${qi(String(t.schema_name))}.${qi(String(t.table_name))}`)
          rows += Number(count?.n ?? 0)
          parts.push(`${t.schema_name}.${t.table_name}=${count?.n}`)
        }
        return { tables: tables.length, rows, fingerprint: sha1(parts.join(',')) }
      } finally {
        await conn.run(`DETACH ${alias}`)
      }
    },

    close () {
      conn.closeSync()
      instance.closeSync()
    },
  }
}

export type Version = 'old' | 'new' | 'mixed'

/**
 * Which version of a table a crash left: the one before the interrupted call (`before`), the one the call makes when it
 * runs to the end (`final`, after a re-run), or neither — a mix, which an atomic commit never leaves.
 */
export function versionOf (before: TableState | undefined, after: TableState | undefined, final: TableState | undefined): Version {
  if (after && before && after.fingerprint === before.fingerprint) return 'old'
  if (after && final && after.fingerprint === final.fingerprint) return 'new'
  return 'mixed'
}

/** Rows in `from` that `to` lacks (as a multiset): rows a later version lost. Both must be read with `hashes`. */
export function rowsMissing (from: TableState, to: TableState): number {
  if (!from.hashes || !to.hashes) throw new Error('rowsMissing needs tables read with { hashes: true }')
  const left = new Map<string, number>()
  for (const h of to.hashes) left.set(h, (left.get(h) ?? 0) + 1)
  let missing = 0
  for (const h of from.hashes) {
    const n = left.get(h) ?? 0
    if (n > 0) left.set(h, n - 1)
    else missing++
  }
  return missing
}

export interface ServiceRead {
  tables: TableKey[]
  rows: number
  problems: string[]
}

/**
 * Every table read through the service: GET /v1/tables lists it, and GET /v1/tables/{name} answers its first and last
 * page (of `pageRows`, default 200) with the same total. With `expected` (a fresh read of the files), the totals must
 * match the files too.
 */
export async function readThroughService (baseUrl: string, options: { headers?: Record<string, string>, expected?: LakeState, pageRows?: number } = {}): Promise<ServiceRead> {
  const page = options.pageRows ?? 200
  const problems: string[] = []
  const list = await call(baseUrl, 'GET', '/v1/tables', undefined, { headers: options.headers })
  if (list.status !== 200) return { tables: [], rows: 0, problems: [`GET /v1/tables answered ${list.status}`] }
  const listed = list.body.tables as Array<{ name: string, key: string[], rowCount: number }>
  let rows = 0
  const queue = [...listed]
  // Four tables at a time: the reads are independent, and a restarted service is checked sooner.
  await Promise.all(Array.from({ length: 4 }, async () => {
    for (let table = queue.shift(); table; table = queue.shift()) {
      const read = await readOne(table)
      rows += read
    }
  }))
  return { tables: listed.map((t) => ({ name: t.name, key: t.key })), rows, problems }

  async function readOne (table: { name: string, rowCount: number }): Promise<number> {
    let read = 0
    const first = await call(baseUrl, 'GET', `/v1/tables/${table.name}?limit=${page}`, undefined, { headers: options.headers })
    if (first.status !== 200) {
      problems.push(`GET /v1/tables/${table.name} answered ${first.status}`)
      return 0
    }
    const total = Number(first.body.total)
    read += first.body.rows.length
    if (total > page) {
      const last = await call(baseUrl, 'GET', `/v1/tables/${table.name}?limit=${page}&offset=${total - page}`, undefined, { headers: options.headers })
      if (last.status !== 200 || last.body.rows.length !== page) problems.push(`the last page of ${table.name} answered ${last.status} with ${last.body?.rows?.length} rows`)
      else read += page
    } else if (first.body.rows.length !== total) {
      problems.push(`${table.name}: total ${total} but ${first.body.rows.length} rows read`)
    }
    if (table.rowCount !== total) problems.push(`${table.name}: GET /v1/tables says ${table.rowCount} rows, the table read says ${total}`)
    const file = options.expected?.get(table.name)
    if (file && file.rows !== total) problems.push(`${table.name}: the service reads ${total} rows, its file holds ${file.rows}`)
    return read
  }
}
