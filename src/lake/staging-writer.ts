import { randomUUID } from 'node:crypto'
import { createWriteStream, type WriteStream } from 'node:fs'
import fs from 'node:fs/promises'
import { once } from 'node:events'
import path from 'node:path'
import { RowProblem, storableRow, type TableDef } from './table.ts'

/**
 * DuckDB's JSON reader needs memory in proportion to the file it reads, so large inputs are staged as several files of
 * `rowsPerFile` rows each (JSON lines, each row with an `_ord` giving its input order).
 */
export const stagingRowsPerFile = 10_000

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
}

export interface StagingWriter {
  write (row: Record<string, unknown>): Promise<void>
  /** Closes the last file; answers every file written, the rows staged and the strings repaired. */
  finish (): Promise<StagedFiles>
  abort (): void
}

export interface StagedFiles {
  files: string[]
  rows: number
  repaired: number
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
  let out: WriteStream | undefined
  let rows = 0
  let seen = 0
  let chunk = Buffer.allocUnsafe(chunkBytes)
  let used = 0

  async function flush (): Promise<void> {
    if (used === 0 || !out) return
    const full = chunk.subarray(0, used)
    chunk = Buffer.allocUnsafe(chunkBytes)
    used = 0
    if (!out.write(full)) await once(out, 'drain')
  }

  async function append (text: string): Promise<void> {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    if (used + text.length * 3 > chunkBytes) await flush()
    if (text.length * 3 > chunkBytes) {
      if (!out!.write(text)) await once(out!, 'drain')
      return
    }
    used += chunk.write(text, used)
  }

  async function close (): Promise<void> {
    if (!out) return
    await flush()
    out.end()
    await once(out, 'finish')
    out = undefined
  }

  return {
    async write (input) {
      const index = seen++
      let row: Record<string, unknown>
      try {
        // Staged rows leave nulls out (a missing field reads as NULL): less to write and to read back.
        row = storableRow(options.table, input, repairs, { omitNulls: true })
      } catch (err) {
        if (!(err instanceof RowProblem)) throw err
        if (!options.onReject) throw new StagedRowProblem(index, err)
        await options.onReject({ index, row: input, problem: err })
        return
      }
      if (!out || rows % rowsPerFile === 0) {
        await close()
        const file = path.join(dir, `staged-${String(files.length).padStart(5, '0')}.ndjson`)
        files.push(file)
        out = createWriteStream(file)
      }
      // `_ord` goes in before the closing brace (no copy of the row for one more field).
      const json = JSON.stringify(row)
      await append(`${json.length > 2 ? `${json.slice(0, -1)},` : '{'}"_ord":${rows++}}\n`)
    },
    async finish () {
      await close()
      return { files, rows, repaired: repairs.strings }
    },
    abort () {
      if (!out) return
      // A write in flight fails harmlessly: the staged files are thrown away.
      out.on('error', () => {})
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
    await fs.rm(dir, { recursive: true, force: true }).catch(() => {})
  }
}
