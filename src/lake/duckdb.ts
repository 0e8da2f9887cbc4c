import path from 'node:path'
import { DuckDBInstance, quotedString as qs, type DuckDBConnection } from '@duckdb/node-api'
import type { FastifyBaseLogger } from 'fastify'
import { collectGarbage } from '../collect-garbage.ts'
import { readRows, type JsonRow, type SqlParams } from './rows.ts'

/** The one DuckDB instance of the process, tuned to hand memory back, with a lean mode for large writes. */
export interface Engine {
  withConnection<T> (fn: (conn: DuckDBConnection) => Promise<T>): Promise<T>
  query (sql: string, params?: SqlParams): Promise<JsonRow[]>
  /**
   * Runs `fn` with DuckDB on one thread: a large write's peak stays low, at some cost in speed. The setting is
   * instance-wide, so the last lean run to finish restores it. The JavaScript heap is collected first.
   */
  lean<T> (fn: () => Promise<T>): Promise<T>
  close (): void
}

/**
 * DuckDB settings for an instance that hands freed memory back at once. Its allocator keeps freed memory for reuse up
 * to 128 MB (512 MB after bulk frees) by default, and purges freed pages lazily: the service would carry one large
 * import's peak for the rest of its life. At 4 MB, a million imported plays merged on two threads still peaked 50 MB
 * higher than at 1 MB. The service's engine, the warehouse build and the write process use them. The warehouse reader
 * does not: handing memory back after every report query and taking it again made the page's queries up to twice as
 * slow beside a CI run, for 45–55 MB less at their peak (2 December).
 */
export const handMemoryBack = {
  allocator_flush_threshold: '1MB',
  allocator_bulk_deallocation_flush_threshold: '1MB',
} as const

export async function createEngine (options: { tmpDir: string, log: FastifyBaseLogger, memoryLimit?: string, threads?: number }): Promise<Engine> {
  const settings = { threads: String(options.threads ?? 2), ...handMemoryBack }
  const leanSettings = { threads: '1' }
  let leanRuns = 0
  const instance = await DuckDBInstance.create(':memory:', {
    ...settings,
    memory_limit: options.memoryLimit ?? '512MB',
    // Tables are replaced by rename; a cache keyed on path could serve the old file's blocks.
    enable_external_file_cache: 'false',
    allocator_background_threads: 'true',
    temp_directory: path.join(options.tmpDir, 'duckdb'),
  })

  async function withConnection<T> (fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const conn = await instance.connect()
    try {
      return await fn(conn)
    } finally {
      conn.closeSync()
    }
  }

  const query = (sql: string, params?: SqlParams): Promise<JsonRow[]> => withConnection((conn) => readRows(conn, sql, params))

  async function setAll (values: Record<string, string>): Promise<void> {
    for (const [name, value] of Object.entries(values)) await query(`SET GLOBAL ${name} = ${qs(value)}`)
  }

  async function lean<T> (fn: () => Promise<T>): Promise<T> {
    leanRuns++
    try {
      if (leanRuns === 1) {
        collectGarbage()
        await setAll(leanSettings)
      }
      return await fn()
    } finally {
      // A failed restore must not turn a committed write into an error; the next lean write restores again.
      if (--leanRuns === 0) await setAll(settings).catch((err: unknown) => { options.log.error({ err }, 'restoring DuckDB settings after a lean write failed') })
    }
  }

  // After creation: ICU, which owns TimeZone, loads with the instance.
  await query("SET GLOBAL TimeZone = 'UTC'")
  return { withConnection, query, lean, close: () => instance.closeSync() }
}
