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

/** Removes credentials that some upstreams take in the query string (OpenWeather's appid, for one). */
export function redactUrl (url: string): string {
  try {
    const parsed = new URL(url)
    for (const name of [...parsed.searchParams.keys()]) {
      if (/^(appid|api_?key|key|token|access_token|client_secret)$/i.test(name)) parsed.searchParams.set(name, redacted)
    }
    return parsed.toString()
  } catch {
    return url
  }
}
