import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/** A request as the fake saw it. */
export interface FakeRequest {
  method: string
  path: string
  query: URLSearchParams
  headers: http.IncomingHttpHeaders
  body: string
}

export interface FakeResponse {
  status?: number
  headers?: Record<string, string>
  json?: unknown
  text?: string
}

/** What can go wrong upstream, injected before routing. */
export type Fault =
  | { kind: 'status', status: number, retryAfter?: number | string, json?: unknown, headers?: Record<string, string> }
  | { kind: 'delay', ms: number }
  | { kind: 'hang' }
  | { kind: 'malformed' }
  | { kind: 'truncated' }
  /** The real answer, cut off after `bytes` of its body (default half) by a TCP reset: a connection lost mid-body. */
  | { kind: 'reset', bytes?: number }
  /** The real answer, its body trickled `chunkBytes` (default 16) at a time every `intervalMs`. */
  | { kind: 'slow', intervalMs: number, chunkBytes?: number }

export type Matcher = string | RegExp | ((request: FakeRequest) => boolean)

type Handler = (request: FakeRequest, params: Record<string, string>) => FakeResponse | Promise<FakeResponse>

interface Route {
  method: string
  pattern: RegExp
  names: string[]
  handler: Handler
}

interface PendingFault {
  match: Matcher
  fault: Fault
  remaining: number
}

export interface FakeServer {
  readonly url: string
  readonly requests: FakeRequest[]
  route (method: string, path: string, handler: Handler): void
  /** Inject a fault for the next `times` requests that match (path substring, regex or predicate). */
  fault (match: Matcher, fault: Fault, times?: number): void
  /** Requests seen, optionally only those matching. */
  count (match?: Matcher): number
  reset (): void
  close (): Promise<void>
}

function matches (match: Matcher, request: FakeRequest): boolean {
  if (typeof match === 'string') return request.path.includes(match)
  if (match instanceof RegExp) return match.test(`${request.path}?${request.query.toString()}`)
  return match(request)
}

function compile (path: string): { pattern: RegExp, names: string[] } {
  const names: string[] = []
  const source = path.replace(/\//g, '\\/').replace(/:(\w+)/g, (_m, name: string) => {
    names.push(name)
    return '([^/]+)'
  })
  return { pattern: new RegExp(`^${source}$`), names }
}

/** A tiny HTTP server on 127.0.0.1 that counts requests and can misbehave on demand. */
export async function createFakeServer (name = 'fake'): Promise<FakeServer> {
  const routes: Route[] = []
  const faults: PendingFault[] = []
  const requests: FakeRequest[] = []
  const sockets = new Set<Socket>()

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      const request: FakeRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      }
      requests.push(request)
      handle(request, res).catch((err: Error) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ error: { status: 500, message: `${name} fake crashed: ${err.message}` } }))
      })
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  function serialise (response: FakeResponse): { body: Buffer, headers: Record<string, string> } {
    const body = Buffer.from(response.text ?? (response.json === undefined ? '' : JSON.stringify(response.json)))
    return { body, headers: { 'content-type': response.text !== undefined ? 'text/plain' : 'application/json', ...response.headers } }
  }

  function send (res: http.ServerResponse, response: FakeResponse): void {
    const { body, headers } = serialise(response)
    res.writeHead(response.status ?? 200, headers)
    res.end(body)
  }

  async function answer (request: FakeRequest): Promise<FakeResponse> {
    for (const route of routes) {
      if (route.method !== request.method) continue
      const match = route.pattern.exec(request.path)
      if (!match) continue
      const params = Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(match[i + 1]!)]))
      return route.handler(request, params)
    }
    return { status: 404, json: { error: { status: 404, message: `${name} fake has no route ${request.method} ${request.path}` } } }
  }

  /** Sends the real answer with its full Content-Length, then only part of the body or all of it slowly. */
  async function misbehave (res: http.ServerResponse, request: FakeRequest, fault: Extract<Fault, { kind: 'reset' | 'slow' }>): Promise<void> {
    const response = await answer(request)
    const { body, headers } = serialise(response)
    res.writeHead(response.status ?? 200, { ...headers, 'content-length': String(body.length) })
    if (fault.kind === 'reset') {
      res.write(body.subarray(0, fault.bytes ?? Math.floor(body.length / 2)))
      // A reset discards what the peer has not read yet: give the part time to arrive first.
      await new Promise((resolve) => setTimeout(resolve, 50))
      res.socket?.resetAndDestroy()
      return
    }
    const step = fault.chunkBytes ?? 16
    for (let at = 0; at < body.length && !res.destroyed; at += step) {
      res.write(body.subarray(at, at + step))
      await new Promise((resolve) => setTimeout(resolve, fault.intervalMs))
    }
    res.end()
  }

  async function handle (request: FakeRequest, res: http.ServerResponse): Promise<void> {
    const pending = faults.find((f) => f.remaining > 0 && matches(f.match, request))
    if (pending) {
      pending.remaining--
      const fault = pending.fault
      switch (fault.kind) {
        case 'status':
          send(res, {
            status: fault.status,
            headers: { ...(fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {}), ...fault.headers },
            json: fault.json ?? { error: { status: fault.status, message: `injected ${fault.status}` } },
          })
          return
        case 'hang':
          return
        case 'malformed':
          res.writeHead(200, { 'content-type': 'application/json' })
          res.end('{"this is": not json')
          return
        case 'truncated':
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': '5000' })
          res.write('{"items": [{"trunc')
          res.socket?.destroy()
          return
        case 'reset':
        case 'slow':
          await misbehave(res, request, fault)
          return
        case 'delay':
          await new Promise((resolve) => setTimeout(resolve, fault.ms))
          break
      }
    }
    send(res, await answer(request))
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    route (method, path, handler) {
      routes.push({ method, ...compile(path), handler })
    },
    fault (match, fault, times = 1) {
      faults.push({ match, fault, remaining: times })
    },
    count (match) {
      return match === undefined ? requests.length : requests.filter((r) => matches(match, r)).length
    },
    reset () {
      requests.length = 0
      faults.length = 0
    },
    async close () {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
