import type Bottleneck from 'bottleneck'
import got, { RequestError, type Method } from 'got'
import { AppError } from '../errors.ts'
import { redactUrl } from '../secrets.ts'
import { parseRetryAfter } from './retry-after.ts'

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
}

export interface HttpClient {
  readonly name: string
  readonly baseUrl: string
  /** One attempt through the limiter. Retries and waits are the upstream transport's job (upstream.ts). */
  request (request: HttpRequest): Promise<HttpResponse>
}

/** The got client every upstream builds on: an explicit timeout, no retries of its own, no thrown 4xx. */
export function createHttpClient (options: HttpClientOptions): HttpClient {
  const base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`)
  const instance = got.extend({
    timeout: { request: options.timeoutMs },
    throwHttpErrors: false,
    followRedirect: false,
    responseType: 'text',
    headers: { 'user-agent': options.userAgent, accept: 'application/json' },
    // Retries go back through the limiter (upstream.ts): a retry inside got would slip past a per-second budget.
    retry: { limit: 0 },
  })

  function resolve (url: string): URL {
    const resolved = new URL(url.replace(/^\//, ''), base)
    // Absolute URLs from a response (paging links) are followed only on the upstream's own origin: never send our
    // token elsewhere.
    if (resolved.origin !== base.origin) return new URL(`${resolved.pathname.replace(/^\//, '')}${resolved.search}`, base)
    return resolved
  }

  async function request (req: HttpRequest): Promise<HttpResponse> {
    const url = resolve(req.url)
    if (req.searchParams) {
      const params = req.searchParams instanceof URLSearchParams ? req.searchParams : new URLSearchParams(Object.entries(req.searchParams).map(([k, v]): [string, string] => [k, String(v)]))
      for (const [k, v] of params) url.searchParams.append(k, v)
    }
    const method = req.method ?? 'GET'
    const send = () => instance(url, {
      method,
      headers: req.headers,
      ...(req.json !== undefined ? { json: req.json } : {}),
      ...(req.form !== undefined ? { form: req.form } : {}),
    })
    try {
      const response = options.limiter ? await options.limiter.schedule(send) : await send()
      const text = response.body
      let json: unknown
      try {
        json = text.length > 0 ? JSON.parse(text) : undefined
      } catch {
        json = undefined
      }
      return {
        status: response.statusCode,
        headers: response.headers,
        url: redactUrl(response.url),
        json,
        text,
        retryAfterSeconds: parseRetryAfter(response.headers['retry-after']),
      }
    } catch (err) {
      const where = `${method} ${redactUrl(url.toString())}`
      if (err instanceof RequestError && (err.code === 'ETIMEDOUT' || err.name === 'TimeoutError')) {
        throw new AppError('UPSTREAM_TIMEOUT', `${options.name} did not answer within ${options.timeoutMs / 1000} s (${where})`, { cause: err })
      }
      const code = err instanceof RequestError ? err.code : 'unknown error'
      throw new AppError('UPSTREAM_FAILED', `${options.name} could not be reached (${code}) for ${where}`, { cause: err })
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
