import fs from 'node:fs/promises'
import path from 'node:path'

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

/** Run records as JSON lines under state/; a torn last line (crash mid-append) is skipped on load. */
export async function createRunLog (stateDir: string): Promise<RunLog> {
  const file = path.join(stateDir, 'runs.jsonl')
  const runs: RunRecord[] = []
  const text = await fs.readFile(file, 'utf8').catch(() => '')
  for (const line of text.split('\n').slice(-keepInMemory)) {
    if (!line.trim()) continue
    try {
      runs.push(JSON.parse(line) as RunRecord)
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
    record (run) {
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
