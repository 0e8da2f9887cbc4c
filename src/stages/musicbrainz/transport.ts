import type Bottleneck from 'bottleneck'
import { notConfigured } from '../../errors.ts'
import { stripSuffix } from '../../http/client.ts'
import { createWaitBudget, type WaitBudget } from '../../http/rate-limited.ts'
import { createUpstream, type UpstreamOptions } from '../../http/upstream.ts'
import { createMusicBrainzClient, type MusicBrainzClient } from './client.ts'

export interface MusicBrainzTransport {
  /** Throws a 503 NOT_CONFIGURED naming MUSICBRAINZ_CONTACT when there is no contact: no contact, no calls. */
  requireContact (): void
  /**
   * A client whose calls share one wait budget (one per step call): a 503 storm is waited out within it, then the
   * calls throw RateLimited and the step answers rate_limited.
   */
  client (waits?: WaitBudget): MusicBrainzClient
}

/**
 * MusicBrainz over the shared upstream transport: the one musicbrainz limiter of the process (MUSICBRAINZ_RATE_PER_SEC
 * for every route and concurrent request), User-Agent `tracklake/<version> ( <MUSICBRAINZ_CONTACT> )`, and a 503
 * meaning "slow down": every caller pauses and the same call is retried.
 */
export function createMusicBrainzTransport (deps: {
  url: string
  contact: string | undefined
  limiter: Bottleneck
  upstream: UpstreamOptions
}): MusicBrainzTransport {
  const upstream = deps.contact
    ? createUpstream({ name: 'MusicBrainz', baseUrl: stripSuffix(deps.url, '/ws/2'), limiter: deps.limiter, options: deps.upstream, contact: deps.contact, slowDownOn503: true })
    : undefined

  function requireContact (): void {
    if (!upstream) throw notConfigured('MusicBrainz', ['MUSICBRAINZ_CONTACT'])
  }

  return {
    requireContact,
    client (waits = createWaitBudget()) {
      return createMusicBrainzClient({
        send: async (request) => {
          requireContact()
          const response = await upstream!.send({ url: request.path, searchParams: request.searchParams }, waits)
          return { status: response.status, json: response.json, url: response.url, text: response.text }
        },
      })
    },
  }
}
