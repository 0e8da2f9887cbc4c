import { truncate } from './errors.ts'

const redacted = '[redacted]'
const minSecretLength = 6
const maxRemembered = 64

export interface Secrets {
  /** Remembers a value (a rotated token, a fresh access token) so it never reaches a log line or an error body. */
  add (value: string | undefined): void
  scrub (text: string): string
  /** A copy with secrets scrubbed from every string (and, with `maxChars`, every string cut to that length). */
  scrubDeep<T> (value: T, options?: { maxChars?: number }): T
}

export function createSecrets (initial: string[] = []): Secrets {
  const values: string[] = []

  function add (value: string | undefined): void {
    if (!value || value.length < minSecretLength || values.includes(value)) return
    values.push(value)
    if (values.length > maxRemembered) values.splice(initial.length, 1)
  }

  function scrub (text: string): string {
    let out = text
    for (const value of values) {
      if (out.includes(value)) out = out.split(value).join(redacted)
    }
    return out
  }

  function scrubDeep<T> (value: T, options: { maxChars?: number } = {}): T {
    const max = options.maxChars
    // Cut (with room to spare) before scrubbing, so a huge value costs little; cut again after, so no secret is halved.
    const text = (raw: string): string => max === undefined ? scrub(raw) : truncate(scrub(truncate(raw, max + 1024)), max)

    function walk (inner: unknown, depth: number): unknown {
      if (typeof inner === 'string') return text(inner)
      if (inner === null || typeof inner !== 'object' || depth > 6) return inner
      if (inner instanceof Error) {
        const copy = new Error(text(inner.message)) as Error & Record<string, unknown>
        copy.name = inner.name
        copy.stack = inner.stack ? text(inner.stack) : undefined
        // `cause` is not enumerable, but pino logs it.
        if (inner.cause !== undefined) copy.cause = walk(inner.cause, depth + 1)
        for (const [key, field] of Object.entries(inner)) copy[key] = walk(field, depth + 1)
        return copy
      }
      if (Array.isArray(inner)) return inner.map((field) => walk(field, depth + 1))
      if (Object.getPrototypeOf(inner) !== Object.prototype) return inner
      const copy: Record<string, unknown> = {}
      for (const [key, field] of Object.entries(inner)) copy[key] = walk(field, depth + 1)
      return copy
    }
    return walk(value, 0) as T
  }

  for (const value of initial) add(value)
  return { add, scrub, scrubDeep }
}

/** Query parameters whose values are credentials, wherever they appear: ours, the upstreams', a caller's mistake. */
const secretParam = /^(?:token|secret|key|code|password|passwd|appid|api_?key|access_token|refresh_token|client_secret|.*[_-](?:token|secret|key|password))$/i

function paramName (raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '))
  } catch {
    return raw
  }
}

/**
 * Redacts the values of query parameters named like secrets (OpenWeather's `appid`, `token`, `client_secret`, `code`,
 * …) in an absolute URL or a request path. Everything else is kept byte for byte.
 */
export function redactUrl (url: string): string {
  const queryAt = url.indexOf('?')
  if (queryAt === -1) return url
  const hashAt = url.indexOf('#', queryAt)
  const end = hashAt === -1 ? url.length : hashAt
  let changed = false
  const parts = url.slice(queryAt + 1, end).split('&').map((part) => {
    const eq = part.indexOf('=')
    const name = eq === -1 ? part : part.slice(0, eq)
    if (!secretParam.test(paramName(name))) return part
    changed = true
    return `${name}=${encodeURIComponent(redacted)}`
  })
  return changed ? `${url.slice(0, queryAt + 1)}${parts.join('&')}${url.slice(end)}` : url
}
