import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import { createFakeSpotify, seedCatalog, type FakeSpotify } from './fakes/fake-spotify.ts'
import { buildTestApp, spotifyEnv, type TestApp } from './helpers/build-app.ts'
import { addPlays } from './helpers/plays.ts'

describe('logs', () => {
  let spotify: FakeSpotify
  let t: TestApp

  afterEach(async () => {
    await t.close()
    await spotify?.close()
  })

  it('never carry a secret: tokens, client secret, refresh tokens (rotated ones too)', async () => {
    spotify = await createFakeSpotify({ rotateRefreshToken: true, clientSecret: 'client-secret-value-42' })
    seedCatalog(spotify, { artists: 2 })
    addPlays(spotify, 3)
    const lines: string[] = []
    const apiToken = 'api-token-value-0123456789'
    t = await buildTestApp({
      ...spotifyEnv(spotify.url),
      SPOTIFY_CLIENT_SECRET: 'client-secret-value-42',
      TRACKLAKE_API_TOKEN: apiToken,
      LOG_LEVEL: 'trace',
    }, { logStream: { write: (line) => { lines.push(line) } } })
    const auth = { authorization: `Bearer ${apiToken}` }
    await request(t.app.server).post('/v1/ingest/recently-played').set(auth)
    const plan = await request(t.app.server).post('/v1/spotify/artists/plan').set(auth).send({})
    await request(t.app.server).post('/v1/spotify/artists/fetch').set(auth).send(plan.body.batches[0])
    await request(t.app.server).get('/v1/tables').set('authorization', 'Bearer wrong-token-xyz')
    spotify.refreshTokens.clear()
    spotify.revokeAccessTokens()
    await t.close()
    t = await buildTestApp({ ...spotifyEnv(spotify.url), SPOTIFY_CLIENT_SECRET: 'client-secret-value-42', LOG_LEVEL: 'trace' }, { logStream: { write: (line) => { lines.push(line) } } }, t.dataDir)
    await request(t.app.server).post('/v1/ingest/recently-played')

    const text = lines.join('')
    expect(lines.length).toBeGreaterThan(10)
    expect(text).toContain('UPSTREAM_AUTH_FAILED')
    for (const secret of ['client-secret-value-42', apiToken, 'test-refresh-token', spotify.currentRefreshToken, 'wrong-token-xyz']) {
      expect(text, secret).not.toContain(secret)
    }
    const issued = spotify.server.requests.filter((r) => r.path === '/api/token').length
    expect(issued).toBeGreaterThan(1)
    for (const request of spotify.server.requests) {
      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1]
      if (token) expect(text).not.toContain(token)
    }
  })

  it('redact query parameters named like secrets and known secret values from every logged URL', async () => {
    const lines: string[] = []
    const apiToken = 'api-token-value-0123456789'
    t = await buildTestApp({ TRACKLAKE_API_TOKEN: apiToken, SPOTIFY_CLIENT_SECRET: 'client-secret-value-42', LOG_LEVEL: 'info' }, { logStream: { write: (line) => { lines.push(line) } } })
    const values: Record<string, string> = Object.fromEntries([
      ['token', 'tok-value-1111'], ['client_secret', 'cs-value-2222'], ['code', 'code-value-3333'], ['password', 'pw-value-4444'],
      ['appid', 'appid-value-5555'], ['api_key', 'apikey-value-6666'], ['access_token', 'at-value-7777'], ['refresh_token', 'rt-value-8888'],
      ['secret', 'secret-value-9999'], ['key', 'key-value-0000'], ['X-Api-Key', 'apikey-value-1212'],
    ])
    const query = Object.entries(values).map(([name, value]) => `${name}=${value}`).join('&')
    await request(t.app.server).get(`/v1/tables?${query}&limit=5`).set('authorization', `Bearer ${apiToken}`)
    await request(t.app.server).get(`/v1/tables/${apiToken}?note=client-secret-value-42`).set('authorization', `Bearer ${apiToken}`)
    await request(t.app.server).get(`/v1/nothing?token=${values.token}`)

    const text = lines.join('')
    for (const value of [...Object.values(values), apiToken, 'client-secret-value-42']) expect(text, value).not.toContain(value)
    const urls = lines.map((line) => JSON.parse(line)).filter((entry) => entry.req?.url).map((entry) => entry.req.url as string)
    expect(urls).toHaveLength(3)
    expect(urls[0]).toMatch(/^\/v1\/tables\?token=%5Bredacted%5D&.*&limit=5$/)
    expect(urls[1]).toBe('/v1/tables/[redacted]?note=[redacted]')
  })

  it('cap the size of a line, whatever a message or a field holds', async () => {
    const lines: string[] = []
    t = await buildTestApp({ LOG_LEVEL: 'info' }, { logStream: { write: (line) => { lines.push(line) } } })
    const err = new Error('e'.repeat(1_000_000))
    t.app.log.info({ value: 'v'.repeat(1_000_000), nested: { list: ['w'.repeat(1_000_000)] }, err }, 'm'.repeat(1_000_000))
    const line = lines.at(-1)!
    expect(line.length).toBeLessThan(64 * 1024)
    const entry = JSON.parse(line)
    expect(entry.msg).toMatch(/^m+… \(\d+ more characters\)$/)
    expect(entry.nested.list[0]).toMatch(/^w+…/)
    expect(entry.err.message).toMatch(/^e+…/)
  })
})
