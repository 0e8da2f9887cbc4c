import fs from 'node:fs/promises'
import path from 'node:path'
import request from 'supertest'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createFakeSpotify, type FakeSpotify } from '../fakes/fake-spotify.ts'
import { buildTestApp, makeTempDir } from '../helpers/build-app.ts'
import { freePort, runCli, startCli, type CliChild } from '../helpers/cli.ts'

let dir: string
let spotify: FakeSpotify
let env: Record<string, string>

beforeEach(async () => {
  dir = await makeTempDir('tracklake-cli-auth-')
  spotify = await createFakeSpotify()
  // No SPOTIFY_REFRESH_TOKEN: the consent is how a new user gets one.
  env = { TRACKLAKE_DATA_DIR: dir, SPOTIFY_CLIENT_ID: 'test-client-id', SPOTIFY_CLIENT_SECRET: 'test-client-secret', SPOTIFY_ACCOUNTS_URL: spotify.url, SPOTIFY_API_URL: spotify.url }
})

afterEach(async () => {
  await spotify.close()
  await fs.rm(dir, { recursive: true, force: true })
})

/** Starts the consent and reads the authorize URL it prints: the test then plays the browser. */
async function startConsent (port: number): Promise<{ cli: CliChild, authorize: URL }> {
  const cli = startCli(['auth', 'spotify', '--port', String(port), '--no-open', '--timeout', '120'], env)
  const [line] = await cli.waitFor(/^\s+(http\S+\/authorize\?\S+)$/m)
  return { cli, authorize: new URL(line.trim()) }
}

describe('tracklake auth spotify', { timeout: 180_000 }, () => {
  it('refuses a callback whose state does not match, exchanges the code of the right one and stores the token owner-only, where the service reads it', async () => {
    const port = await freePort()
    const { cli, authorize } = await startConsent(port)
    const redirectUri = `http://127.0.0.1:${port}/callback`
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${spotify.url}/authorize`)
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({ response_type: 'code', client_id: 'test-client-id', scope: 'user-read-recently-played', redirect_uri: redirectUri })
    const state = authorize.searchParams.get('state')!
    expect(state.length).toBeGreaterThanOrEqual(16)

    // Spotify sends the browser back with a code for this redirect URI.
    spotify.authorizationCodes.set('code-from-spotify', redirectUri)
    const forged = await request(`http://127.0.0.1:${port}`).get(`/callback?code=code-from-spotify&state=${state}x`)
    expect(forged.status).toBe(400)
    expect(forged.text).toContain('Refused')
    await cli.waitFor(/refused a callback whose state does not match/, 'stderr')
    expect(spotify.server.count('/api/token')).toBe(0)

    const good = await request(`http://127.0.0.1:${port}`).get(`/callback?code=code-from-spotify&state=${encodeURIComponent(state)}`)
    expect(good.status).toBe(200)
    const done = await cli.exited
    expect(done.code).toBe(0)
    const exchange = new URLSearchParams(spotify.server.requests.find((r) => r.path === '/api/token')!.body)
    expect(Object.fromEntries(exchange)).toEqual({ grant_type: 'authorization_code', code: 'code-from-spotify', redirect_uri: redirectUri })

    const file = path.join(dir, 'state', 'spotify-refresh-token.json')
    expect(done.stdout).toContain(`Stored the refresh token in ${file} (readable by you only)`)
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600)
    const stored = JSON.parse(await fs.readFile(file, 'utf8'))
    expect(stored).toMatchObject({ refreshToken: spotify.currentRefreshToken, source: 'consent' })
    expect(done.stdout + done.stderr).not.toContain(spotify.currentRefreshToken)

    // The service polls with it, though SPOTIFY_REFRESH_TOKEN is unset.
    const t = await buildTestApp(env, {}, dir)
    try {
      const poll = await request(t.app.server).post('/v1/ingest/recently-played')
      expect(poll.status).toBe(200)
      const refresh = spotify.server.requests.filter((r) => r.path === '/api/token').map((r) => new URLSearchParams(r.body))
      expect(refresh.at(-1)!.get('refresh_token')).toBe(stored.refreshToken)
    } finally {
      await t.close()
    }
  })

  it('consent refused, a code Spotify will not exchange, or no app credentials: exit 1 with one line, nothing stored', async () => {
    const port = await freePort()
    const denied = await startConsent(port)
    await request(`http://127.0.0.1:${port}`).get(`/callback?error=access_denied&state=${encodeURIComponent(denied.authorize.searchParams.get('state')!)}`)
    const deniedRun = await denied.cli.exited
    expect(deniedRun.code).toBe(1)
    expect(deniedRun.stderr.trim()).toBe('tracklake: Spotify answered access_denied (consent was not given); nothing was stored')

    const stale = await startConsent(port)
    const answer = await request(`http://127.0.0.1:${port}`).get(`/callback?code=never-issued&state=${encodeURIComponent(stale.authorize.searchParams.get('state')!)}`)
    expect(answer.status).toBe(502)
    const staleRun = await stale.cli.exited
    expect(staleRun.code).toBe(1)
    expect(staleRun.stderr.trim().split('\n')).toHaveLength(1)
    expect(staleRun.stderr).toContain('Spotify refused the code (400 invalid_grant: Invalid authorization code)')

    const unconfigured = await runCli(['auth', 'spotify', '--port', String(port), '--no-open'], { TRACKLAKE_DATA_DIR: dir })
    expect(unconfigured.code).toBe(1)
    expect(unconfigured.stderr).toMatch(/^tracklake: Spotify is not configured: set SPOTIFY_CLIENT_ID, SPOTIFY_CLIENT_SECRET/)
    await expect(fs.stat(path.join(dir, 'state', 'spotify-refresh-token.json'))).rejects.toThrow()
  })
})
