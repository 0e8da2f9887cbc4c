import type Bottleneck from 'bottleneck'
import { AppError } from '../errors.ts'
import { version } from '../version.ts'
import { createHttpClient, type HttpRequest, type HttpResponse } from './client.ts'
import { createWaitBudget, RateLimited, type WaitBudget } from './rate-limited.ts'

/** How every upstream client talks to its service; tests shorten the timeouts and sleep instantly. */
export interface UpstreamOptions {
  timeoutMs: number
  /** Attempts after the first, for network errors and 5xx answers (never for 4xx). */
  retries: number
  /** Base of the exponential backoff between those attempts. */
  retryBaseMs: number
  sleep: (ms: number) => Promise<void>
  now: () => Date
}

export type PauseReason = 'quota' | 'rate_limit'

export interface UpstreamSpec {
  /** Name in messages and logs ("Spotify"). */
  name: string
  baseUrl: string
  limiter: Bottleneck
  options: UpstreamOptions
  /** Contact shown in the User-Agent (MusicBrainz asks for one); the project page otherwise. */
  contact?: string
  /**
   * 503 means "slow down" (MusicBrainz): every caller pauses, and the same call is retried while the wait budget
   * lasts, then the step answers rate_limited. Elsewhere a 503 is a transient failure, retried `retries` times.
   */
  slowDownOn503?: boolean
  /** What a 429 means: a daily quota stops at once, a rate limit is waited out when the budget allows. */
  classify429?: (response: HttpResponse) => PauseReason
  /** Seconds to wait when a 429 has no Retry-After. */
  default429Seconds?: (reason: PauseReason, response: HttpResponse) => number
  /** A pause the service announces on a successful answer (ListenBrainz: X-RateLimit-Remaining 0). */
  pauseAfter?: (response: HttpResponse) => number | undefined
}

export interface Upstream {
  readonly name: string
  /**
   * Sends a request, waiting out short pauses (429 and 503 with Retry-After, backoff between retries) within `waits`.
   * Throws RateLimited when the upstream asks for more than the budget allows; answers every other response as is.
   */
  send (request: HttpRequest, waits?: WaitBudget): Promise<HttpResponse>
}

export function userAgent (contact?: string): string {
  return `tracklake/${version} ( ${contact ?? 'https://github.com/tracklake/tracklake'} )`
}

const transientStatuses = new Set([500, 502, 503, 504])
const maxSlowDownSeconds = 32

const isTransientError = (err: unknown): boolean =>
  err instanceof AppError && (err.code === 'UPSTREAM_FAILED' || err.code === 'UPSTREAM_TIMEOUT')

/** One transport per upstream, shared by every route and concurrent request of the process (so is its limiter). */
export function createUpstream (spec: UpstreamSpec): Upstream {
  const { options } = spec
  const http = createHttpClient({ name: spec.name, baseUrl: spec.baseUrl, userAgent: userAgent(spec.contact), timeoutMs: options.timeoutMs, limiter: spec.limiter })
  let pause: { until: number, reason: PauseReason } | undefined

  const nowMs = (): number => options.now().getTime()

  function pauseFor (seconds: number, reason: PauseReason): void {
    const until = nowMs() + seconds * 1000
    if (!pause || until > pause.until || reason === 'quota') pause = { until: Math.max(until, pause?.until ?? 0), reason }
  }

  /** Waits out a pause every caller shares, or throws RateLimited when it is longer than the budget. */
  async function waitForPause (waits: WaitBudget): Promise<void> {
    if (!pause) return
    const seconds = Math.ceil((pause.until - nowMs()) / 1000)
    if (seconds <= 0) {
      pause = undefined
      return
    }
    if (pause.reason === 'quota' || !waits.take(seconds)) throw new RateLimited(spec.name, seconds, pause.reason)
    await options.sleep(seconds * 1000)
  }

  async function send (request: HttpRequest, waits: WaitBudget = createWaitBudget()): Promise<HttpResponse> {
    let failures = 0
    let slowDowns = 0
    for (;;) {
      await waitForPause(waits)
      let response: HttpResponse
      try {
        response = await http.request(request)
      } catch (err) {
        if (!isTransientError(err) || failures >= options.retries) {
          if (failures > 0 && err instanceof AppError) err.message += `, after ${failures} ${failures === 1 ? 'retry' : 'retries'}`
          throw err
        }
        failures++
        await options.sleep(options.retryBaseMs * 2 ** (failures - 1))
        continue
      }

      if (response.status === 429) {
        const reason = spec.classify429?.(response) ?? 'rate_limit'
        const seconds = Math.max(response.retryAfterSeconds ?? spec.default429Seconds?.(reason, response) ?? 5, 1)
        // Retry-After 0 counts as 1 s: an upstream answering 0 forever cannot keep a call looping.
        if (reason === 'quota' || !waits.take(seconds)) {
          pauseFor(seconds, reason)
          throw new RateLimited(spec.name, seconds, reason)
        }
        await options.sleep(seconds * 1000)
        continue
      }

      if (response.status === 503 && spec.slowDownOn503) {
        slowDowns++
        const seconds = Math.max(response.retryAfterSeconds ?? Math.min(2 ** slowDowns, maxSlowDownSeconds), 1)
        pauseFor(seconds, 'rate_limit')
        if (!waits.take(seconds)) throw new RateLimited(spec.name, seconds, 'rate_limit')
        await options.sleep(seconds * 1000)
        continue
      }

      if (transientStatuses.has(response.status) && failures < options.retries) {
        const seconds = response.retryAfterSeconds
        const waitMs = seconds !== undefined ? seconds * 1000 : options.retryBaseMs * 2 ** failures
        if (seconds === undefined || waits.take(seconds)) {
          failures++
          await options.sleep(waitMs)
          continue
        }
      }

      const pauseSeconds = spec.pauseAfter?.(response)
      if (pauseSeconds !== undefined && pauseSeconds > 0) pauseFor(pauseSeconds, 'rate_limit')
      return response
    }
  }

  return { name: spec.name, send }
}
