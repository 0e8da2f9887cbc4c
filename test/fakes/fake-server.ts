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

  function send (res: http.ServerResponse, response: FakeResponse): void {
    const body = response.text ?? (response.json === undefined ? '' : JSON.stringify(response.json))
    res.writeHead(response.status ?? 200, {
      'content-type': response.text !== undefined ? 'text/plain' : 'application/json',
      ...response.headers,
    })
    res.end(body)
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
        case 'delay':
          await new Promise((resolve) => setTimeout(resolve, fault.ms))
          break
      }
    }
    for (const route of routes) {
      if (route.method !== request.method) continue
      const match = route.pattern.exec(request.path)
      if (!match) continue
      const params = Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(match[i + 1]!)]))
      send(res, await route.handler(request, params))
      return
    }
    send(res, { status: 404, json: { error: { status: 404, message: `${name} fake has no route ${request.method} ${request.path}` } } })
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
