import { randomUUID } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { DuckDBInstance, quotedIdentifier as qi, quotedString as qs, type DuckDBConnection } from '@duckdb/node-api'
import type { FastifyBaseLogger } from 'fastify'
import { AppError, invalidField } from '../errors.ts'
import { commitFile, removePartials, tempPathFor } from './atomic-file.ts'
import { createLockSet } from './lock.ts'
import { createStagingWriter } from './staging-writer.ts'
import { execute, readRows, type JsonRow, type SqlParams } from './rows.ts'
import { tables as catalog, type TableDef } from './tables.ts'

export type { JsonRow, SqlParams } from './rows.ts'

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
  /** false when nothing changed and the file was left alone */
  written: boolean
}

export interface TableStats {
  name: string
  description: string
  key: string[]
  columns: Array<{ name: string, type: string, description: string }>
  rowCount: number
  bytes: number
  lastWriteAt: string | null
}

/** What a custom writer sees inside the table locks. */
export interface WriteTx {
  conn: DuckDBConnection
  /** Loads rows into a temp table typed like `table` (plus an `_ord` column giving input order); returns its name. */
  stage (table: TableDef, rows: readonly InputRow[]): Promise<string>
  /** The same from files of JSON lines (each row with an `_ord` number), for inputs too large to hold as objects. */
  stageFiles (table: TableDef, files: readonly string[]): Promise<string>
  query (sql: string, params?: SqlParams): Promise<JsonRow[]>
  run (sql: string, params?: SqlParams): Promise<void>
  /**
   * Replaces `table` with the rows of `select` (its columns in catalog order) when the write commits. Later queries in
   * the same write already see the new rows.
   */
  replaceWith (table: TableDef, select: string, params?: SqlParams): Promise<void>
  merge (table: TableDef, rows: readonly InputRow[]): Promise<WriteResult>
  append (table: TableDef, rows: readonly InputRow[]): Promise<WriteResult>
  replaceGroups (table: TableDef, column: string, groups: readonly string[], rows: readonly InputRow[]): Promise<WriteResult>
}

export interface LakeHooks {
  /** Test seam: runs after a table's new file is written and fsynced, before it is renamed into place. */
  beforeRename?: (table: string) => Promise<void> | void
}

export interface LakeOptions {
  dataDir: string
  log: FastifyBaseLogger
  memoryLimit?: string
  threads?: number
  hooks?: LakeHooks
}

export interface Lake {
  readonly dataDir: string
  readonly lakeDir: string
  readonly rawDir: string
  readonly stateDir: string
  readonly tmpDir: string
  query (sql: string, params?: SqlParams): Promise<JsonRow[]>
  /** Upsert on the table key: new keys are inserted, stored keys replaced; identical rows change nothing. */
  merge (table: TableDef, rows: readonly InputRow[]): Promise<WriteResult>
  /** Insert rows whose key is not stored yet; the others are counted as unchanged. */
  append (table: TableDef, rows: readonly InputRow[]): Promise<WriteResult>
  /** Replace every stored row whose `column` is one of `groups` by the given rows. */
  replaceGroups (table: TableDef, column: string, groups: readonly string[], rows: readonly InputRow[]): Promise<WriteResult>
  /**
   * A custom write over one or more tables, under their locks; every replaced table commits atomically. `lean`: DuckDB
   * runs on one thread meanwhile (each thread keeps its own read and write buffers), for large imports.
   */
  write<T> (tablesToLock: readonly TableDef[], fn: (tx: WriteTx) => Promise<T>, options?: { lean?: boolean }): Promise<T>
  stats (): Promise<TableStats[]>
  filePath (table: TableDef): string
  ping (): Promise<void>
  close (): Promise<void>
}

const columnList = (table: TableDef, alias?: string): string =>
  table.columns.map((c) => (alias ? `${alias}.${qi(c.name)}` : qi(c.name))).join(', ')

const keyMatch = (table: TableDef, left: string, right: string, columns = table.key): string =>
  columns.map((k) => `${left}.${qi(k)} = ${right}.${qi(k)}`).join(' AND ')

const rowGroupSize = 16_384

const emptySelect = (table: TableDef): string =>
  `SELECT ${table.columns.map((c) => `NULL::${c.type} AS ${qi(c.name)}`).join(', ')} LIMIT 0`

export async function createLake (options: LakeOptions): Promise<Lake> {
  const dataDir = path.resolve(options.dataDir)
  const lakeDir = path.join(dataDir, 'lake')
  const rawDir = path.join(dataDir, 'raw')
  const stateDir = path.join(dataDir, 'state')
  const tmpDir = path.join(dataDir, 'tmp')
  const log = options.log
  const hooks = options.hooks ?? {}
  const locks = createLockSet()

  for (const dir of [lakeDir, rawDir, stateDir, tmpDir]) await fs.mkdir(dir, { recursive: true })
  const leftovers = await removePartials(lakeDir) + await removePartials(stateDir) + await removePartials(rawDir)
  if (leftovers > 0) log.warn({ files: leftovers }, 'removed unfinished files left by an interrupted write')
  await fs.rm(tmpDir, { recursive: true, force: true })
  await fs.mkdir(tmpDir, { recursive: true })

  // DuckDB's allocator keeps freed memory for reuse up to 128 MB (512 MB after bulk frees) by default, and purges
  // freed pages lazily: the service would carry one large import's peak for the rest of its life.
  const settings = {
    threads: String(options.threads ?? 2),
    allocator_flush_threshold: '4MB',
    allocator_bulk_deallocation_flush_threshold: '4MB',
  }
  const leanSettings = { threads: '1', allocator_flush_threshold: '1MB', allocator_bulk_deallocation_flush_threshold: '1MB' }
  let leanWrites = 0
  const instance = await DuckDBInstance.create(':memory:', {
    ...settings,
    memory_limit: options.memoryLimit ?? '512MB',
    // Tables are replaced by rename; a cache keyed on path could serve the old file's blocks.
    enable_external_file_cache: 'false',
    allocator_background_threads: 'true',
    temp_directory: path.join(tmpDir, 'duckdb'),
  })

  const filePath = (table: TableDef): string => path.join(lakeDir, table.name, `${table.name}.parquet`)

  async function withConnection<T> (fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const conn = await instance.connect()
    try {
      return await fn(conn)
    } finally {
      conn.closeSync()
    }
  }

  async function query (sql: string, params?: SqlParams): Promise<JsonRow[]> {
    return withConnection((conn) => readRows(conn, sql, params))
  }

  await withConnection(async (conn) => {
    // After creation: ICU, which owns TimeZone, loads with the instance.
    await conn.run("SET GLOBAL TimeZone = 'UTC'")
    for (const table of catalog) await prepareTable(conn, table)
  })

  async function prepareTable (conn: DuckDBConnection, table: TableDef): Promise<void> {
    const file = filePath(table)
    await fs.mkdir(path.dirname(file), { recursive: true })
    const exists = await fs.stat(file).then(() => true, () => false)
    if (!exists) {
      // An empty file with the full schema: any parquet tool can open a fresh lake. Its mtime is the epoch, which the
      // table list reads as "never written".
      await copyToFile(conn, table, emptySelect(table))
      await fs.utimes(file, 0, 0)
    } else {
      await migrateIfNeeded(conn, table, file)
    }
    await conn.run(`CREATE OR REPLACE VIEW ${qi(table.name)} AS SELECT * FROM read_parquet(${qs(file)})`)
  }

  async function migrateIfNeeded (conn: DuckDBConnection, table: TableDef, file: string): Promise<void> {
    const described = await readRows(conn, 'SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet($file))', { file })
    const stored = new Map(described.map((row) => [String(row.column_name), String(row.column_type)]))
    // DuckDB spells types its own way (TIMESTAMPTZ is TIMESTAMP WITH TIME ZONE): compare what it says of both.
    const expected = await readRows(conn, `SELECT column_name, column_type FROM (DESCRIBE ${emptySelect(table)})`)
    const spell = (rows: Array<[string, string]>) => rows.map(([name, type]) => `${name}:${type}`).join(',')
    if (spell(expected.map((r) => [String(r.column_name), String(r.column_type)])) === spell([...stored])) return
    const dropped = [...stored.keys()].filter((name) => !table.columns.some((c) => c.name === name))
    const backup = path.join(lakeDir, '.backup', `${table.name}-${Date.now()}.parquet`)
    await fs.mkdir(path.dirname(backup), { recursive: true })
    await fs.copyFile(file, backup)
    const select = table.columns.map((c) => stored.has(c.name)
      ? `TRY_CAST(${qi(c.name)} AS ${c.type}) AS ${qi(c.name)}`
      : `NULL::${c.type} AS ${qi(c.name)}`).join(', ')
    await copyToFile(conn, table, `SELECT ${select} FROM read_parquet(${qs(file)})`)
    log.warn({ table: table.name, dropped, backup }, 'migrated table to the current schema')
  }

  /** Writes `select` to a temp file beside the table and commits it by rename. */
  async function copyToFile (conn: DuckDBConnection, table: TableDef, select: string, params?: SqlParams): Promise<string> {
    const temp = await writeTemp(conn, table, select, params)
    await rename(table, temp)
    return temp
  }

  async function writeTemp (conn: DuckDBConnection, table: TableDef, select: string, params?: SqlParams): Promise<string> {
    const target = filePath(table)
    const temp = tempPathFor(target)
    const order = table.orderBy.length > 0 ? ` ORDER BY ${table.orderBy.map((c) => qi(c)).join(', ')}` : ''
    try {
      // Small row groups keep the writer's buffers small (a 122,880-row group holds a large table's rows in memory).
      await execute(conn, `COPY (SELECT ${columnList(table)} FROM (${select})${order}) TO ${qs(temp)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${rowGroupSize})`, params)
    } catch (err) {
      await fs.rm(temp, { force: true })
      throw err
    }
    return temp
  }

  async function rename (table: TableDef, temp: string): Promise<void> {
    try {
      await hooks.beforeRename?.(table.name)
      await commitFile(temp, filePath(table))
    } catch (err) {
      await fs.rm(temp, { force: true })
      throw err
    }
  }

  /**
   * Runs `fn` with DuckDB on one thread, handing every freed megabyte back: a large import's peak stays low, at some
   * cost in speed. The settings are instance-wide, so the last lean run to finish restores them.
   */
  async function lean<T> (fn: () => Promise<T>): Promise<T> {
    leanWrites++
    try {
      if (leanWrites === 1) await setAll(leanSettings)
      return await fn()
    } finally {
      // A failed restore must not turn a committed write into an error; the next lean write restores again.
      if (--leanWrites === 0) await setAll(settings).catch((err: unknown) => { log.error({ err }, 'restoring DuckDB settings after a lean write failed') })
    }
  }

  async function setAll (values: Record<string, string>): Promise<void> {
    for (const [name, value] of Object.entries(values)) await query(`SET GLOBAL ${name} = ${qs(value)}`)
  }

  async function write<T> (tablesToLock: readonly TableDef[], fn: (tx: WriteTx) => Promise<T>, options: { lean?: boolean } = {}): Promise<T> {
    return locks.run(tablesToLock.map((t) => t.name), () => options.lean ? lean(() => writeLocked(tablesToLock, fn)) : writeLocked(tablesToLock, fn))
  }

  /** The body of a write, its table locks held. */
  async function writeLocked<T> (tablesToLock: readonly TableDef[], fn: (tx: WriteTx) => Promise<T>): Promise<T> {
    return withConnection(async (conn) => {
      const pending = new Map<string, { table: TableDef, temp: string }>()
      const stagedFiles: string[] = []
      let staged = 0
      const tx: WriteTx = {
        conn,
        async stage (table, rows) {
          const dir = path.join(tmpDir, randomUUID())
          stagedFiles.push(dir)
          await fs.mkdir(dir)
          const writer = createStagingWriter(dir)
          for (const row of rows) await writer.write(row)
          return tx.stageFiles(table, (await writer.finish()).files)
        },
        async stageFiles (table, files) {
          const name = `staged_${++staged}`
          const columns = [...table.columns.map((c) => `${qs(c.name)}: ${qs(c.type)}`), `${qs('_ord')}: ${qs('BIGINT')}`].join(', ')
          // Staged rows go to parquet files, not a temp table: a large import never sits in memory, and later steps
          // read only the columns they need. One parquet file per input file keeps each conversion small.
          const parquets: string[] = []
          for (const file of files) {
            const parquet = path.join(tmpDir, `${randomUUID()}.parquet`)
            stagedFiles.push(parquet)
            await execute(conn, `COPY (SELECT * FROM read_ndjson($file, columns = {${columns}})) TO ${qs(parquet)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${rowGroupSize})`, { file })
            parquets.push(parquet)
          }
          const source = parquets.length > 0
            ? `read_parquet([${parquets.map((p) => qs(p)).join(', ')}])`
            : `(SELECT *, NULL::BIGINT AS _ord FROM (${emptySelect(table)}))`
          await conn.run(`CREATE TEMP VIEW ${name} AS SELECT * FROM ${source}`)
          return name
        },
        query: (sql, params) => readRows(conn, sql, params),
        run: (sql, params) => execute(conn, sql, params),
        async replaceWith (table, select, params) {
          if (!tablesToLock.includes(table)) throw new Error(`table ${table.name} is not locked by this write`)
          const temp = await writeTemp(conn, table, select, params)
          // Read-your-writes: a temp view shadows the table for the rest of this write (this connection only).
          await conn.run(`CREATE OR REPLACE TEMP VIEW ${qi(table.name)} AS SELECT * FROM read_parquet(${qs(temp)})`)
          const previous = pending.get(table.name)
          if (previous) await fs.rm(previous.temp, { force: true })
          pending.set(table.name, { table, temp })
        },
        merge: (table, rows) => mergeRows(tx, table, rows),
        append: (table, rows) => appendRows(tx, table, rows),
        replaceGroups: (table, column, groups, rows) => replaceGroupRows(tx, table, column, groups, rows),
      }
      try {
        const result = await fn(tx)
        for (const { table, temp } of pending.values()) {
          await rename(table, temp)
          pending.delete(table.name)
        }
        return result
      } catch (err) {
        if (err instanceof AppError) throw err
        throw new AppError('LAKE_WRITE_FAILED', `writing ${tablesToLock.map((t) => t.name).join(', ')} failed; the stored tables are unchanged`, { cause: err })
      } finally {
        for (const { temp } of pending.values()) await fs.rm(temp, { force: true })
        for (const file of stagedFiles) await fs.rm(file, { recursive: true, force: true })
      }
    })
  }

  const nothing = (table: TableDef): WriteResult => ({ table: table.name, inserted: 0, updated: 0, deleted: 0, unchanged: 0, written: false })

  async function stageDeduped (tx: WriteTx, table: TableDef, rows: readonly InputRow[]): Promise<string> {
    for (const [i, row] of rows.entries()) {
      for (const k of table.key) {
        if (row[k] === null || row[k] === undefined || row[k] === '') throw invalidField(`rows[${i}].${k}`, `is required: it is part of the key of ${table.name}`)
      }
    }
    const staged = await tx.stage(table, rows)
    const deduped = `${staged}_last`
    // The last row given for a key wins, as it would had the rows been written one by one.
    await tx.run(`CREATE TEMP TABLE ${deduped} AS SELECT ${columnList(table)} FROM ${staged}
      QUALIFY row_number() OVER (PARTITION BY ${table.key.map((k) => qi(k)).join(', ')} ORDER BY _ord DESC) = 1`)
    return deduped
  }

  async function count (tx: WriteTx, sql: string): Promise<number> {
    const [row] = await tx.query(`SELECT count(*)::INTEGER AS n FROM (${sql})`)
    return Number(row?.n ?? 0)
  }

  async function mergeRows (tx: WriteTx, table: TableDef, rows: readonly InputRow[]): Promise<WriteResult> {
    if (rows.length === 0) return nothing(table)
    const incoming = await stageDeduped(tx, table, rows)
    const others = table.columns.filter((c) => !table.key.includes(c.name))
    const differs = others.length > 0
      ? others.map((c) => `c.${qi(c.name)} IS DISTINCT FROM i.${qi(c.name)}`).join(' OR ')
      : 'false'
    const changes = `${incoming}_changes`
    await tx.run(`CREATE TEMP TABLE ${changes} AS
      SELECT i.*, c.${qi(table.key[0]!)} IS NULL AS _is_new
      FROM ${incoming} i LEFT JOIN ${qi(table.name)} c ON ${keyMatch(table, 'c', 'i')}
      WHERE c.${qi(table.key[0]!)} IS NULL OR ${differs}`)
    const [stats] = await tx.query(`SELECT count(*) FILTER (WHERE _is_new)::INTEGER AS inserted,
      count(*) FILTER (WHERE NOT _is_new)::INTEGER AS updated FROM ${changes}`)
    const inserted = Number(stats?.inserted ?? 0)
    const updated = Number(stats?.updated ?? 0)
    const total = await count(tx, `SELECT 1 FROM ${incoming}`)
    if (inserted + updated > 0) {
      await tx.replaceWith(table, `
        SELECT ${columnList(table, 'c')} FROM ${qi(table.name)} c
        WHERE NOT EXISTS (SELECT 1 FROM ${changes} x WHERE ${keyMatch(table, 'x', 'c')})
        UNION ALL SELECT ${columnList(table)} FROM ${changes}`)
    }
    return { table: table.name, inserted, updated, deleted: 0, unchanged: total - inserted - updated, written: inserted + updated > 0 }
  }

  async function appendRows (tx: WriteTx, table: TableDef, rows: readonly InputRow[]): Promise<WriteResult> {
    if (rows.length === 0) return nothing(table)
    const incoming = await stageDeduped(tx, table, rows)
    const fresh = `${incoming}_fresh`
    await tx.run(`CREATE TEMP TABLE ${fresh} AS SELECT i.* FROM ${incoming} i
      WHERE NOT EXISTS (SELECT 1 FROM ${qi(table.name)} c WHERE ${keyMatch(table, 'c', 'i')})`)
    const inserted = await count(tx, `SELECT 1 FROM ${fresh}`)
    if (inserted > 0) {
      await tx.replaceWith(table, `SELECT ${columnList(table)} FROM ${qi(table.name)} UNION ALL SELECT ${columnList(table)} FROM ${fresh}`)
    }
    return { table: table.name, inserted, updated: 0, deleted: 0, unchanged: rows.length - inserted, written: inserted > 0 }
  }

  async function replaceGroupRows (tx: WriteTx, table: TableDef, column: string, groups: readonly string[], rows: readonly InputRow[]): Promise<WriteResult> {
    if (!table.columns.some((c) => c.name === column)) throw new Error(`${table.name} has no column ${column}`)
    if (groups.length === 0) return nothing(table)
    const incoming = await stageDeduped(tx, table, rows)
    const groupTable = `${incoming}_groups`
    await tx.run(`CREATE TEMP TABLE ${groupTable} AS SELECT DISTINCT unnest($groups::VARCHAR[]) AS g`, { groups: [...groups] })
    const current = `SELECT ${columnList(table)} FROM ${qi(table.name)} WHERE ${qi(column)} IN (SELECT g FROM ${groupTable})`
    const given = `SELECT ${columnList(table)} FROM ${incoming}`
    const deleted = await count(tx, `${current} EXCEPT ${given}`)
    const inserted = await count(tx, `${given} EXCEPT ${current}`)
    if (deleted + inserted > 0) {
      await tx.replaceWith(table, `
        SELECT ${columnList(table)} FROM ${qi(table.name)} WHERE ${qi(column)} NOT IN (SELECT g FROM ${groupTable})
        UNION ALL ${given}`)
    }
    const total = await count(tx, given)
    return { table: table.name, inserted, updated: 0, deleted, unchanged: total - inserted, written: deleted + inserted > 0 }
  }

  const merge = (table: TableDef, rows: readonly InputRow[]): Promise<WriteResult> =>
    rows.length === 0 ? Promise.resolve(nothing(table)) : write([table], (tx) => tx.merge(table, rows))
  const append = (table: TableDef, rows: readonly InputRow[]): Promise<WriteResult> =>
    rows.length === 0 ? Promise.resolve(nothing(table)) : write([table], (tx) => tx.append(table, rows))
  const replaceGroups = (table: TableDef, column: string, groups: readonly string[], rows: readonly InputRow[]): Promise<WriteResult> =>
    groups.length === 0 ? Promise.resolve(nothing(table)) : write([table], (tx) => tx.replaceGroups(table, column, groups, rows))

  async function stats (): Promise<TableStats[]> {
    const out: TableStats[] = []
    for (const table of catalog) {
      const file = filePath(table)
      const stat = await fs.stat(file).catch(() => null)
      const [row] = await query(`SELECT count(*)::BIGINT AS n FROM ${qi(table.name)}`)
      out.push({
        name: table.name,
        description: table.description,
        key: table.key,
        columns: table.columns.map((c) => ({ name: c.name, type: c.type, description: c.description })),
        rowCount: Number(row?.n ?? 0),
        bytes: stat?.size ?? 0,
        lastWriteAt: stat && stat.mtimeMs > 0 ? stat.mtime.toISOString() : null,
      })
    }
    return out
  }

  async function ping (): Promise<void> {
    await query('SELECT 1 AS ok')
  }

  async function close (): Promise<void> {
    // Waits for writers holding a lock, then releases DuckDB.
    await locks.run(catalog.map((t) => t.name), async () => {})
    instance.closeSync()
  }

  return { dataDir, lakeDir, rawDir, stateDir, tmpDir, query, merge, append, replaceGroups, write, stats, filePath, ping, close }
}
