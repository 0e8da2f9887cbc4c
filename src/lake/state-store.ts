import fs from 'node:fs/promises'
import path from 'node:path'
import { writeFileAtomic } from './atomic-file.ts'

export interface StateStore {
  readonly dir: string
  read<T> (name: string): Promise<T | undefined>
  /** Atomic replace; `secret` files are readable by the service user only; `compact` skips pretty-printing. */
  write (name: string, value: unknown, options?: { secret?: boolean, compact?: boolean }): Promise<void>
  /** The same for a value already in JSON text (a plan's packed items), which is not turned into JSON again. */
  writeJson (name: string, json: string): Promise<void>
  remove (name: string): Promise<void>
}

export function createStateStore (dir: string): StateStore {
  const fileFor = (name: string): string => {
    if (!/^[\w-]+(\/[\w.-]+)*$/.test(name)) throw new Error(`unsafe state name: ${name}`)
    return path.join(dir, `${name}.json`)
  }
  return {
    dir,
    async read<T> (name: string) {
      try {
        return JSON.parse(await fs.readFile(fileFor(name), 'utf8')) as T
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw err
      }
    },
    async write (name, value, options = {}) {
      await writeFileAtomic(fileFor(name), options.compact ? JSON.stringify(value) : JSON.stringify(value, null, 2), options.secret ? 0o600 : 0o644)
    },
    async writeJson (name, json) {
      await writeFileAtomic(fileFor(name), json, 0o644)
    },
    async remove (name) {
      await fs.rm(fileFor(name), { force: true })
    },
  }
}
