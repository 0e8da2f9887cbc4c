import fs from 'node:fs/promises'
import path from 'node:path'
import { writeFileAtomic } from './atomic-file.ts'

export interface RawRecord<T = unknown> {
  fetchedAt: string
  url: string
  status: number
  body: T
}

export interface RawZone {
  /** Lands one upstream response as received, so a parse can be replayed without calling the API again. */
  save (source: string, name: string, record: RawRecord): Promise<void>
  /** The same for several responses at once: each lands whole or not at all, and their fsyncs overlap. */
  saveAll (source: string, records: ReadonlyArray<{ name: string, record: RawRecord }>): Promise<void>
  load<T = unknown> (source: string, name: string): Promise<RawRecord<T> | undefined>
}

const safeName = (part: string): string => {
  if (!/^[\w.-]{1,200}$/.test(part) || part.startsWith('.')) throw new Error(`unsafe raw-zone name: ${JSON.stringify(part)}`)
  return part
}

export function createRawZone (rawDir: string): RawZone {
  const fileFor = (source: string, name: string): string =>
    path.join(rawDir, ...source.split('/').map(safeName), `${safeName(name)}.json`)

  return {
    async save (source, name, record) {
      await writeFileAtomic(fileFor(source, name), JSON.stringify(record))
    },
    async saveAll (source, records) {
      // One after another, a batch of 50 answers waited for 100 fsyncs in a row (seconds on a busy disk).
      await Promise.all(records.map(({ name, record }) => writeFileAtomic(fileFor(source, name), JSON.stringify(record))))
    },
    async load<T> (source: string, name: string) {
      try {
        return JSON.parse(await fs.readFile(fileFor(source, name), 'utf8')) as RawRecord<T>
      } catch {
        return undefined
      }
    },
  }
}
