import fs from 'node:fs/promises'
import { DuckDBInstance, type DuckDBConnection, type DuckDBPreparedStatement } from '@duckdb/node-api'
import { AppError } from '../../errors.ts'
import { readPreparedRows, type JsonRow, type SqlParams } from '../../lake/rows.ts'

/**
 * Reads the current warehouse.duckdb. A rebuild writes a new file and renames it over the old one; the reader notices
 * (the file's inode changes) and opens the new file for the next query, while queries already running finish on the
 * file they started on, which the old instance keeps open until they are done. So a rebuild never blocks a reader
 * and a reader never sees half a warehouse.
 *
 * Values come back JSON-safe (lake/rows.ts): TIMESTAMPTZ as ISO instants; a local TIMESTAMP (played_at_local) also
 * ends in Z, so format local times in SQL (strftime) when you show them.
 */
export interface WarehouseReader {
  readonly file: string
  /**
   * A parameterised query ($name values) on the current warehouse, read-only; WAREHOUSE_NOT_BUILT when there is none.
   * `before` runs first with the same connection, one statement at a time (to fill a temporary table the query reads).
   */
  query (sql: string, params?: SqlParams, options?: { before?: (run: (sql: string, params?: SqlParams) => Promise<JsonRow[]>) => Promise<void> }): Promise<JsonRow[]>
  /** Whether a warehouse has been built. */
  exists (): Promise<boolean>
  close (): Promise<void>
}

/**
 * A connection kept between queries with the statements it prepared: a statement is parsed once per connection. DuckDB
 * binds and optimises a statement with parameters again on every run, with the values known (so they prune row
 * groups); one without parameters keeps its plan.
 */
interface Session {
  conn: DuckDBConnection
  statements: Map<string, DuckDBPreparedStatement>
}

interface Generation {
  /** device, inode, size and mtime of the file it opened */
  key: string
  instance: DuckDBInstance
  active: number
  retired: boolean
  /** sessions not in use */
  idle: Session[]
}

/** Sessions kept per warehouse file, and statements kept per session (the reports send a dozen distinct ones). */
const maxIdleSessions = 4
const maxStatements = 32

function closeSession (session: Session): void {
  for (const statement of session.statements.values()) statement.destroySync()
  session.conn.closeSync()
}

async function prepared (session: Session, sql: string): Promise<DuckDBPreparedStatement> {
  const known = session.statements.get(sql)
  if (known) {
    // Most recently used last: the first is the one to drop.
    session.statements.delete(sql)
    session.statements.set(sql, known)
    return known
  }
  const statement = await session.conn.prepare(sql)
  session.statements.set(sql, statement)
  if (session.statements.size > maxStatements) {
    const [oldest, dropped] = session.statements.entries().next().value!
    session.statements.delete(oldest)
    dropped.destroySync()
  }
  return statement
}

export function createWarehouseReader (options: {
  file: string
  /** DuckDB memory limit of the reader (default 128MB) */
  memoryLimit?: string
  threads?: number
}): WarehouseReader {
  const { file } = options
  let current: Generation | undefined
  let switching: Promise<unknown> = Promise.resolve()
  let closed = false

  async function fileKey (): Promise<string | undefined> {
    const stat = await fs.stat(file).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined
      throw err
    })
    return stat ? `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}` : undefined
  }

  function close (generation: Generation): void {
    for (const session of generation.idle.splice(0)) closeSession(session)
    generation.instance.closeSync()
  }

  function release (generation: Generation): void {
    generation.active--
    if (generation.retired && generation.active === 0) close(generation)
  }

  function retire (generation: Generation): void {
    generation.retired = true
    if (generation.active === 0) close(generation)
  }

  async function session (generation: Generation): Promise<Session> {
    const idle = generation.idle.pop()
    if (idle) return idle
    const conn = await generation.instance.connect()
    await conn.run("SET TimeZone = 'UTC'")
    return { conn, statements: new Map() }
  }

  /** Back to the idle sessions, or closed when its file is retired, enough are idle or the query failed. */
  function putBack (generation: Generation, used: Session, healthy: boolean): void {
    if (healthy && !generation.retired && generation.idle.length < maxIdleSessions) generation.idle.push(used)
    else closeSession(used)
  }

  /** The generation of the current file, counted as in use (release it). */
  async function acquire (): Promise<Generation> {
    if (closed) throw new Error('the warehouse reader is closed')
    const key = await fileKey()
    if (key === undefined) throw new AppError('WAREHOUSE_NOT_BUILT', 'no warehouse has been built yet: POST /v1/warehouse/build builds one')
    if (current?.key === key) {
      current.active++
      return current
    }
    // One switch at a time; the generation is counted in use before anyone can retire it.
    const next = switching.then(async () => {
      if (current?.key !== key) {
        const instance = await DuckDBInstance.create(file, {
          access_mode: 'READ_ONLY',
          memory_limit: options.memoryLimit ?? '128MB',
          threads: String(options.threads ?? 2),
          // Group by an integer key through an array indexed by it when the key's range fits in 2^20 (the report
          // marts' artist and track keys): 4× faster than hashing for 100,000 tracks, a few MB at most.
          perfect_ht_threshold: '20',
        })
        const previous = current
        current = { key, instance, active: 0, retired: false, idle: [] }
        if (previous) retire(previous)
      }
      current!.active++
      return current!
    })
    switching = next.catch(() => {})
    return next
  }

  return {
    file,
    async query (sql, params, options) {
      const generation = await acquire()
      try {
        const used = await session(generation)
        let healthy = false
        try {
          await options?.before?.(async (step, stepParams) => readPreparedRows(await prepared(used, step), stepParams))
          const rows = await readPreparedRows(await prepared(used, sql), params)
          healthy = true
          return rows
        } finally {
          putBack(generation, used, healthy)
        }
      } finally {
        release(generation)
      }
    },
    exists: async () => (await fileKey()) !== undefined,
    async close () {
      closed = true
      await switching
      if (current) retire(current)
      current = undefined
    },
  }
}
