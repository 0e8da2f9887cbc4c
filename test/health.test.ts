import fs from 'node:fs/promises'
import path from 'node:path'
import request from 'supertest'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './helpers/build-app.ts'

describe('/ready', () => {
  let t: TestApp
  let lines: string[]

  beforeEach(async () => {
    lines = []
    t = await buildTestApp({ LOG_LEVEL: 'info', TRACKLAKE_API_TOKEN: 'a-long-enough-test-token' }, { logStream: { write: (line) => { lines.push(line) } } })
  })
  afterEach(async () => { await t.close() })

  it('answers ready to 50 concurrent checks on a healthy service', async () => {
    const answers = await Promise.all(Array.from({ length: 50 }, () => request(t.app.server).get('/ready')))
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200))
    expect((await fs.readdir(path.join(t.dataDir, 'lake'))).filter((name) => name.startsWith('.ready'))).toEqual([])
  })

  it('answers 503 without a path, a PID or an internal message, and logs the details', async () => {
    const lakeDir = path.join(t.dataDir, 'lake')
    await fs.rename(lakeDir, `${lakeDir}.moved`)
    await fs.writeFile(lakeDir, 'not a folder')
    try {
      const res = await request(t.app.server).get('/ready')
      expect(res.status).toBe(503)
      expect(res.body).toEqual({ status: 'not_ready', message: expect.any(String), checks: { lakeWritable: { ok: false }, duckdb: { ok: true } } })
      expect(res.text).not.toContain(t.dataDir)
      expect(res.text).not.toContain(String(process.pid))
      expect(res.text).not.toMatch(/ENOTDIR|ENOENT|EACCES/)
      expect(lines.join('')).toContain(t.dataDir)
    } finally {
      await fs.rm(lakeDir)
      await fs.rename(`${lakeDir}.moved`, lakeDir)
    }
  })
})
