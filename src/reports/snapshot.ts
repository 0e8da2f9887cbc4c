import { randomUUID } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'

/**
 * A hard link to the lake file as it is now, for one query. DuckDB opens a parquet file more than once per query
 * (metadata when binding, data when running); a lake write renaming a new file over the path in between would hand it
 * the new file's bytes at the old file's offsets. The link holds one version. A copy where hard links fail.
 */
export async function withSnapshot<T> (file: string, tmpDir: string, read: (snapshot: string) => Promise<T>): Promise<T> {
  const snapshot = path.join(tmpDir, `reports-${randomUUID()}${path.extname(file)}`)
  await fs.link(file, snapshot).catch(() => fs.copyFile(file, snapshot))
  try {
    return await read(snapshot)
  } finally {
    await fs.rm(snapshot, { force: true })
  }
}
