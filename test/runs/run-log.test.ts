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

  describe('window', () => {
    const at = (i: number): RunRecord => ({ ...run(null), status: 'ok', httpStatus: 200, step: `step.${i}`, startedAt: new Date(Date.parse('2026-01-01T00:00:00Z') + i * 1000).toISOString() })
    const since = (i: number): Date => new Date(Date.parse(at(i).startedAt))
    const write = (name: string, records: RunRecord[]): Promise<void> => fs.writeFile(path.join(dir, name), records.map((r) => JSON.stringify(r)).join('\n') + '\n')

    it('answers the records that started in it, oldest first, from memory', async () => {
      const runs = await createRunLog(dir)
      for (const i of [3, 1, 2, 5]) await runs.record(at(i))
      const window = await runs.window(since(2), since(5))
      expect(window.runs.map((r) => r.step)).toEqual(['step.2', 'step.3'])
      expect(window.complete).toBe(true)
    })

    it('reads older records back from the file once memory no longer reaches back to the window', async () => {
      await write('runs.jsonl', Array.from({ length: 2500 }, (_, i) => at(i)))
      const runs = await createRunLog(dir)
      expect(runs.list({ limit: 1000 }).at(-1)!.step).not.toBe('step.0')
      const window = await runs.window(since(100))
      expect(window.runs).toHaveLength(2400)
      expect(window.runs[0]!.step).toBe('step.100')
      expect(window.complete).toBe(true)
    })

    it('says when records of the window may be gone (the log was rotated past them)', async () => {
      await write('runs.jsonl.1', [at(10), at(11)])
      await write('runs.jsonl', [at(12)])
      const runs = await createRunLog(dir)
      const window = await runs.window(since(0))
      expect(window.runs.map((r) => r.step)).toEqual(['step.10', 'step.11', 'step.12'])
      expect(window.complete).toBe(false)
      expect((await runs.window(since(11))).complete).toBe(true)
    })
  })
})
