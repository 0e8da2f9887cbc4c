import { createFakeServer, type FakeServer } from './fake-server.ts'

export interface Listen {
  listened_at: number
  track_metadata: {
    artist_name: string
    track_name: string
    release_name?: string
    additional_info?: Record<string, unknown>
    mbid_mapping?: Record<string, unknown>
  }
  recording_msid?: string
  user_name?: string
}

export interface FakeListenBrainz {
  server: FakeServer
  readonly url: string
  user: string
  token: string | undefined
  listens: Listen[]
  /** When set, every answer carries X-RateLimit-* headers for this window, and a request past it answers 429. */
  window?: { remaining: number, resetInSeconds: number }
  close (): Promise<void>
}

/**
 * ListenBrainz as its API documents it: GET /1/user/{user}/listens with min_ts or max_ts (not both), count ≤ 1000,
 * listens always newest first. With min_ts the server takes the oldest `count` listens after it (the page that
 * starts right after the cursor) and returns them newest first.
 */
export async function createFakeListenBrainz (options: { user?: string, token?: string } = {}): Promise<FakeListenBrainz> {
  const server = await createFakeServer('listenbrainz')
  const fake: FakeListenBrainz = {
    server,
    url: server.url,
    user: options.user ?? 'navidrome-fan',
    token: options.token,
    listens: [],
    close: () => server.close(),
  }
  server.route('GET', '/1/user/:user/listens', (request, params) => {
    if (fake.token && request.headers.authorization !== `Token ${fake.token}`) {
      return { status: 401, json: { code: 401, error: 'Invalid authorization token.' } }
    }
    if (params.user !== fake.user) return { status: 404, json: { code: 404, error: 'Cannot find user: ' + params.user } }
    const minTs = request.query.get('min_ts')
    const maxTs = request.query.get('max_ts')
    if (minTs && maxTs) return { status: 400, json: { code: 400, error: 'You may only specify max_ts or min_ts, not both.' } }
    const windowHeaders: Record<string, string> = {}
    if (fake.window) {
      fake.window.remaining--
      const headers = { 'x-ratelimit-limit': '30', 'x-ratelimit-remaining': String(Math.max(fake.window.remaining, 0)), 'x-ratelimit-reset-in': String(fake.window.resetInSeconds) }
      if (fake.window.remaining < 0) return { status: 429, headers, json: { code: 429, error: 'Too many requests.' } }
      Object.assign(windowHeaders, headers)
    }
    const count = Math.min(Number(request.query.get('count') ?? 25), 1000)
    const ascending = [...fake.listens].sort((a, b) => a.listened_at - b.listened_at)
    let page: Listen[]
    if (minTs) page = ascending.filter((l) => l.listened_at > Number(minTs)).slice(0, count).reverse()
    else page = ascending.filter((l) => !maxTs || l.listened_at < Number(maxTs)).reverse().slice(0, count)
    const latest = ascending.length > 0 ? ascending[ascending.length - 1]!.listened_at : 0
    return { headers: windowHeaders, json: { payload: { count: page.length, listens: page.map((l) => ({ user_name: fake.user, ...l })), user_id: fake.user, latest_listen_ts: latest } } }
  })
  return fake
}
