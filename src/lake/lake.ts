import { randomUUID } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { quotedIdentifier as qi, quotedString as qs, type DuckDBConnection } from '@duckdb/node-api'
import type { FastifyBaseLogger } from 'fastify'
import { AppError, invalidField } from '../errors.ts'
import { removePartials } from './atomic-file.ts'
import { dataDirUnavailable } from './data-dir-state.ts'
import { createEngine } from './duckdb.ts'
import { createLockSet } from './lock.ts'
import { prepareTable } from './migration.ts'
import { commitTemp, emptySelect, rowGroupSize, tableFile, writeTemp } from './parquet-file.ts'
import { execute, readRows, type JsonRow, type SqlParams } from './rows.ts'
import { createStagingWriter, StagedRowProblem } from './staging-writer.ts'
import type { TableDef } from './table.ts'
import { runWriteProcess, type SqlTx } from './write-process.ts'
import { appendRows, mergeRows, nothingWritten, replaceGroupRows, type InputRow, type WriteResult } from './upserts.ts'

export type { JsonRow, SqlParams } from './rows.ts'
export type { InputRow, WriteResult } from './upserts.ts'

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
export interface WriteTx extends SqlTx {
  conn: DuckDBConnection
  /**
   * Loads rows into a temp view typed like `table` (plus an `_ord` column giving input order); returns its name and the
   * strings it repaired. A row the table cannot store is a 400 naming `rows[i].column`.
   */
  stage (table: TableDef, rows: readonly InputRow[]): Promise<{ name: string, repaired: number }>
  /** The same from files of JSON lines (each row with an `_ord` number) a staging writer checked already. */
  stageFiles (table: TableDef, files: readonly string[]): Promise<string>
  /**
   * Replaces `table` with a parquet file already written beside its file (under a temp name, as a write process
   * writes it) when the write commits; the file is removed if the write does not commit.
   */
  adopt (table: TableDef, temp: string): Promise<void>
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
  /** The catalog: every table of every stage, assembled by the composition root. */
  tables: readonly TableDef[]
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
  readonly tables: readonly TableDef[]
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
  /**
   * The same, with the SQL run in a child process (write-process.ts): `job` is a module exporting `runWriteJob(tx,
   * input)`, which may read and replace `tablesToLock` only. For rewrites of a whole large table.
   */
  writeInProcess<T> (tablesToLock: readonly TableDef[], job: URL, input: unknown): Promise<T>
  stats (): Promise<TableStats[]>
  findTable (name: string): TableDef | undefined
  filePath (table: TableDef): string
  ping (): Promise<void>
  close (): Promise<void>
}

export async function createLake (options: LakeOptions): Promise<Lake> {
  const dataDir = path.resolve(options.dataDir)
  const lakeDir = path.join(dataDir, 'lake')
  const rawDir = path.join(dataDir, 'raw')
  const stateDir = path.join(dataDir, 'state')
  const tmpDir = path.join(dataDir, 'tmp')
  const { log, tables } = options
  const hooks = options.hooks ?? {}
  const locks = createLockSet()

  for (const dir of [lakeDir, rawDir, stateDir, tmpDir]) await fs.mkdir(dir, { recursive: true })
  const leftovers = await removePartials(lakeDir) + await removePartials(stateDir) + await removePartials(rawDir)
  if (leftovers > 0) log.warn({ files: leftovers }, 'removed unfinished files left by an interrupted write')
  await fs.rm(tmpDir, { recursive: true, force: true })
  await fs.mkdir(tmpDir, { recursive: true })

  const engine = await createEngine({ tmpDir, log, memoryLimit: options.memoryLimit, threads: options.threads })
  const filePath = (table: TableDef): string => tableFile(lakeDir, table)
  await engine.withConnection(async (conn) => {
    for (const table of tables) await prepareTable(conn, table, filePath(table), log)
  })

  async function write<T> (tablesToLock: readonly TableDef[], fn: (tx: WriteTx) => Promise<T>, writeOptions: { lean?: boolean } = {}): Promise<T> {
    return locks.run(tablesToLock.map((t) => t.name), () => writeOptions.lean ? engine.lean(() => writeLocked(tablesToLock, fn)) : writeLocked(tablesToLock, fn))
  }

  /** The body of a write, its table locks held. */
  async function writeLocked<T> (tablesToLock: readonly TableDef[], fn: (tx: WriteTx) => Promise<T>): Promise<T> {
    return engine.withConnection(async (conn) => {
      const pending = new Map<string, { table: TableDef, temp: string }>()
      const stagedFiles: string[] = []
      let staged = 0
      /** Makes a temp file written beside the table's file the table's rows when the write commits. */
      async function replaceWithFile (table: TableDef, temp: string): Promise<void> {
        // Read-your-writes: a temp view shadows the table for the rest of this write (this connection only).
        await execute(conn, `CREATE OR REPLACE TEMP VIEW ${qi(table.name)} AS SELECT * FROM read_parquet(${qs(temp)})`)
        const previous = pending.get(table.name)
        if (previous) await fs.rm(previous.temp, { force: true })
        pending.set(table.name, { table, temp })
      }
      const tx: WriteTx = {
        conn,
        async stage (table, rows) {
          const dir = path.join(tmpDir, randomUUID())
          stagedFiles.push(dir)
          await fs.mkdir(dir)
          const writer = createStagingWriter(dir, { table })
          try {
            for (const row of rows) await writer.write(row)
          } catch (err) {
            writer.abort()
            if (err instanceof StagedRowProblem) throw invalidField(`rows[${err.index}].${err.column}`, err.problem)
            throw err
          }
          const result = await writer.finish()
          return { name: await tx.stageFiles(table, result.files), repaired: result.repaired }
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
          await execute(conn, `CREATE TEMP VIEW ${name} AS SELECT * FROM ${source}`)
          return name
        },
        query: (sql, params) => readRows(conn, sql, params),
        run: (sql, params) => execute(conn, sql, params),
        async replaceWith (table, select, params) {
          if (!tablesToLock.includes(table)) throw new Error(`table ${table.name} is not locked by this write`)
          await replaceWithFile(table, await writeTemp(conn, filePath(table), table, select, params))
        },
        async adopt (table, temp) {
          if (!tablesToLock.includes(table)) throw new Error(`table ${table.name} is not locked by this write`)
          if (path.dirname(temp) !== path.dirname(filePath(table))) throw new Error(`${temp} is not beside the file of ${table.name}`)
          await replaceWithFile(table, temp)
        },
        merge: (table, rows) => mergeRows(tx, table, rows),
        append: (table, rows) => appendRows(tx, table, rows),
        replaceGroups: (table, column, groups, rows) => replaceGroupRows(tx, table, column, groups, rows),
      }
      try {
        const result = await fn(tx)
        for (const { table, temp } of pending.values()) {
          await commitTemp(temp, filePath(table), () => hooks.beforeRename?.(table.name))
          pending.delete(table.name)
        }
        return result
      } catch (err) {
        if (err instanceof AppError) throw err
        const names = tablesToLock.map((t) => t.name)
        const unavailable = dataDirUnavailable(err)
        if (unavailable) {
          log.warn({ err, tables: names, errno: unavailable.code }, `the data directory ${unavailable.state}; the stored tables are unchanged`)
          throw new AppError('LAKE_UNAVAILABLE', `writing ${names.join(', ')} failed: the data directory ${unavailable.state} (${unavailable.code}); ` +
            'the stored tables are unchanged. Free space or make it writable, then call again', { cause: err })
        }
        log.error({ err, tables: names }, 'a lake write failed; the stored tables are unchanged')
        throw new AppError('LAKE_WRITE_FAILED', `writing ${names.join(', ')} failed; the stored tables are unchanged`, { cause: err })
      } finally {
        // Best effort: a failed removal (a read-only or immutable disk) must not replace the write's own error, and
        // the next start removes what is left.
        for (const { temp } of pending.values()) await fs.rm(temp, { force: true }).catch(() => {})
        for (const file of stagedFiles) await fs.rm(file, { recursive: true, force: true }).catch(() => {})
      }
    })
  }

  const writeInProcess = <T>(tablesToLock: readonly TableDef[], job: URL, input: unknown): Promise<T> => write(tablesToLock, async (tx) => {
    const { result, written } = await runWriteProcess<T>({ job, input, tmpDir, tables: tablesToLock.map((table) => ({ table, file: filePath(table) })) })
    for (const { table, temp } of written) await tx.adopt(tablesToLock.find((t) => t.name === table)!, temp)
    return result
  })

  const merge = (table: TableDef, rows: readonly InputRow[]): Promise<WriteResult> =>
    rows.length === 0 ? Promise.resolve(nothingWritten(table)) : write([table], (tx) => tx.merge(table, rows))
  const append = (table: TableDef, rows: readonly InputRow[]): Promise<WriteResult> =>
    rows.length === 0 ? Promise.resolve(nothingWritten(table)) : write([table], (tx) => tx.append(table, rows))
  const replaceGroups = (table: TableDef, column: string, groups: readonly string[], rows: readonly InputRow[]): Promise<WriteResult> =>
    groups.length === 0 ? Promise.resolve(nothingWritten(table)) : write([table], (tx) => tx.replaceGroups(table, column, groups, rows))

  async function stats (): Promise<TableStats[]> {
    const out: TableStats[] = []
    for (const table of tables) {
      const stat = await fs.stat(filePath(table)).catch(() => null)
      const [row] = await engine.query(`SELECT count(*)::BIGINT AS n FROM ${qi(table.name)}`)
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

  async function close (): Promise<void> {
    // Waits for writers holding a lock, then releases DuckDB.
    await locks.run(tables.map((t) => t.name), async () => {})
    engine.close()
  }

  return {
    dataDir,
    lakeDir,
    rawDir,
    stateDir,
    tmpDir,
    tables,
    query: engine.query,
    merge,
    append,
    replaceGroups,
    write,
    writeInProcess,
    stats,
    findTable: (name) => tables.find((table) => table.name === name),
    filePath,
    ping: async () => { await engine.query('SELECT 1 AS ok') },
    close,
  }
}
