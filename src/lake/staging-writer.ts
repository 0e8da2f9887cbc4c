import { randomUUID } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { quotedString as qs } from '@duckdb/node-api'
import { rowGroupSize } from './parquet-file.ts'
import type { SqlParams } from './rows.ts'
import { RowProblem, storableJsonLine, type TableDef } from './table.ts'
import { openFileWriter, type FileWriter } from './file-writer.ts'

/**
 * DuckDB's JSON reader needs memory in proportion to the file it reads, so large inputs are staged as several files of
 * `rowsPerFile` rows each (JSON lines, each row with an `_ord` giving its input order).
 */
export const stagingRowsPerFile = 10_000

/** Whether a write of this many staged rows is a large one: more than one staged file's worth, written lean. */
export const isLargeStagedWrite = (rows: number): boolean => rows >= stagingRowsPerFile

/**
 * Lines are encoded into buffers of this size and written a buffer at a time: one write per chunk instead of one per
 * row, and a row's text is garbage at once (nothing row-sized lives long enough to reach V8's old generation).
 */
const chunkBytes = 512 * 1024

/** A row the table cannot store: where it was in the input and why. */
export interface RejectedRow {
  index: number
  row: Record<string, unknown>
  problem: RowProblem
}

export interface StagingOptions {
  /** Rows are checked against it (storableRow): strings repaired, timestamps made canonical, bad values caught. */
  table: TableDef
  /** Called for a row the table cannot store, which is left out; without it such a row throws its RowProblem. */
  onReject?: (rejected: RejectedRow) => void | Promise<void>
  rowsPerFile?: number
  /**
   * The lake's query function: full files are then turned into parquet in the background (DuckDB's threads), a few
   * at a time, while the next rows are parsed, and `finish` answers the parquet files.
   */
  query?: (sql: string, params?: SqlParams) => Promise<unknown>
}

export interface StagingWriter {
  /**
   * Synchronous while the current chunk has room: a promise only when it must wait. `ord` places the row among rows
   * staged another way (by default rows are ordered as written).
   */
  write (row: Record<string, unknown>, ord?: number): void | Promise<void>
  /** Closes the last file; answers every file written, the rows staged and the strings repaired. */
  finish (): Promise<StagedFiles>
  abort (): void
  /** Resolves once no background conversion runs (after an abort too); never rejects. */
  idle (): Promise<void>
}

export interface StagedFiles {
  files: string[]
  /** ndjson: JSON lines as written; parquet: converted already, typed like the table (plus `_ord`) */
  format?: 'ndjson' | 'parquet'
  rows: number
  repaired: number
  /**
   * More staged rows, in parquet files of every entry of an input: the rows to stage are those this SELECT gives
   * (the table's columns and `_ord`); `rows` counts them too.
   */
  alsoSelect?: string
}

/** read_ndjson's `columns` for a table's staged rows: its columns plus `_ord`. */
export const stagedColumns = (table: TableDef): string =>
  [...table.columns.map((c) => `${qs(c.name)}: ${qs(c.type)}`), `${qs('_ord')}: ${qs('BIGINT')}`].join(', ')

/**
 * Staged files converted in one statement. A statement has a fixed cost in DuckDB (its buffers set up and handed
 * back): a million staged rows took 24 s of CPU at one file a statement, 10 s at ten, 6 s all at once; more files a
 * statement also hold more memory while it runs.
 */
const filesPerConversion = 10

/** Turns files of staged JSON lines into one parquet file typed like the table (plus `_ord`). */
export async function convertStaged (query: NonNullable<StagingOptions['query']>, table: TableDef, files: readonly string[], parquet: string): Promise<void> {
  await query(`COPY (SELECT * FROM read_ndjson($files::VARCHAR[], columns = {${stagedColumns(table)}})) TO ${qs(parquet)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${rowGroupSize})`, { files: [...files] })
}

export class StagedRowProblem extends Error {
  readonly index: number
  readonly column: string
  readonly problem: string

  constructor (index: number, problem: RowProblem) {
    super(`row ${index}: ${problem.message}`)
    this.index = index
    this.column = problem.column
    this.problem = problem.problem
  }
}

export function createStagingWriter (dir: string, options: StagingOptions): StagingWriter {
  const rowsPerFile = options.rowsPerFile ?? stagingRowsPerFile
  const files: string[] = []
  const repairs = { strings: 0 }
  let out: FileWriter | undefined
  let rows = 0
  let seen = 0
  let chunk = Buffer.allocUnsafe(chunkBytes)
  let used = 0
  const parquets: string[] = []
  // Conversions run one after another, behind the parsing; the first failure is kept for finish.
  let converting: Promise<void> = Promise.resolve()
  let failure: { err: unknown } | undefined
  let aborted = false

  let group: string[] = []

  /** Queues the closed files of a group (or the last, partial group) for conversion into one parquet file. */
  function convertLater (file: string | undefined): void {
    const query = options.query
    if (!query) return
    if (file) group.push(file)
    if (group.length === 0 || (file && group.length < filesPerConversion)) return
    const inputs = group
    group = []
    const parquet = inputs[0]!.replace(/\.ndjson$/, '.parquet')
    parquets.push(parquet)
    converting = converting.then(async () => {
      if (failure || aborted) return
      try {
        await convertStaged(query, options.table, inputs, parquet)
        for (const input of inputs) await fs.rm(input, { force: true })
      } catch (err) {
        failure ??= { err }
      }
    })
  }

  async function flush (): Promise<void> {
    if (used === 0 || !out) return
    const full = chunk.subarray(0, used)
    chunk = Buffer.allocUnsafe(chunkBytes)
    used = 0
    await out.write(full)
  }

  /** Adds a line to the chunk; waits only when the chunk is full and the stream asks to. */
  function appendLine (text: string): void | Promise<void> {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit, and the newline one more.
    if (used + text.length * 3 + 1 > chunkBytes) {
      if (used > 0) return flush().then(() => appendLine(text))
      // A line larger than a chunk goes out on its own.
      return out!.write(`${text}\n`)
    }
    used += chunk.write(text, used)
    chunk[used++] = 10
  }

  async function close (): Promise<void> {
    if (!out) return
    await flush()
    const closing = out
    out = undefined
    await closing.end()
    convertLater(files[files.length - 1]!)
  }

  async function nextFile (): Promise<void> {
    await close()
    const file = path.join(dir, `staged-${String(files.length).padStart(5, '0')}.ndjson`)
    files.push(file)
    out = openFileWriter(file)
  }

  function writeLine (line: string): void | Promise<void> {
    rows++
    return appendLine(line)
  }

  return {
    write (input, ord) {
      const index = seen++
      let line: string
      try {
        // Staged rows leave nulls out (a missing field reads as NULL): less to write and to read back. `_ord` goes
        // last, as the line's final field.
        line = storableJsonLine(options.table, input, repairs, `"_ord":${ord ?? rows}`)
      } catch (err) {
        if (!(err instanceof RowProblem)) throw err
        if (!options.onReject) throw new StagedRowProblem(index, err)
        return options.onReject({ index, row: input, problem: err })
      }
      if (!out || rows % rowsPerFile === 0) return nextFile().then(() => writeLine(line))
      return writeLine(line)
    },
    async finish () {
      await close()
      if (!options.query) return { files, format: 'ndjson', rows, repaired: repairs.strings }
      convertLater(undefined)
      await converting
      if (failure) throw failure.err
      return { files: parquets, format: 'parquet', rows, repaired: repairs.strings }
    },
    idle: () => converting,
    abort () {
      aborted = true
      if (!out) return
      // A write in flight fails harmlessly: the staged files are thrown away.
      out.destroy()
    },
  }
}

/** Runs `fn` with a fresh work folder under `tmpDir` and a staging writer in it; both are gone afterwards. */
export async function withStaging<T> (tmpDir: string, prefix: string, options: StagingOptions, fn: (staging: StagingWriter, dir: string) => Promise<T>): Promise<T> {
  const dir = path.join(tmpDir, `${prefix}-${randomUUID()}`)
  // Not recursive: the lake makes tmpDir at start, and a recursive mkdir reports a read-only disk as ENOENT (which
  // would answer 500 instead of 503 LAKE_UNAVAILABLE).
  await fs.mkdir(dir)
  const staging = createStagingWriter(dir, options)
  try {
    return await fn(staging, dir)
  } finally {
    staging.abort()
    await staging.idle()
    await fs.rm(dir, { recursive: true, force: true }).catch(() => {})
  }
}
