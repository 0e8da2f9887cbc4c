import fs from 'node:fs/promises'
import path from 'node:path'
import request from 'supertest'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createFakeSpotify, seedCatalog, type FakeSpotify } from '../../fakes/fake-spotify.ts'
import { buildTestApp, makeTempDir, spotifyEnv, type TestApp } from '../../helpers/build-app.ts'
import { addPlays } from '../../helpers/plays.ts'

describe('POST /v1/ingest/recently-played', () => {
  let spotify: FakeSpotify
  let t: TestApp
  const sleeps: number[] = []

  beforeEach(async () => {
    spotify = await createFakeSpotify()
    seedCatalog(spotify, { artists: 6, tracksPerArtist: 2 })
    sleeps.length = 0
    t = await buildTestApp(spotifyEnv(spotify.url), { sleep: async (ms) => { sleeps.push(ms) } })
  })

  afterEach(async () => {
    await t.close()
    await spotify.close()
  })

  const poll = () => request(t.app.server).post('/v1/ingest/recently-played')

  it('stores every play with ids, ISRC and context, then only newer plays from the cursor on', async () => {
    const plays = addPlays(spotify, 120)
    const first = await poll()
    expect(first.status).toBe(200)
    // Spotify serves 50 per page: the poll follows `next` to the end.
    expect(first.body).toMatchObject({ status: 'complete', fetched: 120, inserted: 120, duplicates: 0, cursor: plays.at(-1)!.played_at })
    expect(first.body.pages).toBeGreaterThanOrEqual(3)

    const rows = (await request(t.app.server).get('/v1/tables/tracks_played?limit=1000')).body.rows
    expect(rows).toHaveLength(120)
    const row = rows.find((r: { played_at: string }) => r.played_at === plays[1]!.played_at)
    const track = spotify.tracks.get(plays[1]!.trackId)!
    expect(row).toMatchObject({
      track_id: track.id,
      track_isrc: track.external_ids.isrc,
      artist_id: track.artists[0].id,
      artist_ids: track.artists.map((a: { id: string }) => a.id),
      album_id: track.album.id,
      duration_ms: track.duration_ms,
      ms_played: null,
      counts_as_play: true,
      context_type: 'album',
      source: 'spotify-api',
      user_id: 'me',
    })

    const again = await poll()
    expect(again.body).toMatchObject({ status: 'complete', fetched: 0, inserted: 0 })
    const requested = spotify.server.requests.filter((r) => r.path === '/v1/me/player/recently-played').at(-1)!
    expect(requested.query.get('after')).toBe(String(Date.parse(plays.at(-1)!.played_at)))

    addPlays(spotify, 3, Date.parse('2026-11-20T13:00:00.000Z'))
    const third = await poll()
    expect(third.body).toMatchObject({ fetched: 3, inserted: 3, cursor: '2026-11-20T13:00:00.000Z' })
    // Polled tracks fill the track cache that imported plays draw on.
    expect((await request(t.app.server).get('/v1/tables/spotify_tracks')).body.total).toBe(12)
  })

  it('reads the real sample, context and all', async () => {
    spotify.plays.push(...(await import('../../fakes/fake-spotify.ts')).spotifyFixtures.recentlyPlayedWithContext.items as never[])
    const res = await poll()
    expect(res.body).toMatchObject({ status: 'complete', inserted: 3 })
    const rows = (await request(t.app.server).get('/v1/tables/tracks_played')).body.rows
    const contexts = rows.map((r: { context_type: string | null }) => r.context_type)
    expect(contexts).toHaveLength(3)
    expect(contexts).toEqual(expect.arrayContaining(['album', 'playlist', null]))
  })

  it('keeps a rotated refresh token in state/ (owner-only) and uses it from then on', async () => {
    await t.close()
    await spotify.close()
    spotify = await createFakeSpotify({ rotateRefreshToken: true })
    seedCatalog(spotify, { artists: 2 })
    addPlays(spotify, 5)
    const dir = await makeTempDir()
    t = await buildTestApp(spotifyEnv(spotify.url), {}, dir)
    expect((await poll()).body.inserted).toBe(5)
    const stateFile = path.join(dir, 'state', 'spotify-refresh-token.json')
    const stored = JSON.parse(await fs.readFile(stateFile, 'utf8'))
    expect(stored.refreshToken).toBe(spotify.currentRefreshToken)
    expect((await fs.stat(stateFile)).mode & 0o777).toBe(0o600)
    expect(spotify.refreshTokens.has('test-refresh-token')).toBe(false)

    // A new process (no cached access token) must refresh with the rotated token: the original is retired.
    await t.close()
    t = await buildTestApp(spotifyEnv(spotify.url), {}, dir)
    addPlays(spotify, 2, Date.parse('2026-11-21T00:00:00.000Z'))
    const res = await poll()
    expect(res.status).toBe(200)
    expect(res.body.inserted).toBe(2)
    const runs = JSON.stringify((await request(t.app.server).get('/v1/runs')).body)
    expect(runs).not.toContain(spotify.currentRefreshToken)
    await fs.rm(dir, { recursive: true, force: true })
  })

  it('explains how to get a new refresh token on invalid_grant', async () => {
    spotify.refreshTokens.clear()
    const res = await poll()
    expect(res.status).toBe(502)
    expect(res.body.code).toBe('UPSTREAM_AUTH_FAILED')
    expect(res.body.message).toContain('invalid_grant')
    expect(res.body.message).toContain('SPOTIFY_REFRESH_TOKEN')
    expect(res.body.message).not.toContain('test-refresh-token')
  })

  it('waits out a short 429 and carries on', async () => {
    addPlays(spotify, 10)
    spotify.server.fault('/recently-played', { kind: 'status', status: 429, retryAfter: 2 })
    const res = await poll()
    expect(res.body).toMatchObject({ status: 'complete', inserted: 10 })
    expect(sleeps).toEqual([2000])
  })

  it('answers rate_limited on a long 429, stores nothing and keeps the cursor', async () => {
    addPlays(spotify, 10)
    await poll()
    addPlays(spotify, 60, Date.parse('2026-11-21T12:00:00.000Z'))
    // The first page comes through, the second is refused for an hour: nothing may be kept, or the cursor would jump.
    spotify.server.fault((r) => r.path.endsWith('/recently-played') && r.query.has('before'), { kind: 'status', status: 429, retryAfter: 3600 })
    const res = await poll()
    expect(res.body).toMatchObject({ status: 'rate_limited', retryAfterSeconds: 3600, inserted: 0, cursor: '2026-11-20T12:00:00.000Z' })
    expect((await request(t.app.server).get('/v1/tables/tracks_played')).body.total).toBe(10)
    const runs = (await request(t.app.server).get('/v1/runs?step=ingest')).body.runs
    expect(runs[0]).toMatchObject({ step: 'ingest.recently-played', status: 'rate_limited' })
  })

  it('gets a new access token once when Spotify answers 401', async () => {
    addPlays(spotify, 3)
    await poll()
    spotify.revokeAccessTokens()
    addPlays(spotify, 1, Date.parse('2026-11-22T00:00:00.000Z'))
    const res = await poll()
    expect(res.body).toMatchObject({ status: 'complete', inserted: 1 })
  })

  it('answers 503 naming the missing variable', async () => {
    await t.close()
    t = await buildTestApp({ SPOTIFY_API_URL: spotify.url, SPOTIFY_CLIENT_ID: 'x', SPOTIFY_CLIENT_SECRET: 'y' })
    const res = await poll()
    expect(res.status).toBe(503)
    expect(res.body.message).toContain('SPOTIFY_REFRESH_TOKEN')
  })

  it('answers 502 and keeps the cursor when Spotify keeps failing or sends garbage', async () => {
    addPlays(spotify, 3)
    spotify.server.fault('/recently-played', { kind: 'status', status: 503 }, 3)
    const failed = await poll()
    expect(failed.status).toBe(502)
    expect(failed.body.message).not.toMatch(/stack|at /)
    spotify.server.fault('/recently-played', { kind: 'malformed' })
    expect((await poll()).status).toBe(502)
    spotify.server.fault('/recently-played', { kind: 'truncated' }, 3)
    expect((await poll()).status).toBe(502)
    expect((await request(t.app.server).get('/v1/tables/tracks_played')).body.total).toBe(0)
    expect((await poll()).body.inserted).toBe(3)
  })
})
