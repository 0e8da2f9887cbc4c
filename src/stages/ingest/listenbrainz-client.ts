import type Bottleneck from 'bottleneck'
import type { Config } from '../../config.ts'
import { AppError, notConfigured } from '../../errors.ts'
import { createHttpClient, describeBody, stripSuffix, userAgent } from '../../http/client.ts'
import { createWaitBudget, RateLimited, type WaitBudget } from '../../http/rate-limited.ts'

/** ListenBrainz caps `count` at 1000 (MAX_ITEMS_PER_GET). */
export const listensPerPage = 1000

export interface ListensPage {
  listens: unknown[]
  url: string
  body: unknown
}

export interface ListenBrainzClient {
  requireConfig (): void
  /** The newest 1,000 listens before `maxTs` (exclusive, Unix seconds), or the newest of all without it. */
  listensBefore (maxTs: number | undefined, waits?: WaitBudget): Promise<ListensPage>
}

export function createListenBrainzClient (deps: {
  config: Config
  upstream: { timeoutMs: number, retries: number, retryBaseMs: number }
  limiter: Bottleneck
  sleep: (ms: number) => Promise<void>
  now: () => Date
}): ListenBrainzClient {
  const { user, token, url } = deps.config.listenbrainz
  const http = createHttpClient({
    name: 'ListenBrainz',
    baseUrl: stripSuffix(url, '/1'),
    userAgent: userAgent(),
    ...deps.upstream,
    limiter: deps.limiter,
  })

  function requireConfig (): void {
    if (!user) throw notConfigured('ListenBrainz', ['LISTENBRAINZ_USER'])
  }

  /** When ListenBrainz's rate-limit window reopens, after it said the window is used up (X-RateLimit-Remaining: 0). */
  let windowReopensAt = 0

  async function listensBefore (maxTs: number | undefined, waits = createWaitBudget()): Promise<ListensPage> {
    requireConfig()
    for (;;) {
      const wait = Math.ceil((windowReopensAt - deps.now().getTime()) / 1000)
      if (wait > 0) {
        if (!waits.take(wait)) throw new RateLimited('ListenBrainz', wait, 'rate_limit')
        await deps.sleep(wait * 1000)
      }
      windowReopensAt = 0
      const response = await http.request({
        url: `/1/user/${encodeURIComponent(user!)}/listens`,
        searchParams: { ...(maxTs !== undefined ? { max_ts: maxTs } : {}), count: listensPerPage },
        headers: token ? { authorization: `Token ${token}` } : {},
      })
      const remaining = Number(response.headers['x-ratelimit-remaining'] ?? Number.NaN)
      const resetIn = Number(response.headers['x-ratelimit-reset-in'] ?? Number.NaN)
      if (response.status === 200 && remaining === 0 && resetIn > 0) windowReopensAt = deps.now().getTime() + resetIn * 1000
      if (response.status === 429) {
        // ListenBrainz says how long to wait in X-RateLimit-Reset-In; Retry-After when a proxy answers.
        const wait = response.retryAfterSeconds ?? (Number.isFinite(resetIn) && resetIn > 0 ? Math.ceil(resetIn) : 10)
        if (!waits.take(Math.max(wait, 1))) {
          windowReopensAt = deps.now().getTime() + wait * 1000
          throw new RateLimited('ListenBrainz', wait, 'rate_limit')
        }
        await deps.sleep(Math.max(wait, 1) * 1000)
        continue
      }
      if (response.status === 401 || response.status === 403) {
        throw new AppError('UPSTREAM_AUTH_FAILED', `ListenBrainz refused the token (${response.status}: ${describeBody(response)}); check LISTENBRAINZ_TOKEN`)
      }
      if (response.status === 404) {
        throw new AppError('UPSTREAM_FAILED', `ListenBrainz has no user ${JSON.stringify(user)} (404); check LISTENBRAINZ_USER`)
      }
      if (response.status !== 200) {
        throw new AppError('UPSTREAM_FAILED', `ListenBrainz answered ${response.status} (${describeBody(response)}) after retries`)
      }
      const listens = (response.json as { payload?: { listens?: unknown } } | undefined)?.payload?.listens
      if (!Array.isArray(listens)) {
        throw new AppError('UPSTREAM_FAILED', `ListenBrainz answered without payload.listens (${describeBody(response)})`)
      }
      return { listens, url: response.url, body: response.json }
    }
  }

  return { requireConfig, listensBefore }
}
