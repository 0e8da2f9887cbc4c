const redacted = '[redacted]'
const minSecretLength = 6
const maxRemembered = 64

export interface Secrets {
  /** Remembers a value (a rotated token, a fresh access token) so it never reaches a log line or an error body. */
  add (value: string | undefined): void
  scrub (text: string): string
  scrubDeep<T> (value: T): T
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

  function scrubDeep<T> (value: T, depth = 0): T {
    if (typeof value === 'string') return scrub(value) as T
    if (value === null || typeof value !== 'object' || depth > 6) return value
    if (value instanceof Error) {
      const copy = new Error(scrub(value.message)) as Error & Record<string, unknown>
      copy.name = value.name
      copy.stack = value.stack ? scrub(value.stack) : undefined
      for (const [key, inner] of Object.entries(value)) copy[key] = scrubDeep(inner, depth + 1)
      return copy as T
    }
    if (Array.isArray(value)) return value.map((inner) => scrubDeep(inner, depth + 1)) as T
    if (Object.getPrototypeOf(value) !== Object.prototype) return value
    const copy: Record<string, unknown> = {}
    for (const [key, inner] of Object.entries(value)) copy[key] = scrubDeep(inner, depth + 1)
    return copy as T
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
