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
    await spotify.close()
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
})
