import { createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createFakeServer, type FakeRequest, type FakeResponse, type FakeServer } from './fake-server.ts'

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/spotify/${name}`, import.meta.url), 'utf8'))

export const spotifyFixtures = {
  recentlyPlayed: fixture('spotify-recently-played.json'),
  recentlyPlayedWithContext: fixture('spotify-recently-played-with-context.json'),
  artist: fixture('spotify-artist.json'),
  severalArtists: fixture('spotify-several-artists.json'),
  album: fixture('spotify-album.json'),
  extendedHistory: JSON.parse(readFileSync(new URL('../fixtures/spotify/spotify-extended-streaming-history-audio.json', import.meta.url), 'utf8')) as Array<Record<string, unknown>>,
}

const base62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/** A deterministic 22-character Spotify-style id. */
export function spotifyId (seed: string): string {
  const bytes = createHash('sha256').update(seed).digest()
  let out = ''
  for (let i = 0; i < 22; i++) out += base62[bytes[i]! % 62]
  return out
}

type Obj = Record<string, any>

const ref = (type: string, id: string, name: string): Obj => ({
  external_urls: { spotify: `https://open.spotify.com/${type}/${id}` },
  href: `https://api.spotify.com/v1/${type}s/${id}`,
  id,
  name,
  type,
  uri: `spotify:${type}:${id}`,
})

/** An artist in the shape of the real sample; `devMode` strips what Development Mode apps no longer get. */
export function makeArtist (id: string, name: string, genres: string[] = [], devMode = false): Obj {
  const artist: Obj = { ...structuredClone(spotifyFixtures.artist), ...ref('artist', id, name), genres }
  if (devMode) {
    delete artist.followers
    delete artist.popularity
    delete artist.genres
  }
  return artist
}

export function makeAlbum (id: string, name: string, artists: Array<{ id: string, name: string }>, devMode = false): Obj {
  const album: Obj = { ...structuredClone(spotifyFixtures.album), ...ref('album', id, name) }
  album.artists = artists.map((a) => ref('artist', a.id, a.name))
  album.tracks = { href: null, items: [], limit: 50, next: null, offset: 0, previous: null, total: 12 }
  album.total_tracks = 12
  if (devMode) {
    delete album.label
    delete album.popularity
  }
  return album
}

export function makeTrack (id: string, name: string, artists: Array<{ id: string, name: string }>, album: { id: string, name: string }, isrc: string, durationMs = 200_000): Obj {
  const template = structuredClone((spotifyFixtures.recentlyPlayed.items as Obj[])[0]!.track) as Obj
  return {
    ...template,
    ...ref('track', id, name),
    artists: artists.map((a) => ref('artist', a.id, a.name)),
    album: { ...template.album, ...ref('album', album.id, album.name), artists: artists.slice(0, 1).map((a) => ref('artist', a.id, a.name)) },
    external_ids: { isrc },
    duration_ms: durationMs,
  }
}

export interface FakeSpotifyOptions {
  clientId?: string
  clientSecret?: string
  refreshToken?: string
  /** Answer every refresh with a new refresh token and retire the old one, as Spotify may. */
  rotateRefreshToken?: boolean
  /** Whether GET /v1/{artists,albums,tracks}?ids= exist (false: Development Mode since March 2026). */
  batchEndpoints?: boolean
  batchRefusalStatus?: 403 | 404
  /** Calls left before 429 QUOTA_EXCEEDED (counts down; change it on `options` at any time). */
  quota?: number
  quotaRetryAfter?: number
}

export interface FakeSpotify {
  server: FakeServer
  readonly url: string
  options: Required<FakeSpotifyOptions>
  tracks: Map<string, Obj>
  artists: Map<string, Obj>
  albums: Map<string, Obj>
  /** Play history, any order; served newest first. */
  plays: Array<{ played_at: string, track: Obj, context: Obj | null }>
  refreshTokens: Set<string>
  currentRefreshToken: string
  /**
   * Codes the fake's /authorize would have sent to the callback (the test plays the browser): code → the redirect URI it
   * was issued for. A code is good once, and only with that redirect URI.
   */
  authorizationCodes: Map<string, string>
  revokeAccessTokens (): void
  catalogCalls (kind?: 'tracks' | 'artists' | 'albums'): number
  close (): Promise<void>
}

const error = (status: number, message: string, extra: Obj = {}): FakeResponse => ({ status, json: { error: { status, message, ...extra } } })

export async function createFakeSpotify (options: FakeSpotifyOptions = {}): Promise<FakeSpotify> {
  const opts: Required<FakeSpotifyOptions> = {
    clientId: 'test-client-id',
    clientSecret: 'test-client-secret',
    refreshToken: 'test-refresh-token',
    rotateRefreshToken: false,
    batchEndpoints: false,
    batchRefusalStatus: 403,
    quota: Number.POSITIVE_INFINITY,
    quotaRetryAfter: 48_925,
    ...options,
  }
  const server = await createFakeServer('spotify')
  const accessTokens = new Map<string, 'app' | 'user'>()
  const refreshTokens = new Set([opts.refreshToken])
  const fake: FakeSpotify = {
    server,
    url: server.url,
    options: opts,
    tracks: new Map(),
    artists: new Map(),
    albums: new Map(),
    plays: [],
    refreshTokens,
    currentRefreshToken: opts.refreshToken,
    authorizationCodes: new Map(),
    revokeAccessTokens: () => accessTokens.clear(),
    catalogCalls: (kind) => server.requests.filter((r) => r.path.startsWith(`/v1/${kind ?? ''}`) && !r.path.startsWith('/v1/me')).length,
    close: () => server.close(),
  }

  server.route('POST', '/api/token', (request) => {
    const expected = `Basic ${Buffer.from(`${opts.clientId}:${opts.clientSecret}`).toString('base64')}`
    if (request.headers.authorization !== expected) return { status: 400, json: { error: 'invalid_client', error_description: 'Invalid client' } }
    const form = new URLSearchParams(request.body)
    const token = randomBytes(12).toString('hex')
    if (form.get('grant_type') === 'client_credentials') {
      accessTokens.set(token, 'app')
      return { json: { access_token: token, token_type: 'Bearer', expires_in: 3600 } }
    }
    if (form.get('grant_type') === 'refresh_token') {
      const given = form.get('refresh_token') ?? ''
      if (!refreshTokens.has(given)) return { status: 400, json: { error: 'invalid_grant', error_description: 'Refresh token revoked' } }
      accessTokens.set(token, 'user')
      const body: Obj = { access_token: token, token_type: 'Bearer', expires_in: 3600, scope: 'user-read-recently-played' }
      if (opts.rotateRefreshToken) {
        refreshTokens.delete(given)
        fake.currentRefreshToken = `rotated-${randomBytes(8).toString('hex')}`
        refreshTokens.add(fake.currentRefreshToken)
        body.refresh_token = fake.currentRefreshToken
      }
      return { json: body }
    }
    if (form.get('grant_type') === 'authorization_code') {
      const code = form.get('code') ?? ''
      const redirectUri = fake.authorizationCodes.get(code)
      if (redirectUri === undefined) return { status: 400, json: { error: 'invalid_grant', error_description: 'Invalid authorization code' } }
      if (form.get('redirect_uri') !== redirectUri) return { status: 400, json: { error: 'invalid_grant', error_description: 'Invalid redirect URI' } }
      fake.authorizationCodes.delete(code)
      const refreshToken = `consent-${randomBytes(8).toString('hex')}`
      refreshTokens.add(refreshToken)
      fake.currentRefreshToken = refreshToken
      accessTokens.set(token, 'user')
      return { json: { access_token: token, token_type: 'Bearer', expires_in: 3600, refresh_token: refreshToken, scope: 'user-read-recently-played' } }
    }
    return { status: 400, json: { error: 'unsupported_grant_type' } }
  })

  function authorise (request: FakeRequest, need: 'app' | 'user' | 'any'): FakeResponse | undefined {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1]
    const kind = token ? accessTokens.get(token) : undefined
    if (!kind) return error(401, 'The access token expired')
    if (need === 'user' && kind !== 'user') return error(403, 'Insufficient client scope')
    return undefined
  }

  // options.quota is the number of calls left; a test may change it at any time.
  function spendQuota (): FakeResponse | undefined {
    if (opts.quota <= 0) return { ...error(429, 'Too many requests', { reason: 'QUOTA_EXCEEDED' }), headers: { 'retry-after': String(opts.quotaRetryAfter) } }
    opts.quota--
    return undefined
  }

  server.route('GET', '/v1/me/player/recently-played', (request) => {
    const denied = authorise(request, 'user') ?? spendQuota()
    if (denied) return denied
    const limit = Math.min(Number(request.query.get('limit') ?? 20), 50)
    const after = request.query.get('after')
    const before = request.query.get('before')
    if (after && before) return error(400, 'Only one of after and before can be given')
    const sorted = [...fake.plays].sort((a, b) => Date.parse(b.played_at) - Date.parse(a.played_at))
    const window = sorted.filter((p) => (!after || Date.parse(p.played_at) > Number(after)) && (!before || Date.parse(p.played_at) < Number(before)))
    const page = window.slice(0, limit)
    const oldest = page.length > 0 ? Date.parse(page[page.length - 1]!.played_at) : undefined
    const newest = page.length > 0 ? Date.parse(page[0]!.played_at) : undefined
    const olderExists = oldest !== undefined && sorted.some((p) => Date.parse(p.played_at) < oldest)
    return {
      json: {
        items: page,
        next: olderExists ? `${server.url}/v1/me/player/recently-played?before=${oldest}&limit=${limit}` : null,
        cursors: page.length > 0 ? { after: String(newest), before: String(oldest) } : null,
        limit,
        href: `${server.url}/v1/me/player/recently-played?limit=${limit}`,
      },
    }
  })

  for (const kind of ['tracks', 'artists', 'albums'] as const) {
    const store = (): Map<string, Obj> => fake[kind]
    server.route('GET', `/v1/${kind}/:id`, (request, params) => {
      const denied = authorise(request, 'any') ?? spendQuota()
      if (denied) return denied
      if (!/^[0-9A-Za-z]{22}$/.test(params.id!)) return error(400, 'Invalid base62 id')
      const found = store().get(params.id!)
      return found ? { json: found } : error(404, 'Resource not found')
    })
    server.route('GET', `/v1/${kind}`, (request) => {
      const denied = authorise(request, 'any') ?? spendQuota()
      if (denied) return denied
      if (!opts.batchEndpoints) return error(opts.batchRefusalStatus, 'Forbidden')
      const ids = (request.query.get('ids') ?? '').split(',').filter(Boolean)
      const max = kind === 'albums' ? 20 : 50
      if (ids.length === 0 || ids.length > max) return error(400, `Too many ids requested (max ${max})`)
      return { json: { [kind]: ids.map((id) => store().get(id) ?? null) } }
    })
  }

  return fake
}

/** A small catalog: `artists` artists, each with one album and `tracksPerArtist` tracks; `prefix` makes another set. */
export function seedCatalog (fake: FakeSpotify, counts: { artists: number, tracksPerArtist?: number, devMode?: boolean, prefix?: string }): { trackIds: string[], artistIds: string[], albumIds: string[] } {
  const p = counts.prefix ?? ''
  const trackIds: string[] = []
  const artistIds: string[] = []
  const albumIds: string[] = []
  for (let a = 0; a < counts.artists; a++) {
    const artist = { id: spotifyId(`${p}artist-${a}`), name: `${p}Artist ${a}` }
    const album = { id: spotifyId(`${p}album-${a}`), name: `${p}Album ${a}` }
    fake.artists.set(artist.id, makeArtist(artist.id, artist.name, [`genre ${a % 5}`, `style ${a % 3}`], counts.devMode))
    fake.albums.set(album.id, makeAlbum(album.id, album.name, [artist], counts.devMode))
    artistIds.push(artist.id)
    albumIds.push(album.id)
    for (let t = 0; t < (counts.tracksPerArtist ?? 1); t++) {
      const id = spotifyId(`${p}track-${a}-${t}`)
      fake.tracks.set(id, makeTrack(id, `${p}Song ${a}.${t}`, [artist], album, `QZTST${String(a).padStart(2, '0').slice(-2)}${String(t).padStart(5, '0')}`))
      trackIds.push(id)
    }
  }
  return { trackIds, artistIds, albumIds }
}
