/** Retry-After values up to this are waited out inside the request; longer ones end the step as rate_limited. */
export const maxWaitSeconds = 30

/**
 * All the waiting one step call may do: short waits add up over the ids of a batch, and n8n's HTTP Request node gives
 * up on a call after its timeout (600 s in our workflows), so a call answers rate_limited well before that.
 */
export const maxWaitPerCallSeconds = 60

export interface WaitBudget {
  /** True (and the wait is spent) when `seconds` may be waited out now; false means stop and answer rate_limited. */
  take (seconds: number): boolean
}

export function createWaitBudget (seconds = maxWaitPerCallSeconds): WaitBudget {
  let left = seconds
  return {
    take (wait) {
      if (wait > maxWaitSeconds || wait > left) return false
      left -= wait
      return true
    },
  }
}

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
