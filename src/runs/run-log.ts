import fs from 'node:fs/promises'
import path from 'node:path'
import { truncate } from '../errors.ts'

export type RunStatus = 'ok' | 'rate_limited' | 'error'

export interface RunRecord {
  step: string
  startedAt: string
  durationMs: number
  status: RunStatus
  httpStatus: number
  counts: Record<string, number>
  error: string | null
  /** the error code of a failed call (NOT_CONFIGURED, UPSTREAM_FAILED …); absent on success and in older records */
  code?: string
  planId: string | null
}

/** The records of a time window, and whether they are all of them. */
export interface RunWindow {
  runs: RunRecord[]
  /** false when records of the window were dropped before they could be read (the log was rotated past them) */
  complete: boolean
}

export interface RunLog {
  record (run: RunRecord): Promise<void>
  list (options: { limit: number, step?: string }): RunRecord[]
  /** Every record that started at or after `since` (and before `until`), oldest first. */
  window (since: Date, until?: Date): Promise<RunWindow>
}

const keepInMemory = 2000
const rotateAtBytes = 5 * 1024 * 1024
/** A run's error message, as kept and written: a step's answer never quotes more, and a record stays one short line. */
export const maxRunErrorChars = 2000
/** Only the end of the file is read at start: enough for `keepInMemory` capped records. */
const maxLoadBytes = 8 * 1024 * 1024

const capped = (run: RunRecord): RunRecord => run.error && run.error.length > maxRunErrorChars ? { ...run, error: truncate(run.error, maxRunErrorChars) } : run

/** The last `bytes` of a file (a log written before records were capped can hold lines of hundreds of MB). */
async function readTail (file: string, bytes: number): Promise<{ text: string, cut: boolean, exists: boolean }> {
  const handle = await fs.open(file, 'r').catch(() => null)
  if (!handle) return { text: '', cut: false, exists: false }
  try {
    const { size } = await handle.stat()
    const length = Math.min(size, bytes)
    const buffer = Buffer.alloc(length)
    await handle.read(buffer, 0, length, size - length)
    const text = buffer.toString('utf8')
    // Starting mid-file: the first line is a fragment.
    return { text: length < size ? text.slice(text.indexOf('\n') + 1) : text, cut: length < size, exists: true }
  } finally {
    await handle.close()
  }
}

/** The records of JSON lines; a torn line (crash mid-append) is skipped. */
function parseLines (lines: string[]): RunRecord[] {
  const records: RunRecord[] = []
  for (const line of lines) {
    if (!line.trim()) continue
    try {
      records.push(capped(JSON.parse(line) as RunRecord))
    } catch {
      // torn line from an interrupted append
    }
  }
  return records
}

const startOf = (run: RunRecord): number => Date.parse(run.startedAt)

/** Run records as JSON lines under state/; a torn last line (crash mid-append) is skipped on load. */
export async function createRunLog (stateDir: string): Promise<RunLog> {
  const file = path.join(stateDir, 'runs.jsonl')
  const rotated = `${file}.1`
  const loaded = await readTail(file, maxLoadBytes)
  const lines = loaded.text.split('\n')
  const runs = parseLines(lines.slice(-keepInMemory))
  // Whether `runs` still holds every record ever written: nothing rotated away, cut off or dropped from memory.
  let holdsAll = !loaded.cut && lines.filter((l) => l.trim()).length <= keepInMemory && !(await fs.stat(rotated).then(() => true, () => false))
  let queue = Promise.resolve()

  async function persist (run: RunRecord): Promise<void> {
    const stat = await fs.stat(file).catch(() => null)
    if (stat && stat.size > rotateAtBytes) await fs.rename(file, rotated)
    await fs.appendFile(file, JSON.stringify(run) + '\n')
  }

  /** Both files, oldest first, for a window that reaches back beyond the records in memory. */
  async function readFiles (): Promise<{ runs: RunRecord[], whole: boolean }> {
    await queue
    const older = await readTail(rotated, maxLoadBytes)
    const newer = await readTail(file, maxLoadBytes)
    // A rotation overwrites the previous .1 file: with one there, older records may be gone.
    return { runs: parseLines([...older.text.split('\n'), ...newer.text.split('\n')]), whole: !older.exists && !newer.cut }
  }

  return {
    record (record) {
      const run = capped(record)
      runs.push(run)
      if (runs.length > keepInMemory) {
        runs.splice(0, runs.length - keepInMemory)
        holdsAll = false
      }
      queue = queue.then(() => persist(run)).catch(() => {})
      return queue
    },
    list ({ limit, step }) {
      const matching = step ? runs.filter((r) => r.step === step || r.step.startsWith(`${step}.`)) : runs
      return matching.slice(-limit).reverse()
    },
    async window (since, until) {
      const from = since.getTime()
      const to = until?.getTime() ?? Number.POSITIVE_INFINITY
      const inWindow = (r: RunRecord): boolean => startOf(r) >= from && startOf(r) < to
      const byStart = (list: RunRecord[]): RunRecord[] => list.filter(inWindow).sort((a, b) => startOf(a) - startOf(b))
      // Memory answers when it holds everything, or when its oldest record ended before the window began (any record
      // dropped before it ended earlier still); otherwise the files do.
      const oldest = runs[0]
      if (holdsAll || (oldest !== undefined && startOf(oldest) + oldest.durationMs < from)) return { runs: byStart(runs), complete: true }
      const read = await readFiles()
      return { runs: byStart(read.runs), complete: read.whole || read.runs.some((r) => startOf(r) < from) }
    },
  }
}
