import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createRunLog, type RunRecord } from '../../src/runs/run-log.ts'
import { makeTempDir } from '../helpers/build-app.ts'

const run = (error: string | null): RunRecord => ({
  step: 'ingest.streaming-history',
  startedAt: '2026-01-01T00:00:00.000Z',
  durationMs: 5,
  status: 'error',
  httpStatus: 400,
  counts: {},
  error,
  planId: null,
})

describe('run log', () => {
  let dir: string

  beforeEach(async () => { dir = await makeTempDir() })
  afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }) })

  it('caps the error message it keeps and writes', async () => {
    const runs = await createRunLog(dir)
    await runs.record(run('x'.repeat(1_000_000)))
    const [kept] = runs.list({ limit: 1 })
    expect(kept!.error!.length).toBeLessThan(2100)
    expect(kept!.error).toMatch(/^x+… \(\d+ more characters\)$/)
    expect((await fs.stat(path.join(dir, 'runs.jsonl'))).size).toBeLessThan(3000)
  })

  it('loads a log written before the cap without holding its giant lines', async () => {
    const file = path.join(dir, 'runs.jsonl')
    await fs.writeFile(file, [run('first'), run('y'.repeat(3_000_000)), run('last')].map((r) => JSON.stringify(r)).join('\n') + '\n')
    const runs = await createRunLog(dir)
    const listed = runs.list({ limit: 10 })
    expect(listed[0]!.error).toBe('last')
    expect(JSON.stringify(listed).length).toBeLessThan(5000)
  })
})
