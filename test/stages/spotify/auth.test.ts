import fs from 'node:fs/promises'
import Bottleneck from 'bottleneck'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../../../src/config.ts'
import { createStateStore, type StateStore } from '../../../src/lake/state-store.ts'
import { createSecrets } from '../../../src/secrets.ts'
import { createSpotifyAuth, storeRefreshToken } from '../../../src/stages/spotify/auth.ts'
import { createFakeSpotify, type FakeSpotify } from '../../fakes/fake-spotify.ts'
import { makeTempDir, spotifyEnv } from '../../helpers/build-app.ts'
import { silentLog } from '../../helpers/lake.ts'

let dir: string
let state: StateStore
let spotify: FakeSpotify

beforeEach(async () => {
  dir = await makeTempDir()
  state = createStateStore(dir)
  spotify = await createFakeSpotify()
})
afterEach(async () => {
  await spotify.close()
  await fs.rm(dir, { recursive: true, force: true })
})

function auth (env: Record<string, string>) {
  const config = loadConfig({ ...spotifyEnv(spotify.url), ...env })
  const upstream = { timeoutMs: 2000, retries: 0, retryBaseMs: 1, sleep: async () => {}, now: () => new Date() }
  return { config, auth: createSpotifyAuth({ config, state, secrets: createSecrets(), upstream, limiter: new Bottleneck(), log: silentLog }) }
}

const lastRefreshToken = (): string | null => new URLSearchParams(spotify.server.requests.filter((r) => r.path === '/api/token').at(-1)!.body).get('refresh_token')

describe('the Spotify refresh token the service uses', () => {
  it('without SPOTIFY_REFRESH_TOKEN: not configured until `tracklake auth spotify` stores one, then that one', async () => {
    const { config, auth: unset } = auth({ SPOTIFY_REFRESH_TOKEN: '' })
    expect(() => unset.requireUser()).toThrow(/set SPOTIFY_REFRESH_TOKEN/)
    spotify.refreshTokens.add('from-consent-1234')
    await storeRefreshToken(state, config, 'from-consent-1234', 'consent')
    expect(() => unset.requireUser()).not.toThrow()
    await unset.userToken()
    expect(lastRefreshToken()).toBe('from-consent-1234')
  })

  it('a stored token wins while SPOTIFY_REFRESH_TOKEN keeps the value it was stored under; another value wins over it', async () => {
    spotify.refreshTokens.add('from-consent-1234')
    const first = auth({})
    await storeRefreshToken(state, first.config, 'from-consent-1234', 'consent')
    await first.auth.userToken()
    expect(lastRefreshToken()).toBe('from-consent-1234')

    spotify.refreshTokens.add('newly-set-in-env')
    await auth({ SPOTIFY_REFRESH_TOKEN: 'newly-set-in-env' }).auth.userToken()
    expect(lastRefreshToken()).toBe('newly-set-in-env')
  })
})
