import http, { type IncomingHttpHeaders } from 'node:http'
import https from 'node:https'
import type Bottleneck from 'bottleneck'
import { AppError } from '../errors.ts'
import { redactUrl } from '../secrets.ts'
import { parseRetryAfter } from './retry-after.ts'

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE'

export interface HttpRequest {
  method?: Method
  /** Path below the client's base URL, or an absolute URL on the same origin. */
  url: string
  searchParams?: Record<string, string | number> | URLSearchParams
  headers?: Record<string, string>
  json?: unknown
  form?: Record<string, string>
}

export interface HttpResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  url: string
  /** The parsed JSON body, or undefined when the body is not JSON (truncated, HTML error page, empty). */
  json: unknown
  text: string
  retryAfterSeconds: number | undefined
}

export interface HttpClientOptions {
  /** Upstream name used in error messages ("Spotify"). */
  name: string
  baseUrl: string
  userAgent: string
  timeoutMs: number
  limiter?: Bottleneck
  /** default 32 MB: a larger answer is a failure, not a heap */
  maxBodyBytes?: number
}

export interface HttpClient {
  readonly name: string
  readonly baseUrl: string
  /** One attempt through the limiter. Retries and waits are the upstream transport's job (upstream.ts). */
  request (request: HttpRequest): Promise<HttpResponse>
}

const defaultMaxBodyBytes = 32 * 1024 * 1024

/** Why an exchange failed short of an answer: a system error code (ECONNRESET) or one of ours. */
class ExchangeError extends Error {
  readonly code: string
  constructor (code: string, message: string) {
    super(message)
    this.code = code
  }
}

interface Exchange {
  url: URL
  method: Method
  headers: Record<string, string>
  body?: string
  timeoutMs: number
  maxBodyBytes: number
}

interface RawResponse {
  status: number
  headers: IncomingHttpHeaders
  text: string
}

/**
 * One request and its whole body over node:http, within `timeoutMs` from the first byte sent to the last received. A
 * body cut short (a reset, a close before Content-Length is reached) is a failure, never a shorter text.
 */
function exchange (request: Exchange): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let settled = false
    const settle = (outcome: () => void): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      outcome()
    }
    // After the answer, a late 'close' changes nothing, and the socket stays alive for the next request.
    const fail = (err: Error): void => {
      if (settled) return
      settle(() => reject(err))
      req.destroy()
    }
    const transport = request.url.protocol === 'https:' ? https : http
    const req = transport.request(request.url, { method: request.method, headers: request.headers }, (res) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > request.maxBodyBytes) fail(new ExchangeError('EBODYTOOLARGE', `an answer over ${request.maxBodyBytes} bytes`))
        else chunks.push(chunk)
      })
      res.on('end', () => {
        if (!res.complete) return fail(new ExchangeError('ECONNRESET', 'the body was cut short'))
        settle(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }))
      })
      res.on('error', fail)
      res.on('close', () => fail(new ExchangeError('ECONNRESET', 'the connection closed before the body ended')))
    })
    const timer = setTimeout(() => fail(new ExchangeError('ETIMEDOUT', 'timed out')), request.timeoutMs)
    req.on('error', fail)
    req.end(request.body)
  })
}

/** The client every upstream builds on: an explicit timeout, no retries of its own, no redirects followed, no thrown 4xx. */
export function createHttpClient (options: HttpClientOptions): HttpClient {
  const base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`)
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes

  function resolve (url: string): URL {
    const resolved = new URL(url.replace(/^\//, ''), base)
    // Absolute URLs from a response (paging links) are followed only on the upstream's own origin: never send our
    // token elsewhere.
    if (resolved.origin !== base.origin) return new URL(`${resolved.pathname.replace(/^\//, '')}${resolved.search}`, base)
    return resolved
  }

  function encode (req: HttpRequest): { body?: string, contentType?: string } {
    if (req.json !== undefined) return { body: JSON.stringify(req.json), contentType: 'application/json' }
    if (req.form !== undefined) return { body: new URLSearchParams(req.form).toString(), contentType: 'application/x-www-form-urlencoded' }
    return {}
  }

  async function request (req: HttpRequest): Promise<HttpResponse> {
    const url = resolve(req.url)
    if (req.searchParams) {
      const params = req.searchParams instanceof URLSearchParams ? req.searchParams : new URLSearchParams(Object.entries(req.searchParams).map(([k, v]): [string, string] => [k, String(v)]))
      for (const [k, v] of params) url.searchParams.append(k, v)
    }
    const method = req.method ?? 'GET'
    const { body, contentType } = encode(req)
    const headers: Record<string, string> = {
      'user-agent': options.userAgent,
      accept: 'application/json',
      ...(contentType ? { 'content-type': contentType, 'content-length': String(Buffer.byteLength(body!)) } : {}),
      ...req.headers,
    }
    const send = () => exchange({ url, method, headers, ...(body !== undefined ? { body } : {}), timeoutMs: options.timeoutMs, maxBodyBytes })
    try {
      const response = options.limiter ? await options.limiter.schedule(send) : await send()
      const text = response.text
      let json: unknown
      try {
        json = text.length > 0 ? JSON.parse(text) : undefined
      } catch {
        json = undefined
      }
      return {
        status: response.status,
        headers: response.headers,
        url: redactUrl(url.toString()),
        json,
        text,
        retryAfterSeconds: parseRetryAfter(response.headers['retry-after']),
      }
    } catch (err) {
      const where = `${method} ${redactUrl(url.toString())}`
      const code = (err as { code?: unknown }).code
      if (code === 'ETIMEDOUT') {
        throw new AppError('UPSTREAM_TIMEOUT', `${options.name} did not answer within ${options.timeoutMs / 1000} s (${where})`, { cause: err })
      }
      const reason = code === 'EBODYTOOLARGE' ? `sent ${(err as Error).message}` : `could not be reached (${typeof code === 'string' ? code : 'unknown error'})`
      throw new AppError('UPSTREAM_FAILED', `${options.name} ${reason} for ${where}`, { cause: err })
    }
  }

  return { name: options.name, baseUrl: base.toString(), request }
}

/** Accepts base URLs with or without the API's version path (https://api.spotify.com or …/v1). */
export function stripSuffix (url: string, suffix: string): string {
  const trimmed = url.replace(/\/+$/, '')
  return trimmed.endsWith(suffix) ? trimmed.slice(0, -suffix.length) : trimmed
}

/** Short human description of a non-JSON or error body, for messages (never the whole body). */
export function describeBody (response: HttpResponse): string {
  const json = response.json as { error?: { message?: string } | string, error_description?: string, message?: string } | undefined
  const short = (text: string): string => (text.length > 200 ? `${text.slice(0, 200)}…` : text)
  if (json && typeof json === 'object') {
    if (typeof json.error === 'object' && typeof json.error?.message === 'string') return short(json.error.message)
    if (typeof json.error === 'string') return short(typeof json.error_description === 'string' ? `${json.error}: ${json.error_description}` : json.error)
    if (typeof json.message === 'string') return short(json.message)
  }
  return response.text.length === 0 ? 'empty body' : `non-JSON body (${Math.min(response.text.length, 1_000_000)} bytes)`
}
