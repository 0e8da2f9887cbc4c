import http from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { createFakeServer, type FakeServer } from './fake-server.ts'

/** One GET with node:http, answering what arrived before the body ended or failed. */
function get (url: string): Promise<{ status: number, received: string, error?: string }> {
  return new Promise((resolve) => {
    let status = 0
    let received = ''
    http.get(url, (res) => {
      status = res.statusCode ?? 0
      res.on('data', (chunk: Buffer) => { received += chunk.toString('utf8') })
      res.on('end', () => resolve({ status, received }))
      res.on('error', () => {})
    }).on('error', (err: NodeJS.ErrnoException) => resolve({ status, received, error: err.code ?? err.message }))
  })
}

describe('fake server faults', () => {
  let fake: FakeServer
  afterEach(async () => { await fake.close() })

  it('reset: sends the real answer\'s headers and part of its body, then resets the connection', async () => {
    fake = await createFakeServer()
    fake.route('GET', '/thing', () => ({ json: { items: Array.from({ length: 50 }, (_, i) => ({ i })) } }))
    fake.fault('/thing', { kind: 'reset', bytes: 20 })
    const cut = await get(`${fake.url}/thing`)
    expect(cut.status).toBe(200)
    expect(cut.received).toBe('{"items":[{"i":0},{"')
    expect(cut.error).toBe('ECONNRESET')
    const whole = await get(`${fake.url}/thing`)
    expect(JSON.parse(whole.received).items).toHaveLength(50)
  })

  it('slow: trickles the whole real body in small chunks', async () => {
    fake = await createFakeServer()
    fake.route('GET', '/thing', () => ({ json: { name: 'x'.repeat(40) } }))
    fake.fault('/thing', { kind: 'slow', intervalMs: 1, chunkBytes: 8 })
    const slow = await get(`${fake.url}/thing`)
    expect(slow.error).toBeUndefined()
    expect(JSON.parse(slow.received)).toEqual({ name: 'x'.repeat(40) })
  })
})
