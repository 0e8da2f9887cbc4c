/** Retry-After values up to this are waited out inside the request; longer ones end the step as rate_limited. */
export const maxWaitSeconds = 30

/**
 * The upstream asked us to wait longer than a request can: not an error of the step. Steps catch it, keep what they
 * fetched, and answer `status: "rate_limited"` with `retryAfterSeconds`.
 */
export class RateLimited extends Error {
  readonly retryAfterSeconds: number
  readonly reason: 'quota' | 'rate_limit'

  constructor (upstream: string, retryAfterSeconds: number, reason: 'quota' | 'rate_limit') {
    super(`${upstream} ${reason === 'quota' ? 'daily quota is used up' : 'rate limit reached'}; retry after ${retryAfterSeconds} s`)
    this.name = 'RateLimited'
    this.retryAfterSeconds = retryAfterSeconds
    this.reason = reason
  }
}
