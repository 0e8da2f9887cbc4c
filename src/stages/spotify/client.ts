import type Bottleneck from 'bottleneck'
import type { FastifyBaseLogger } from 'fastify'
import type { BatchEndpointMode, Config } from '../../config.ts'
import { AppError } from '../../errors.ts'
import { describeBody, stripSuffix, type HttpResponse } from '../../http/client.ts'
import { createWaitBudget, RateLimited, type WaitBudget } from '../../http/rate-limited.ts'
import { createUpstream, type UpstreamOptions } from '../../http/upstream.ts'
import type { StateStore } from '../../lake/state-store.ts'
import type { SpotifyAuth } from './auth.ts'

export type CatalogKind = 'tracks' | 'artists' | 'albums'

/** `?ids=` chunk sizes Spotify allowed before Development Mode lost the batch endpoints. */
export const batchSizes: Record<CatalogKind, number> = { tracks: 50, artists: 50, albums: 20 }
const entityType: Record<CatalogKind, string> = { tracks: 'track', artists: 'artist', albums: 'album' }

export interface LookupMiss {
  id: string
  httpStatus: number
  reason: string
}

export interface LookupResult {
  found: Array<{ id: string, body: Record<string, unknown>, url: string }>
  missing: LookupMiss[]
  /** Set when the upstream stopped us: the ids not looked up stay pending. */
  rateLimited?: RateLimited
  /** Set when the upstream failed after retries; what was found before is still returned. */
  error?: AppError
  calls: number
}

export interface GetOptions {
  user?: boolean
  searchParams?: Record<string, string | number>
  /** Shared by the calls of one step, so their short waits add up to a bounded total. */
  waits?: WaitBudget
}

export interface SpotifyClient {
  /** Throws a 503 naming the missing variables when catalog calls cannot be made. */
  requireApp (): void
  get (path: string, options?: GetOptions): Promise<HttpResponse>
  lookup (kind: CatalogKind, ids: readonly string[]): Promise<LookupResult>
}

/** How long a learned "no batch endpoints" is trusted before auto mode tries ?ids= again (the app may be upgraded). */
const batchProbeEveryMs = 7 * 24 * 60 * 60 * 1000
const capabilityState = 'spotify-batch-endpoints'

interface StoredCapability {
  unavailable: CatalogKind[]
  learnedAt: string
}

export function createSpotifyClient (deps: {
  config: Config
  auth: SpotifyAuth
  state: StateStore
  upstream: UpstreamOptions
  limiter: Bottleneck
  log: FastifyBaseLogger
}): SpotifyClient {
  const { auth, log } = deps
  const now = deps.upstream.now
  const mode: BatchEndpointMode = deps.config.spotify.batchEndpoints
  const http = createUpstream({
    name: 'Spotify',
    baseUrl: stripSuffix(deps.config.spotify.apiUrl, '/v1'),
    limiter: deps.limiter,
    options: deps.upstream,
    // Since July 2026 the daily quota answers 429 with reason QUOTA_EXCEEDED and a Retry-After of hours.
    classify429: (response) => (response.json as { error?: { reason?: string } } | undefined)?.error?.reason === 'QUOTA_EXCEEDED' ? 'quota' : 'rate_limit',
    default429Seconds: (reason) => (reason === 'quota' ? 3600 : 5),
  })
  const batchUnavailable = new Set<CatalogKind>()
  let capabilityLoaded = false

  // What auto mode learned survives a restart, so each start does not spend a refused ?ids= call per kind.
  async function loadCapability (): Promise<void> {
    if (capabilityLoaded) return
    capabilityLoaded = true
    const stored = await deps.state.read<StoredCapability>(capabilityState)
    if (stored && now().getTime() - Date.parse(stored.learnedAt) < batchProbeEveryMs) {
      for (const kind of stored.unavailable) batchUnavailable.add(kind)
    }
  }

  async function learnUnavailable (kind: CatalogKind): Promise<void> {
    batchUnavailable.add(kind)
    await deps.state.write(capabilityState, { unavailable: [...batchUnavailable], learnedAt: now().toISOString() } satisfies StoredCapability)
  }

  async function get (path: string, options: GetOptions = {}): Promise<HttpResponse> {
    const kind = options.user ? 'user' : 'app'
    const waits = options.waits ?? createWaitBudget()
    let refreshed = false
    for (;;) {
      const token = kind === 'user' ? await auth.userToken() : await auth.appToken()
      let response: HttpResponse
      try {
        response = await http.send({ url: path, searchParams: options.searchParams, headers: { authorization: `Bearer ${token}` } }, waits)
      } catch (err) {
        if (err instanceof RateLimited) log.warn({ upstream: 'spotify', retryAfter: err.retryAfterSeconds, quota: err.reason === 'quota' }, 'Spotify asked us to stop; remaining work stays pending')
        throw err
      }
      if (response.status === 401) {
        // An access token can be revoked before its expiry: fetch a new one once, then give up.
        if (refreshed) {
          throw new AppError('UPSTREAM_AUTH_FAILED', `Spotify answered 401 to a fresh token (${describeBody(response)}); check the app credentials`)
        }
        auth.invalidate(kind)
        refreshed = true
        continue
      }
      return response
    }
  }

  function serverError (response: HttpResponse, what: string): AppError {
    return new AppError('UPSTREAM_FAILED', `Spotify answered ${response.status} to ${what} (${describeBody(response)}) after retries; nothing was recorded as missing`)
  }

  /**
   * The entity Spotify answered for `id`. It may carry another id: a relinked track names the one asked for in
   * `linked_from`, and a merged entity answers under its new id. Either still answers for `id`.
   */
  function asEntity (value: unknown, id: string, kind: CatalogKind): Record<string, unknown> | undefined {
    if (!value || typeof value !== 'object') return undefined
    const entity = value as { id?: unknown, type?: unknown, linked_from?: { id?: unknown } | null }
    if (entity.id === id) return entity as Record<string, unknown>
    if (typeof entity.id !== 'string') return undefined
    if (entity.linked_from?.id === id || entity.type === entityType[kind]) return entity as Record<string, unknown>
    return undefined
  }

  async function lookupOne (kind: CatalogKind, id: string, result: LookupResult, waits: WaitBudget): Promise<void> {
    result.calls++
    const response = await get(`/v1/${kind}/${id}`, { waits })
    if (response.status === 200) {
      const body = asEntity(response.json, id, kind)
      // A 200 we cannot read (truncated, wrong object) is the upstream misbehaving, not a missing entity.
      if (!body) throw new AppError('UPSTREAM_FAILED', `Spotify answered 200 to GET /v1/${kind}/${id} with an unreadable body (${describeBody(response)})`)
      result.found.push({ id, body, url: response.url })
    } else if (response.status === 404 || response.status === 400) {
      result.missing.push({ id, httpStatus: response.status, reason: response.status === 404 ? 'not found on Spotify' : `Spotify rejected the id (${describeBody(response)})` })
    } else {
      throw serverError(response, `GET /v1/${kind}/${id}`)
    }
  }

  /** One `?ids=` call; false when the endpoint is not available to this app (Development Mode since March 2026). */
  async function lookupChunk (kind: CatalogKind, ids: readonly string[], result: LookupResult, waits: WaitBudget): Promise<boolean> {
    result.calls++
    const response = await get(`/v1/${kind}`, { searchParams: { ids: ids.join(',') }, waits })
    if (response.status === 403 || response.status === 404 || response.status === 410) {
      if (mode === 'on') {
        throw new AppError('UPSTREAM_FAILED', `Spotify refused GET /v1/${kind}?ids= (${response.status}): this app has no batch endpoints; set SPOTIFY_BATCH_ENDPOINTS=auto or off`)
      }
      await learnUnavailable(kind)
      log.info({ upstream: 'spotify', kind, status: response.status }, 'Spotify batch endpoint unavailable to this app; using one call per id from now on')
      return false
    }
    // Any other refusal of a chunk (a malformed id in it, say): look its ids up one by one, keep batching later chunks.
    if (response.status >= 400 && response.status < 500) return false
    if (response.status !== 200) throw serverError(response, `GET /v1/${kind}?ids=`)
    const list = (response.json as Record<string, unknown> | undefined)?.[kind]
    if (!Array.isArray(list)) throw new AppError('UPSTREAM_FAILED', `Spotify answered GET /v1/${kind}?ids= without a ${kind} list (${describeBody(response)})`)
    // Spotify answers in the order asked, with null for an id it does not know; an entity under another id is taken by
    // its position only when the answer is aligned and that entity is not one of the ids asked for.
    const answered = new Map(list.map((item) => [(item as { id?: unknown } | null)?.id, item]))
    const aligned = list.length === ids.length
    for (const [i, id] of ids.entries()) {
      const exact = answered.get(id) as Record<string, unknown> | undefined
      const positional = aligned && !ids.includes((list[i] as { id?: unknown } | null)?.id as string) ? asEntity(list[i], id, kind) : undefined
      const body = exact ?? positional
      if (body) result.found.push({ id, body, url: response.url })
      else result.missing.push({ id, httpStatus: 404, reason: 'not found on Spotify (null in the batch answer)' })
    }
    return true
  }

  const usesBatch = (kind: CatalogKind): boolean => mode !== 'off' && !batchUnavailable.has(kind)

  async function lookup (kind: CatalogKind, ids: readonly string[]): Promise<LookupResult> {
    if (mode === 'auto') await loadCapability()
    const result: LookupResult = { found: [], missing: [], calls: 0 }
    const waits = createWaitBudget()
    let index = 0
    try {
      while (index < ids.length) {
        if (usesBatch(kind)) {
          const chunk = ids.slice(index, index + batchSizes[kind])
          if (await lookupChunk(kind, chunk, result, waits)) {
            index += chunk.length
            continue
          }
          for (const id of chunk) await lookupOne(kind, id, result, waits)
          index += chunk.length
          continue
        }
        await lookupOne(kind, ids[index]!, result, waits)
        index++
      }
    } catch (err) {
      if (err instanceof RateLimited) result.rateLimited = err
      else if (err instanceof AppError) result.error = err
      else throw err
    }
    return result
  }

  return { requireApp: () => auth.requireApp(), get, lookup }
}
