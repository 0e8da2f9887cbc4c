import fs from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { DuckDBInstance, quotedIdentifier as qi, quotedString as qs, type DuckDBConnection } from '@duckdb/node-api'
import { forkChild } from '../child-process.ts'
import { receivedError, sendableError, type SentError } from '../sent-errors.ts'
import { handMemoryBack } from './duckdb.ts'
import { writeTemp } from './parquet-file.ts'
import { execute, readRows, type JsonRow, type SqlParams } from './rows.ts'
import type { TableDef } from './table.ts'

/**
 * A write whose DuckDB work runs in a child process of its own, for the steps that rewrite a whole large table (Update
 * MBIDs rewrites every play). DuckDB's working memory for such a rewrite, and what the allocator keeps of it afterwards,
 * leave with the child: the service's memory is the same after the write as before. The service holds the tables'
 * locks meanwhile and commits the files the child wrote, exactly as it commits its own (same fsync, rename and swap
 * gate); a child that fails or dies commits nothing.
 */

/** What the SQL of a write needs: the part of a lake write that a write process offers too. */
export interface SqlTx {
  query (sql: string, params?: SqlParams): Promise<JsonRow[]>
  run (sql: string, params?: SqlParams): Promise<void>
  /**
   * Replaces `table` with the rows of `select` (its columns in catalog order) when the write commits. Later queries in
   * the same write already see the new rows.
   */
  replaceWith (table: TableDef, select: string, params?: SqlParams): Promise<void>
}

/** A job module exports `runWriteJob`: the write's SQL, given the tables it was handed. */
export type WriteJob<I, T> = (tx: SqlTx, input: I) => Promise<T>

interface JobRequest {
  job: string
  input: unknown
  /** every table the job reads or replaces, as plain data, with its file */
  tables: Array<{ table: TableDef, file: string }>
  tmpDir: string
}

type JobMessage =
  | { done: { result: unknown, written: Array<{ table: string, temp: string }> } }
  | { failed: SentError }

/** DuckDB in the child: one thread and a modest limit (it spills to tmpDir beyond it); the child's whole life is one write. */
const childDuckDb = { threads: '1', memory_limit: '128MB' }

const childFile = fileURLToPath(import.meta.url)

/** Only what a TableDef is as data crosses to the child (a catalog table also carries its TypeBox schemas). */
export const plainTable = (table: TableDef): TableDef => ({
  name: table.name,
  description: table.description,
  key: table.key,
  orderBy: table.orderBy,
  columns: table.columns.map(({ name, type, description, nullable, kind }) => ({ name, type, description, nullable, kind })),
})

/**
 * Runs `job`'s `runWriteJob` over `tables` (each read from `file`) in a child process. Resolves with its result and
 * the temp files it wrote (beside each table's file), for the caller to commit under its locks; rejects with the job's
 * error (an AppError keeps its code, a disk error its errno). The child has exited before the promise settles.
 */
export function runWriteProcess<T> (options: {
  job: URL
  input: unknown
  tables: Array<{ table: TableDef, file: string }>
  tmpDir: string
}): Promise<{ result: T, written: Array<{ table: string, temp: string }> }> {
  const { child, lastStderrLine } = forkChild(childFile)
  const request: JobRequest = {
    job: fileURLToPath(options.job),
    input: options.input,
    tables: options.tables.map(({ table, file }) => ({ table: plainTable(table), file })),
    tmpDir: options.tmpDir,
  }
  return new Promise((resolve, reject) => {
    let message: JobMessage | undefined
    child.on('message', (received: JobMessage) => { message = received })
    child.on('error', (err) => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      else reject(err)
    })
    // 'close', not 'exit': by then the child's stderr is read to its last line.
    child.on('close', (code, signal) => {
      if (message && 'done' in message) resolve(message.done as { result: T, written: Array<{ table: string, temp: string }> })
      else if (message) reject(receivedError(message.failed))
      else {
        const last = lastStderrLine()
        reject(new Error(`the write process ${signal ? `was killed (${signal})` : `exited with ${code}`} before it finished${last ? `: ${last}` : ''}`))
      }
    })
    child.send(request)
  })
}

/** This module run as the child: one job, then exit. It ends with the service (when the IPC channel closes). */
async function runChild (request: JobRequest): Promise<void> {
  const send = (message: JobMessage): Promise<void> => new Promise((resolve) => process.send!(message, () => resolve()))
  const written = new Map<string, string>()
  let instance: DuckDBInstance | undefined
  let conn: DuckDBConnection | undefined
  try {
    const { runWriteJob } = await import(pathToFileURL(request.job).href) as { runWriteJob: WriteJob<unknown, unknown> }
    instance = await DuckDBInstance.create(':memory:', {
      ...childDuckDb,
      ...handMemoryBack,
      enable_external_file_cache: 'false',
      temp_directory: path.join(request.tmpDir, `duckdb-write-${process.pid}`),
    })
    conn = await instance.connect()
    await conn.run("SET TimeZone = 'UTC'")
    const files = new Map(request.tables.map(({ table, file }) => [table.name, { table, file }]))
    for (const { table, file } of files.values()) await execute(conn, `CREATE VIEW ${qi(table.name)} AS SELECT * FROM read_parquet(${qs(file)})`)
    const c = conn
    const tx: SqlTx = {
      query: (sql, params) => readRows(c, sql, params),
      run: (sql, params) => execute(c, sql, params),
      async replaceWith (table, select, params) {
        const target = files.get(table.name)
        if (!target) throw new Error(`table ${table.name} was not handed to this write`)
        const temp = await writeTemp(c, target.file, target.table, select, params)
        await execute(c, `CREATE OR REPLACE VIEW ${qi(table.name)} AS SELECT * FROM read_parquet(${qs(temp)})`)
        const previous = written.get(table.name)
        if (previous) await fs.rm(previous, { force: true })
        written.set(table.name, temp)
      },
    }
    const result = await runWriteJob(tx, request.input)
    await send({ done: { result, written: [...written].map(([table, temp]) => ({ table, temp })) } })
  } catch (err) {
    for (const temp of written.values()) await fs.rm(temp, { force: true }).catch(() => {})
    await send({ failed: sendableError(err) })
  } finally {
    conn?.closeSync()
    instance?.closeSync()
  }
  process.exit(0)
}

if (process.send && process.argv[1] === childFile) {
  process.once('disconnect', () => process.exit(1))
  process.once('message', (request: JobRequest) => { runChild(request).catch(() => process.exit(1)) })
}
