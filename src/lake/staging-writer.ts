import { randomUUID } from 'node:crypto'
import { createWriteStream, type WriteStream } from 'node:fs'
import fs from 'node:fs/promises'
import { once } from 'node:events'
import path from 'node:path'

/**
 * DuckDB's JSON reader needs memory in proportion to the file it reads, so large inputs are staged as several files of
 * `rowsPerFile` rows each (JSON lines, each row with an `_ord` giving its input order).
 */
export const stagingRowsPerFile = 10_000

/** Staged rows leave nulls out (a missing field reads as NULL): less to write and to read back. */
const withoutNulls = (_key: string, value: unknown): unknown => (value === null ? undefined : value)

export interface StagingWriter {
  write (row: object): Promise<void>
  /** Closes the last file; answers every file written and the number of rows. */
  finish (): Promise<{ files: string[], rows: number }>
  abort (): void
}

export function createStagingWriter (dir: string, rowsPerFile = stagingRowsPerFile): StagingWriter {
  const files: string[] = []
  let out: WriteStream | undefined
  let rows = 0

  async function close (): Promise<void> {
    if (!out) return
    out.end()
    await once(out, 'finish')
    out = undefined
  }

  return {
    async write (row) {
      if (!out || rows % rowsPerFile === 0) {
        await close()
        const file = path.join(dir, `staged-${String(files.length).padStart(5, '0')}.ndjson`)
        files.push(file)
        out = createWriteStream(file)
      }
      if (!out.write(JSON.stringify({ ...row, _ord: rows++ }, withoutNulls) + '\n')) await once(out, 'drain')
    },
    async finish () {
      await close()
      return { files, rows }
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
export async function withStaging<T> (tmpDir: string, prefix: string, fn: (staging: StagingWriter, dir: string) => Promise<T>): Promise<T> {
  const dir = path.join(tmpDir, `${prefix}-${randomUUID()}`)
  await fs.mkdir(dir, { recursive: true })
  const staging = createStagingWriter(dir)
  try {
    return await fn(staging, dir)
  } finally {
    staging.abort()
    await fs.rm(dir, { recursive: true, force: true })
  }
}
