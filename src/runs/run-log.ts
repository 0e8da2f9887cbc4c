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
  planId: string | null
}

export interface RunLog {
  record (run: RunRecord): Promise<void>
  list (options: { limit: number, step?: string }): RunRecord[]
}

const keepInMemory = 2000
const rotateAtBytes = 5 * 1024 * 1024
/** A run's error message, as kept and written: a step's answer never quotes more, and a record stays one short line. */
export const maxRunErrorChars = 2000
/** Only the end of the file is read at start: enough for `keepInMemory` capped records. */
const maxLoadBytes = 8 * 1024 * 1024

const capped = (run: RunRecord): RunRecord => run.error && run.error.length > maxRunErrorChars ? { ...run, error: truncate(run.error, maxRunErrorChars) } : run

/** The last `bytes` of a file (a log written before records were capped can hold lines of hundreds of MB). */
async function readTail (file: string, bytes: number): Promise<string> {
  const handle = await fs.open(file, 'r').catch(() => null)
  if (!handle) return ''
  try {
    const { size } = await handle.stat()
    const length = Math.min(size, bytes)
    const buffer = Buffer.alloc(length)
    await handle.read(buffer, 0, length, size - length)
    const text = buffer.toString('utf8')
    // Starting mid-file: the first line is a fragment.
    return length < size ? text.slice(text.indexOf('\n') + 1) : text
  } finally {
    await handle.close()
  }
}

/** Run records as JSON lines under state/; a torn last line (crash mid-append) is skipped on load. */
export async function createRunLog (stateDir: string): Promise<RunLog> {
  const file = path.join(stateDir, 'runs.jsonl')
  const runs: RunRecord[] = []
  const text = await readTail(file, maxLoadBytes)
  for (const line of text.split('\n').slice(-keepInMemory)) {
    if (!line.trim()) continue
    try {
      runs.push(capped(JSON.parse(line) as RunRecord))
    } catch {
      // torn line from an interrupted append
    }
  }
  let queue = Promise.resolve()

  async function persist (run: RunRecord): Promise<void> {
    const stat = await fs.stat(file).catch(() => null)
    if (stat && stat.size > rotateAtBytes) await fs.rename(file, `${file}.1`)
    await fs.appendFile(file, JSON.stringify(run) + '\n')
  }

  return {
    record (record) {
      const run = capped(record)
      runs.push(run)
      if (runs.length > keepInMemory) runs.splice(0, runs.length - keepInMemory)
      queue = queue.then(() => persist(run)).catch(() => {})
      return queue
    },
    list ({ limit, step }) {
      const matching = step ? runs.filter((r) => r.step === step || r.step.startsWith(`${step}.`)) : runs
      return matching.slice(-limit).reverse()
    },
  }
}
