import type Bottleneck from 'bottleneck'
import type { Config } from '../../config.ts'
import { AppError, notConfigured } from '../../errors.ts'
import { describeBody, stripSuffix, type HttpResponse } from '../../http/client.ts'
import { createWaitBudget, type WaitBudget } from '../../http/rate-limited.ts'
import { createUpstream, type UpstreamOptions } from '../../http/upstream.ts'

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

/** ListenBrainz says how long its window stays closed in X-RateLimit-Reset-In (seconds). */
function resetIn (response: HttpResponse): number | undefined {
  const value = Number(response.headers['x-ratelimit-reset-in'] ?? Number.NaN)
  return Number.isFinite(value) && value > 0 ? Math.ceil(value) : undefined
}

export function createListenBrainzClient (deps: {
  config: Config
  upstream: UpstreamOptions
  limiter: Bottleneck
}): ListenBrainzClient {
  const { user, token, url } = deps.config.listenbrainz
  const http = createUpstream({
    name: 'ListenBrainz',
    baseUrl: stripSuffix(url, '/1'),
    limiter: deps.limiter,
    options: deps.upstream,
    // A 429 says how long to wait in X-RateLimit-Reset-In (Retry-After when a proxy answers).
    default429Seconds: (_reason, response) => resetIn(response) ?? 10,
    // A window used up (X-RateLimit-Remaining: 0) pauses the next request until it reopens.
    pauseAfter: (response) => (response.status === 200 && Number(response.headers['x-ratelimit-remaining']) === 0 ? resetIn(response) : undefined),
  })

  function requireConfig (): void {
    if (!user) throw notConfigured('ListenBrainz', ['LISTENBRAINZ_USER'])
  }

  async function listensBefore (maxTs: number | undefined, waits = createWaitBudget()): Promise<ListensPage> {
    requireConfig()
    const response = await http.send({
      url: `/1/user/${encodeURIComponent(user!)}/listens`,
      searchParams: { ...(maxTs !== undefined ? { max_ts: maxTs } : {}), count: listensPerPage },
      headers: token ? { authorization: `Token ${token}` } : {},
    }, waits)
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

  return { requireConfig, listensBefore }
}
