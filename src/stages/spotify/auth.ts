import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import path from 'node:path'
import type Bottleneck from 'bottleneck'
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../../config.ts'
import { AppError, notConfigured } from '../../errors.ts'
import { describeBody, stripSuffix, type HttpResponse } from '../../http/client.ts'
import { createUpstream, type UpstreamOptions } from '../../http/upstream.ts'
import type { StateStore } from '../../lake/state-store.ts'
import type { Secrets } from '../../secrets.ts'

export interface SpotifyAuth {
  /** Client-credentials token for catalog calls, cached until shortly before it expires. */
  appToken (): Promise<string>
  /** User token from the refresh-token flow, for /me endpoints. */
  userToken (): Promise<string>
  invalidate (kind: 'app' | 'user'): void
  requireApp (): void
  requireUser (): void
}

interface CachedToken {
  value: string
  expiresAt: number
}

interface StoredRefreshToken {
  refreshToken: string
  rotatedAt: string
  /**
   * Fingerprint of SPOTIFY_REFRESH_TOKEN when the token was stored. The stored token is used while that variable is
   * unset or unchanged; setting it to another value wins over the stored token.
   */
  envFingerprint: string
  /** rotated by Spotify on a refresh, or given by the consent of `tracklake auth spotify` */
  source?: 'rotated' | 'consent'
}

export const refreshTokenStateName = 'spotify-refresh-token'
const stateName = refreshTokenStateName
const expiryMarginMs = 60_000

const fingerprint = (value: string | undefined): string => createHash('sha256').update(value ?? '').digest('hex').slice(0, 16)

/** Whether a stored refresh token applies under the current SPOTIFY_REFRESH_TOKEN. */
const storedApplies = (stored: StoredRefreshToken, envToken: string | undefined): boolean =>
  !envToken || stored.envFingerprint === fingerprint(envToken)

export const refreshTokenHelp = 'Get a new one with `tracklake auth spotify` (README: "Spotify refresh token"): the service uses it ' +
  'from its next call, no restart needed (or set a new SPOTIFY_REFRESH_TOKEN and restart).'

/** The accounts service's base URL, whatever suffix SPOTIFY_ACCOUNTS_URL was given with. */
export const accountsBaseUrl = (config: Config): string => stripSuffix(stripSuffix(config.spotify.accountsUrl, '/api/token'), '/api')

/** Stores a refresh token where the service reads it, readable by the service user only. */
export async function storeRefreshToken (state: StateStore, config: Config, refreshToken: string, source: 'rotated' | 'consent'): Promise<string> {
  await state.write(stateName, {
    refreshToken,
    rotatedAt: new Date().toISOString(),
    envFingerprint: fingerprint(config.spotify.refreshToken),
    source,
  } satisfies StoredRefreshToken, { secret: true })
  return path.join(state.dir, `${stateName}.json`)
}

export const spotifyConsentScope = 'user-read-recently-played'

/** The one-time consent of the authorization-code flow (`tracklake auth spotify`). */
export interface SpotifyConsent {
  authorizeUrl (options: { redirectUri: string, state: string }): string
  /** Exchanges the code the callback received for a refresh token (grant_type=authorization_code). */
  exchange (options: { code: string, redirectUri: string }): Promise<{ refreshToken: string, scope: string | undefined }>
}

export function createSpotifyConsent (deps: { config: Config, upstream: UpstreamOptions, limiter: Bottleneck }): SpotifyConsent {
  const { config } = deps
  const { clientId, clientSecret } = config.spotify
  const http = createUpstream({ name: 'Spotify accounts', baseUrl: accountsBaseUrl(config), limiter: deps.limiter, options: deps.upstream, default429Seconds: () => 60 })
  return {
    authorizeUrl ({ redirectUri, state }) {
      if (!clientId || !clientSecret) throw notConfigured('Spotify', [!clientId && 'SPOTIFY_CLIENT_ID', !clientSecret && 'SPOTIFY_CLIENT_SECRET'].filter((v): v is string => Boolean(v)))
      const query = new URLSearchParams({ response_type: 'code', client_id: clientId, scope: spotifyConsentScope, redirect_uri: redirectUri, state })
      return `${accountsBaseUrl(config)}/authorize?${query}`
    },
    async exchange ({ code, redirectUri }) {
      const basic = Buffer.from(`${clientId}:${clientSecret}`).toString('base64')
      const response = await http.send({ method: 'POST', url: '/api/token', form: { grant_type: 'authorization_code', code, redirect_uri: redirectUri }, headers: { authorization: `Basic ${basic}` } })
      const body = response.json as { refresh_token?: unknown, scope?: unknown, error?: unknown, error_description?: unknown } | undefined
      if (response.status !== 200) {
        const reason = typeof body?.error === 'string' ? `${body.error}${typeof body.error_description === 'string' ? `: ${body.error_description}` : ''}` : describeBody(response)
        throw new AppError('UPSTREAM_AUTH_FAILED', `Spotify refused the code (${response.status} ${reason}); check SPOTIFY_CLIENT_ID, SPOTIFY_CLIENT_SECRET and that the app lists the redirect URI ${redirectUri}`)
      }
      if (typeof body?.refresh_token !== 'string' || body.refresh_token.length === 0) {
        throw new AppError('UPSTREAM_FAILED', `Spotify token endpoint answered without a refresh_token (${describeBody(response)})`)
      }
      return { refreshToken: body.refresh_token, scope: typeof body.scope === 'string' ? body.scope : undefined }
    },
  }
}

export function createSpotifyAuth (deps: {
  config: Config
  state: StateStore
  secrets: Secrets
  upstream: UpstreamOptions
  limiter: Bottleneck
  log: FastifyBaseLogger
}): SpotifyAuth {
  const { config, state, secrets, log } = deps
  const { clientId, clientSecret } = config.spotify
  const http = createUpstream({
    name: 'Spotify accounts',
    baseUrl: accountsBaseUrl(config),
    limiter: deps.limiter,
    options: deps.upstream,
    default429Seconds: () => 60,
  })
  const cache: Partial<Record<'app' | 'user', CachedToken>> = {}
  const inflight: Partial<Record<'app' | 'user', Promise<string>>> = {}

  function requireApp (): void {
    const missing = [!clientId && 'SPOTIFY_CLIENT_ID', !clientSecret && 'SPOTIFY_CLIENT_SECRET'].filter((v): v is string => Boolean(v))
    if (missing.length > 0) throw notConfigured('Spotify', missing)
  }

  // A token stored by `tracklake auth spotify` counts as configured (checked on every call: the CLI may store one while
  // the service runs).
  const hasStoredToken = (): boolean => existsSync(path.join(state.dir, `${stateName}.json`))

  function requireUser (): void {
    const missing = [!clientId && 'SPOTIFY_CLIENT_ID', !clientSecret && 'SPOTIFY_CLIENT_SECRET', !config.spotify.refreshToken && !hasStoredToken() && 'SPOTIFY_REFRESH_TOKEN']
      .filter((v): v is string => Boolean(v))
    if (missing.length > 0) throw notConfigured('Spotify listening history', missing)
  }

  async function currentRefreshToken (): Promise<string> {
    const stored = await state.read<StoredRefreshToken>(stateName)
    if (stored && storedApplies(stored, config.spotify.refreshToken)) {
      secrets.add(stored.refreshToken)
      return stored.refreshToken
    }
    if (!config.spotify.refreshToken) throw notConfigured('Spotify listening history', ['SPOTIFY_REFRESH_TOKEN'])
    return config.spotify.refreshToken
  }

  async function tokenRequest (form: Record<string, string>): Promise<HttpResponse> {
    const basic = Buffer.from(`${clientId}:${clientSecret}`).toString('base64')
    return http.send({ method: 'POST', url: '/api/token', form, headers: { authorization: `Basic ${basic}` } })
  }

  function failure (response: HttpResponse, grant: 'client_credentials' | 'refresh_token'): Error {
    const body = response.json as { error?: unknown, error_description?: unknown } | undefined
    const error = typeof body?.error === 'string' ? body.error : undefined
    if (error === 'invalid_grant' && grant === 'refresh_token') {
      return new AppError('UPSTREAM_AUTH_FAILED', `Spotify refused the refresh token (invalid_grant: ${String(body?.error_description ?? 'revoked or expired')}). ` +
        `Refresh tokens expire after about 6 months or when access is revoked. ${refreshTokenHelp}`)
    }
    if (error === 'invalid_client' || response.status === 401 || response.status === 400) {
      return new AppError('UPSTREAM_AUTH_FAILED', `Spotify refused the app credentials (${describeBody(response)}); check SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET`)
    }
    return new AppError('UPSTREAM_FAILED', `Spotify token endpoint answered ${response.status} (${describeBody(response)})`)
  }

  function accept (kind: 'app' | 'user', response: HttpResponse): string {
    const body = response.json as { access_token?: unknown, expires_in?: unknown } | undefined
    if (typeof body?.access_token !== 'string' || body.access_token.length === 0) {
      throw new AppError('UPSTREAM_FAILED', `Spotify token endpoint answered ${response.status} without an access_token (${describeBody(response)})`)
    }
    secrets.add(body.access_token)
    const lifetime = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in * 1000 : 3_600_000
    cache[kind] = { value: body.access_token, expiresAt: Date.now() + lifetime - Math.min(expiryMarginMs, lifetime / 2) }
    return body.access_token
  }

  async function fetchApp (): Promise<string> {
    const response = await tokenRequest({ grant_type: 'client_credentials' })
    if (response.status !== 200) throw failure(response, 'client_credentials')
    return accept('app', response)
  }

  async function fetchUser (): Promise<string> {
    const refreshToken = await currentRefreshToken()
    const response = await tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken })
    if (response.status !== 200) throw failure(response, 'refresh_token')
    const token = accept('user', response)
    const rotated = (response.json as { refresh_token?: unknown }).refresh_token
    if (typeof rotated === 'string' && rotated.length > 0 && rotated !== refreshToken) {
      secrets.add(rotated)
      await storeRefreshToken(state, config, rotated, 'rotated')
      log.info({ upstream: 'spotify' }, 'Spotify rotated the refresh token; the new one is kept in state/ and used from now on')
    }
    return token
  }

  function get (kind: 'app' | 'user', fetch: () => Promise<string>): Promise<string> {
    const cached = cache[kind]
    if (cached && cached.expiresAt > Date.now()) return Promise.resolve(cached.value)
    // Concurrent callers share one token request.
    inflight[kind] ??= fetch().finally(() => { delete inflight[kind] })
    return inflight[kind]
  }

  return {
    appToken () {
      requireApp()
      return get('app', fetchApp)
    },
    userToken () {
      requireUser()
      return get('user', fetchUser)
    },
    invalidate (kind) {
      delete cache[kind]
    },
    requireApp,
    requireUser,
  }
}
