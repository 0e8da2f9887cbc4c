import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import type { RawRecord, RawZone } from '../../lake/raw-zone.ts'
import type { RawAnswer } from './client.ts'

/**
 * raw/musicbrainz/, as received:
 * - `url/`, `recording/`, `search/`: the matching calls (URL relations, ISRC searches and checks, name searches),
 *   one file per answer, kept to explain a match;
 * - `artists/`: the `arid:` detail searches, one file per answer: parse rebuilds mbz_artist_info and
 *   mbz_artist_genre from them;
 * - `areas/<area id>.json`: one area lookup each, fetched once ever: parse rebuilds mbz_areas from them;
 * - `genres/all.json`: the genre list (`/ws/2/genre/all?fmt=txt`), fetched once and kept.
 * Answer files are named `<UTC time>-<sequence>-<random>.json`, so their names sort in the order they were fetched.
 */
export type RawKind = 'url' | 'recording' | 'search' | 'artists' | 'areas' | 'genres'

const source = (kind: RawKind): string => `musicbrainz/${kind}`

export interface RawFile {
  kind: RawKind
  /** file name without `.json` */
  name: string
  mtimeMs: number
}

export interface RawAnswers {
  /** Lands the answers of one client call, each in its own file. */
  land (kind: Exclude<RawKind, 'areas' | 'genres'>, answers: readonly RawAnswer[], fetchedAt: string): Promise<void>
  saveArea (id: string, answer: RawAnswer, fetchedAt: string): Promise<void>
  loadArea (id: string): Promise<RawRecord | undefined>
  saveGenres (answer: RawAnswer, fetchedAt: string): Promise<void>
  /** The kept genre list's answer, or undefined before the first fetch. */
  loadGenres (): Promise<RawRecord | undefined>
  /** Files of a kind, in name order (oldest first for answer files). */
  list (kind: RawKind): Promise<RawFile[]>
  read (file: RawFile): Promise<RawRecord | undefined>
}

export function createRawAnswers (deps: { raw: RawZone, rawDir: string }): RawAnswers {
  const { raw } = deps
  let sequence = 0

  function answerName (fetchedAt: string): string {
    const stamp = fetchedAt.replace(/[-:.]/g, '')
    sequence = (sequence + 1) % 1_000_000
    return `${stamp}-${String(sequence).padStart(6, '0')}-${randomBytes(3).toString('hex')}`
  }

  const record = (answer: RawAnswer, fetchedAt: string): RawRecord => ({ fetchedAt, url: answer.url, status: answer.status, body: answer.body })

  return {
    async land (kind, answers, fetchedAt) {
      for (const answer of answers) await raw.save(source(kind), answerName(fetchedAt), record(answer, fetchedAt))
    },
    saveArea: (id, answer, fetchedAt) => raw.save(source('areas'), id, record(answer, fetchedAt)),
    loadArea: (id) => raw.load(source('areas'), id),
    saveGenres: (answer, fetchedAt) => raw.save(source('genres'), 'all', record(answer, fetchedAt)),
    loadGenres: () => raw.load(source('genres'), 'all'),

    async list (kind) {
      const dir = path.join(deps.rawDir, 'musicbrainz', kind)
      let names: string[]
      try {
        names = await fs.readdir(dir)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
        throw err
      }
      const files: RawFile[] = []
      for (const file of names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort()) {
        const stat = await fs.stat(path.join(dir, file)).catch(() => undefined)
        if (stat) files.push({ kind, name: file.slice(0, -'.json'.length), mtimeMs: stat.mtimeMs })
      }
      return files
    },

    read: (file) => raw.load(source(file.kind), file.name),
  }
}

export interface BackgroundWrites {
  add (write: Promise<unknown>): void
  /** Waits for every write added so far; throws the first failure. */
  settled (): Promise<void>
}

/**
 * Writes that go on while the next MusicBrainz call waits its turn at the limiter: landing an answer (an fsync or
 * two) must not add to the time between calls.
 */
export function backgroundWrites (): BackgroundWrites {
  const pending = new Set<Promise<void>>()
  let failure: { error: unknown } | undefined
  return {
    add (write) {
      const tracked: Promise<void> = write.then(() => {}, (error: unknown) => { failure ??= { error } }).then(() => { pending.delete(tracked) })
      pending.add(tracked)
    },
    async settled () {
      await Promise.all(pending)
      if (failure) throw failure.error
    },
  }
}
