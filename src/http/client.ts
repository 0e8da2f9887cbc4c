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
  /** Attempts after the first, for network errors and 5xx answers (never for 4xx). */
  retries: number
  /** Base of the exponential backoff between those attempts. */
  retryBaseMs: number
  limiter?: Bottleneck
}

export interface HttpClient {
  readonly baseUrl: string
  request (request: HttpRequest): Promise<HttpResponse>
}

const retryStatusCodes = [500, 502, 503, 504]

/** The got client every upstream client builds on: explicit timeouts, retries on transient failures only, no thrown 4xx. */
export function createHttpClient (options: HttpClientOptions): HttpClient {
  const base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`)
  const instance = got.extend({
    timeout: { request: options.timeoutMs },
    throwHttpErrors: false,
    followRedirect: false,
    responseType: 'text',
    headers: { 'user-agent': options.userAgent, accept: 'application/json' },
    retry: {
      limit: options.retries,
      methods: ['GET', 'POST', 'PUT', 'DELETE'],
      statusCodes: retryStatusCodes,
      maxRetryAfter: 30_000,
      calculateDelay: ({ attemptCount, computedValue, error }) => {
        if (computedValue === 0) return 0
        // A Retry-After from the upstream wins (got already capped it at maxRetryAfter); otherwise our own backoff.
        if (error.response?.headers['retry-after'] !== undefined) return computedValue
        return options.retryBaseMs * 2 ** (attemptCount - 1)
      },
    },
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
        throw new AppError('UPSTREAM_TIMEOUT', `${options.name} did not answer within ${options.timeoutMs / 1000} s (${where}), after ${options.retries} retries`, { cause: err })
      }
      const code = err instanceof RequestError ? err.code : 'unknown error'
      throw new AppError('UPSTREAM_FAILED', `${options.name} could not be reached (${code}) for ${where}`, { cause: err })
    }
  }

  return { baseUrl: base.toString(), request }
}

/** Accepts base URLs with or without the API's version path (https://api.spotify.com or …/v1). */
export function stripSuffix (url: string, suffix: string): string {
  const trimmed = url.replace(/\/+$/, '')
  return trimmed.endsWith(suffix) ? trimmed.slice(0, -suffix.length) : trimmed
}

export function userAgent (contact?: string): string {
  return `tracklake/0.1.0 ( ${contact ?? 'https://github.com/tracklake/tracklake'} )`
}

/** Short human description of a non-JSON or error body, for messages (never the whole body). */
export function describeBody (response: HttpResponse): string {
  const json = response.json as { error?: { message?: string } | string, error_description?: string, message?: string } | undefined
  if (json && typeof json === 'object') {
    if (typeof json.error === 'object' && json.error?.message) return json.error.message
    if (typeof json.error === 'string') return json.error_description ? `${json.error}: ${json.error_description}` : json.error
    if (typeof json.message === 'string') return json.message
  }
  return response.text.length === 0 ? 'empty body' : `non-JSON body (${Math.min(response.text.length, 1_000_000)} bytes)`
}
