import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AppError } from '../../src/errors.ts'
import { createHttpClient, type HttpClient } from '../../src/http/client.ts'

interface Seen {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
  body: string
}

describe('createHttpClient', () => {
  let server: http.Server
  let base: string
  let seen: Seen[]
  let connections: number
  let handle: (req: http.IncomingMessage, res: http.ServerResponse) => void
  const sockets = new Set<Socket>()

  const client = (options: { timeoutMs?: number, maxBodyBytes?: number, baseUrl?: string } = {}): HttpClient => createHttpClient({
    name: 'Upstream',
    baseUrl: options.baseUrl ?? `${base}/v1`,
    userAgent: 'tracklake-test/1',
    timeoutMs: options.timeoutMs ?? 5_000,
    ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
  })

  const failure = async (promise: Promise<unknown>): Promise<AppError> => {
    const err = await promise.then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(AppError)
    return err as AppError
  }

  beforeEach(async () => {
    seen = []
    connections = 0
    handle = (_req, res) => res.end('{"ok":true}')
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
        handle(req, res)
      })
    })
    server.on('connection', (socket: Socket) => {
      connections++
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  afterEach(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
  })

  it('sends a GET below the base URL with its query, user agent and accept header, and parses the JSON answer', async () => {
    const response = await client().request({ url: '/artists', searchParams: { ids: 'a,b', limit: 2 } })
    expect(response).toMatchObject({ status: 200, json: { ok: true }, text: '{"ok":true}', url: `${base}/v1/artists?ids=a%2Cb&limit=2` })
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/v1/artists?ids=a%2Cb&limit=2' })
    expect(seen[0]!.headers).toMatchObject({ 'user-agent': 'tracklake-test/1', accept: 'application/json' })
  })

  it('encodes a form body and a JSON body with their content types', async () => {
    await client().request({ method: 'POST', url: 'token', form: { grant_type: 'refresh_token', refresh_token: 'a b&c' } })
    await client().request({ method: 'POST', url: 'things', json: { name: 'Björk' }, headers: { authorization: 'Bearer x' } })
    expect(seen[0]).toMatchObject({ method: 'POST', body: 'grant_type=refresh_token&refresh_token=a+b%26c' })
    expect(seen[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(seen[1]).toMatchObject({ method: 'POST', body: '{"name":"Björk"}' })
    expect(seen[1]!.headers).toMatchObject({ 'content-type': 'application/json', 'content-length': String(Buffer.byteLength('{"name":"Björk"}')), authorization: 'Bearer x' })
  })

  it('answers error statuses as they are, with Retry-After, and follows no redirect', async () => {
    handle = (req, res) => {
      if (req.url!.endsWith('/busy')) res.writeHead(429, { 'retry-after': '7' }).end('{"error":{"status":429}}')
      else if (req.url!.endsWith('/moved')) res.writeHead(302, { location: '/elsewhere' }).end()
      else res.writeHead(502, { 'content-type': 'text/html' }).end('<html>bad gateway</html>')
    }
    expect(await client().request({ url: 'busy' })).toMatchObject({ status: 429, retryAfterSeconds: 7, json: { error: { status: 429 } } })
    expect(await client().request({ url: 'moved' })).toMatchObject({ status: 302, text: '' })
    expect(await client().request({ url: 'gateway' })).toMatchObject({ status: 502, json: undefined, text: '<html>bad gateway</html>' })
    expect(seen.map((s) => s.url)).toEqual(['/v1/busy', '/v1/moved', '/v1/gateway'])
  })

  it('keeps a paging link to another origin on its own origin', async () => {
    await client({ baseUrl: base }).request({ url: 'https://evil.example/v1/me/next?offset=50' })
    expect(seen[0]!.url).toBe('/v1/me/next?offset=50')
  })

  it('reuses one kept-alive connection for requests one after another', async () => {
    const c = client()
    for (let i = 0; i < 3; i++) await c.request({ url: 'x' })
    expect(seen).toHaveLength(3)
    expect(connections).toBe(1)
  })

  it('fails with UPSTREAM_TIMEOUT when no answer comes', async () => {
    handle = () => { /* never answers */ }
    const err = await failure(client({ timeoutMs: 100 }).request({ url: 'slow' }))
    expect(err.code).toBe('UPSTREAM_TIMEOUT')
    expect(err.message).toBe(`Upstream did not answer within 0.1 s (GET ${base}/v1/slow)`)
  })

  it('fails with UPSTREAM_TIMEOUT when the body never ends', async () => {
    handle = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"items":[')
    }
    expect((await failure(client({ timeoutMs: 100 }).request({ url: 'slow-body' }))).code).toBe('UPSTREAM_TIMEOUT')
  })

  it('fails, never answers a shorter text, when the connection closes before Content-Length is reached', async () => {
    handle = (_req, res) => {
      res.writeHead(200, { 'content-length': '100', 'content-type': 'application/json' })
      res.write('{"items":[1,2', () => res.socket!.destroy())
    }
    const err = await failure(client().request({ url: 'cut' }))
    expect(err.code).toBe('UPSTREAM_FAILED')
    expect(err.message).toContain('ECONNRESET')
  })

  it('fails when a chunked body is reset midway', async () => {
    handle = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"items":[1,2', () => res.socket!.resetAndDestroy())
    }
    expect((await failure(client().request({ url: 'reset' }))).code).toBe('UPSTREAM_FAILED')
  })

  it('fails on an answer larger than its limit instead of holding it', async () => {
    handle = (_req, res) => res.end('x'.repeat(5_000))
    const err = await failure(client({ maxBodyBytes: 1_000 }).request({ url: 'huge' }))
    expect(err.code).toBe('UPSTREAM_FAILED')
    expect(err.message).toBe(`Upstream sent an answer over 1000 bytes for GET ${base}/v1/huge`)
  })

  it('names the system error when the upstream cannot be reached', async () => {
    const closed = http.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const err = await failure(client({ baseUrl: `http://127.0.0.1:${port}` }).request({ url: 'x' }))
    expect(err.code).toBe('UPSTREAM_FAILED')
    expect(err.message).toBe(`Upstream could not be reached (ECONNREFUSED) for GET http://127.0.0.1:${port}/x`)
  })
})
