import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { buildTestApp, type TestApp } from './helpers/build-app.ts'
import { listenLocal, rawSocket, readAnswer } from './helpers/raw-http.ts'

describe('request bodies that stall', () => {
  let t: TestApp
  let lines: string[]
  const start = async (bodyTimeoutMs: number): Promise<number> => {
    t = await buildTestApp({ LOG_LEVEL: 'info' }, { bodyTimeoutMs, logStream: { write: (line) => { lines.push(line) } } })
    return listenLocal(t.app)
  }

  beforeEach(() => { lines = [] })
  afterEach(async () => { await t.close() })

  const head = (path: string, type: string, length: number): string =>
    `POST ${path} HTTP/1.1\r\nHost: localhost\r\ncontent-type: ${type}\r\ncontent-length: ${length}\r\n\r\n`

  it('answer 408 and close the connection, whichever route and content type', async () => {
    // Every body here stops short and never resumes: the 50 ms clock has nothing to race.
    const port = await start(50)
    const cases = [
      ['/v1/spotify/artists/write', 'application/json', '{"records": ['],
      ['/v1/ingest/streaming-history', 'application/json', '[{"ts": "2024-01-01T10:00:00Z", "ms_played": 1000}, '],
      ['/v1/ingest/streaming-history', 'application/zip', 'PK\u0003\u0004'],
      ['/v1/spotify/artists/write', 'application/json', ''],
    ] as const
    for (const [path, type, start] of cases) {
      const socket = await rawSocket(port)
      socket.write(head(path, type, 10_000) + start)
      const answer = await readAnswer(socket)
      expect(answer.status, `${path} ${type}`).toBe(408)
      expect(JSON.parse(answer.body).code).toBe('REQUEST_TIMEOUT')
      expect(answer.closed).toBe(true)
      socket.destroy()
    }
    const entries = lines.map((line) => JSON.parse(line))
    expect(entries.filter((e) => e.level >= 50)).toEqual([])
  }, 10_000)

  it('log a client that goes away mid-upload as information, not as an error', async () => {
    // The default minute: the client leaves long before it.
    const port = await start(60_000)
    for (const [type, start] of [['application/zip', 'PK\u0003\u0004 some of a zip'], ['application/json', '[{"ts": "2024-01-01T10:']] as const) {
      const socket = await rawSocket(port)
      socket.write(head('/v1/ingest/streaming-history', type, 10_000) + start)
      // Gone once the service has the request (its log says so), before the body is complete.
      await vi.waitFor(() => { expect(lines.filter((line) => line.includes('incoming request'))).toHaveLength(type === 'application/zip' ? 1 : 2) })
      socket.destroy()
    }
    await vi.waitFor(() => { expect(lines.filter((line) => line.includes('REQUEST_ABORTED'))).toHaveLength(2) })
    await t.close()
    const entries = lines.map((line) => JSON.parse(line))
    expect(entries.filter((e) => e.code === 'REQUEST_ABORTED').map((e) => e.level)).toEqual([30, 30])
    expect(entries.filter((e) => e.level >= 50)).toEqual([])
  }, 10_000)

  it('leave no timer or error behind for a body nobody reads (refused before it was read)', async () => {
    const port = await start(50)
    for (const [path, type, length] of [['/v1/ingest/streaming-history', 'text/csv', 10_000], ['/v1/ingest/streaming-history', 'application/json', 300 * 1024 * 1024]] as const) {
      const socket = await rawSocket(port)
      socket.write(head(path, type, length) + '[')
      const answer = await readAnswer(socket)
      expect(answer.status, `${path} ${type}`).toBeGreaterThanOrEqual(400)
      expect(answer.status, `${path} ${type}`).not.toBe(408)
      // The connection stays open a while after the answer, with the body still owed: longer than the 50 ms clock.
      await new Promise((resolve) => { socket.once('close', resolve) })
    }
    const health = await rawSocket(port)
    health.write('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n')
    expect((await readAnswer(health)).status).toBe(200)
    health.destroy()
  }, 10_000)
})
