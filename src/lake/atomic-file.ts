import { randomUUID } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'

/** Suffix of files being written; never matched by a reader's `*.parquet` or `*.json` glob. */
export const partialSuffix = '.partial'

export function tempPathFor (target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${randomUUID().slice(0, 8)}${partialSuffix}`)
}

export async function fsyncFile (file: string): Promise<void> {
  const handle = await fs.open(file, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

export async function fsyncDir (dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r')
  try {
    await handle.sync()
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic there.
  } finally {
    await handle.close()
  }
}

/**
 * Makes a fully written temp file the new version of `target`: fsync the data, rename over the old version (atomic on
 * POSIX filesystems), fsync the directory so the rename itself survives a power cut.
 */
export async function commitFile (temp: string, target: string): Promise<void> {
  await fsyncFile(temp)
  await fs.rename(temp, target)
  await fsyncDir(path.dirname(target))
}

/** Writes a whole file atomically: a reader sees the old content or the new, never a part. */
export async function writeFileAtomic (target: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  await fs.mkdir(path.dirname(target), { recursive: true })
  const temp = tempPathFor(target)
  try {
    await fs.writeFile(temp, data, { mode })
    await commitFile(temp, target)
  } catch (err) {
    await fs.rm(temp, { force: true }).catch(() => {})
    throw err
  }
}

/** Removes temp files left by a process that died mid-write. */
export async function removePartials (dir: string): Promise<number> {
  let removed = 0
  let entries: string[]
  try {
    entries = await fs.readdir(dir, { recursive: true })
  } catch {
    return 0
  }
  for (const entry of entries) {
    if (entry.endsWith(partialSuffix)) {
      await fs.rm(path.join(dir, entry), { force: true })
      removed++
    }
  }
  return removed
}
