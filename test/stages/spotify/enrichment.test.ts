import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import { createFakeSpotify, makeArtist, seedCatalog, spotifyId, type FakeSpotify, type FakeSpotifyOptions } from '../../fakes/fake-spotify.ts'
import { buildTestApp, spotifyEnv, type TestApp } from '../../helpers/build-app.ts'
import { exportEntry } from '../../helpers/export.ts'
import { runStep, tableRows } from '../../helpers/granular.ts'

const day = 24 * 60 * 60 * 1000

interface Setup {
  spotify: FakeSpotify
  t: TestApp
  clock: { now: number }
  sleeps: number[]
  catalog: ReturnType<typeof seedCatalog>
}

let current: Setup | undefined

async function setup (options: { artists?: number, fake?: FakeSpotifyOptions, env?: Record<string, string>, devMode?: boolean } = {}): Promise<Setup> {
  const spotify = await createFakeSpotify(options.fake)
  const catalog = seedCatalog(spotify, { artists: options.artists ?? 12, devMode: options.devMode })
  const clock = { now: Date.parse('2026-11-01T00:00:00Z') }
  const sleeps: number[] = []
  const t = await buildTestApp({ ...spotifyEnv(spotify.url), ...options.env }, { now: () => new Date(clock.now), sleep: async (ms) => { sleeps.push(ms) } })
  current = { spotify, t, clock, sleeps, catalog }
  return current
}

afterEach(async () => {
  await current?.t.close()
  await current?.spotify.close()
  current = undefined
})

/** Plays imported from an export: track URI and names only. Track i is played i + 1 times. */
async function importPlays (s: Setup, trackIds: string[] = s.catalog.trackIds): Promise<void> {
  const entries = trackIds.flatMap((id, i) => Array.from({ length: i + 1 }, (_, k) => exportEntry({
    ts: new Date(Date.parse('2025-01-01T00:00:00Z') + (i * 100 + k) * 300_000).toISOString().replace('.000', ''),
    ms_played: 200_000,
    spotify_track_uri: `spotify:track:${id}`,
    master_metadata_track_name: s.spotify.tracks.get(id)?.name ?? 'Unknown',
  })))
  const res = await request(s.t.app.server).post('/v1/ingest/streaming-history').set('content-type', 'application/json').send(JSON.stringify(entries))
  expect(res.status).toBe(200)
}

/** Plays polled from recently-played: ids, album and artists come with them. */
async function pollPlays (s: Setup, count: number): Promise<void> {
  const tracks = [...s.spotify.tracks.values()]
  for (let i = 0; i < count; i++) {
    s.spotify.plays.push({ played_at: new Date(Date.parse('2026-10-01T00:00:00Z') + i * 200_000).toISOString(), track: tracks[i % tracks.length]!, context: null })
  }
  expect((await request(s.t.app.server).post('/v1/ingest/recently-played')).status).toBe(200)
  s.spotify.server.reset()
}

describe('Spotify track resolution', () => {
  it('resolves imported plays, most played first, and fills every play of the track', async () => {
    const s = await setup({ artists: 6 })
    await importPlays(s)
    const plan = await request(s.t.app.server).post('/v1/spotify/tracks/plan').send({ batchSize: 4 })
    expect(plan.body.total).toBe(6)
    expect(plan.body.batches).toHaveLength(2)
    const planned = (await request(s.t.app.server).get(`/v1/plans/${plan.body.planId}`)).body
    expect(planned.totals).toMatchObject({ batches: 2, pending: 2, done: 0, written: 0 })

    const run = await runStep(s.t.app, '/v1/spotify/tracks', { batchSize: 4 })
    expect(run.fetched.flatMap((f) => f.records.map((r) => r.track_id))).toEqual([...s.catalog.trackIds].reverse())
    const plays = await tableRows(s.t.app, 'tracks_played')
    expect(plays).toHaveLength(21)
    for (const play of plays) {
      const track = s.spotify.tracks.get(play.track_id)!
      expect(play).toMatchObject({ artist_id: track.artists[0].id, album_id: track.album.id, track_isrc: track.external_ids.isrc, duration_ms: track.duration_ms, artist_ids: [track.artists[0].id] })
    }
    expect((await request(s.t.app.server).post('/v1/spotify/tracks/plan').send({})).body.total).toBe(0)
  })

  it('progress tells a fetched batch from a written one', async () => {
    const s = await setup({ artists: 6 })
    await importPlays(s)
    const plan = await request(s.t.app.server).post('/v1/spotify/tracks/plan').send({ batchSize: 4 })
    const fetched = (await request(s.t.app.server).post('/v1/spotify/tracks/fetch').send(plan.body.batches[0])).body
    const progress = async () => (await request(s.t.app.server).get(`/v1/plans/${plan.body.planId}`)).body
    expect((await progress()).totals).toMatchObject({ done: 1, written: 0 })
    expect((await progress()).batches[0].writtenAt).toBeNull()
    const written = await request(s.t.app.server).post('/v1/spotify/tracks/write').send({ records: fetched.records, planId: plan.body.planId, offset: 0 })
    expect(written.status).toBe(200)
    expect((await progress()).totals).toMatchObject({ done: 1, written: 1 })
    const orphan = await request(s.t.app.server).post('/v1/spotify/tracks/write').send({ records: fetched.records, planId: plan.body.planId })
    expect(orphan.status).toBe(400)
    expect(orphan.body.details[0].field).toBe('body.offset')
    const otherStep = await request(s.t.app.server).post('/v1/spotify/artists/write').send({ records: [], planId: plan.body.planId, offset: 0 })
    expect(otherStep.status).toBe(400)
    expect(otherStep.body.details[0]).toMatchObject({ field: 'body.planId', problem: expect.stringContaining('spotify/tracks') })
    // Records fetched for a plan that is gone (expired, say) are still written: they cost upstream calls.
    const gone = await request(s.t.app.server).post('/v1/spotify/tracks/write').send({ records: fetched.records, planId: 'no-such-plan', offset: 0 })
    expect(gone.status).toBe(200)
  })

  it('fills later imports from the track cache without calling Spotify', async () => {
    const s = await setup({ artists: 3 })
    await pollPlays(s, 3)
    await importPlays(s)
    expect(s.spotify.catalogCalls()).toBe(0)
    expect((await tableRows(s.t.app, 'tracks_played')).every((p) => p.artist_id !== null)).toBe(true)
    expect((await request(s.t.app.server).post('/v1/spotify/tracks/plan').send({})).body.total).toBe(0)
  })
})

describe('Spotify artist and album enrichment', () => {
  it('Development Mode: one call per artist and album, after one refused batch attempt each', async () => {
    const s = await setup({ artists: 12, devMode: true })
    await pollPlays(s, 12)
    const artists = await runStep(s.t.app, '/v1/spotify/artists')
    const albums = await runStep(s.t.app, '/v1/spotify/albums')
    expect(artists.total).toBe(12)
    expect(albums.total).toBe(12)
    expect(s.spotify.server.count(/^\/v1\/artists\?ids=/)).toBe(1)
    expect(s.spotify.server.count(/^\/v1\/artists\/[^/?]+\?$/)).toBe(12)
    expect(s.spotify.server.count(/^\/v1\/albums\?ids=/)).toBe(1)
    expect(s.spotify.server.count(/^\/v1\/albums\/[^/?]+\?$/)).toBe(12)
    const stored = await tableRows(s.t.app, 'spotify_artists')
    expect(stored).toHaveLength(12)
    expect(stored[0]).toMatchObject({ genres: [], popularity: null, followers: null, image_url: expect.stringMatching(/^https:/) })
    const albumRows = await tableRows(s.t.app, 'spotify_albums')
    expect(albumRows[0]).toMatchObject({ label: null, popularity: null, release_year: 1983, release_date_precision: 'year', total_tracks: expect.any(Number) })
  })

  it('batch mode: an album answered under another id is taken by its position, never in place of another asked id', async () => {
    const s = await setup({ artists: 3, fake: { batchEndpoints: true } })
    await pollPlays(s, 3)
    const [first, second] = s.catalog.albumIds
    const merged = spotifyId('merged-album')
    s.spotify.albums.set(first!, { ...s.spotify.albums.get(first!)!, id: merged })
    // The second album answers as the third: it must not count as the third, nor as itself.
    s.spotify.albums.set(second!, { ...s.spotify.albums.get(s.catalog.albumIds[2]!)! })
    const run = await runStep(s.t.app, '/v1/spotify/albums')
    expect(run.fetched[0]!.records.map((r) => r.album_id).sort()).toEqual([first, s.catalog.albumIds[2]].sort())
    expect(run.fetched[0]!.failures).toEqual([expect.objectContaining({ entity_id: second })])
  })

  it('SPOTIFY_BATCH_ENDPOINTS=off never tries ?ids=', async () => {
    const s = await setup({ artists: 5, env: { SPOTIFY_BATCH_ENDPOINTS: 'off' } })
    await pollPlays(s, 5)
    await runStep(s.t.app, '/v1/spotify/artists')
    expect(s.spotify.server.count('/v1/artists')).toBe(5)
    expect(s.spotify.server.count(/\?ids=/)).toBe(0)
  })

  it('batch mode: ?ids= chunks of 50 artists and 20 albums where the app still has them', async () => {
    const s = await setup({ artists: 120, fake: { batchEndpoints: true } })
    await pollPlays(s, 120)
    await runStep(s.t.app, '/v1/spotify/artists', { batchSize: 100 })
    await runStep(s.t.app, '/v1/spotify/albums', { batchSize: 100 })
    expect(s.spotify.server.count(/^\/v1\/artists\?ids=/)).toBe(3)
    expect(s.spotify.server.count(/^\/v1\/albums\?ids=/)).toBe(6)
    expect(s.spotify.catalogCalls()).toBe(9)
    expect(await tableRows(s.t.app, 'spotify_artists')).toHaveLength(120)
    const genres = await tableRows(s.t.app, 'spotify_artist_genre')
    expect(genres).toHaveLength(240)
  })

  it('auto mode falls back on a 404 from the batch endpoint too, and remembers it across restarts for a week', async () => {
    const s = await setup({ artists: 8, fake: { batchRefusalStatus: 404 } })
    await pollPlays(s, 8)
    const probes = () => s.spotify.server.count(/^\/v1\/artists\?ids=/)
    const restart = async () => {
      await s.t.app.close()
      s.t = await buildTestApp(spotifyEnv(s.spotify.url), { now: () => new Date(s.clock.now) }, s.t.dataDir)
    }
    await runStep(s.t.app, '/v1/spotify/artists', { batchSize: 3, limit: 4 })
    expect(probes()).toBe(1)
    await restart()
    await runStep(s.t.app, '/v1/spotify/artists', { batchSize: 3, limit: 2 })
    expect(probes()).toBe(1)
    s.clock.now += 8 * day
    await restart()
    await runStep(s.t.app, '/v1/spotify/artists', { batchSize: 3 })
    expect(probes()).toBe(2)
    expect(await tableRows(s.t.app, 'spotify_artists')).toHaveLength(8)
  })

  it('W1: fetch → write batch by batch over 137 artists in batches of 10 enriches each exactly once', async () => {
    const s = await setup({ artists: 137, env: { SPOTIFY_BATCH_ENDPOINTS: 'off' } })
    await pollPlays(s, 137)
    const plan = await request(s.t.app.server).post('/v1/spotify/artists/plan').send({ batchSize: 10 })
    expect(plan.body).toMatchObject({ total: 137, batchSize: 10 })
    expect(plan.body.batches).toHaveLength(14)
    const fetchedIds: string[] = []
    for (const batch of plan.body.batches) {
      const fetched = await request(s.t.app.server).post('/v1/spotify/artists/fetch').send(batch)
      fetchedIds.push(...fetched.body.records.map((r: { artist_id: string }) => r.artist_id))
      // Writing shrinks the "missing" set between batches; the plan's snapshot keeps offsets stable.
      await request(s.t.app.server).post('/v1/spotify/artists/write').send({ records: fetched.body.records, failures: fetched.body.failures })
    }
    expect(fetchedIds).toHaveLength(137)
    expect(new Set(fetchedIds).size).toBe(137)
    for (const id of s.catalog.artistIds) expect(s.spotify.server.count(`/v1/artists/${id}`)).toBe(1)
    expect(await tableRows(s.t.app, 'spotify_artists')).toHaveLength(137)
    const progress = (await request(s.t.app.server).get(`/v1/plans/${plan.body.planId}`)).body
    expect(progress.totals).toMatchObject({ batches: 14, done: 14, pending: 0, failed: 0, records: 137 })
  })

  it('a plan\'s batches return the same keys in the same order while rows are written between fetches', async () => {
    const s = await setup({ artists: 30, env: { SPOTIFY_BATCH_ENDPOINTS: 'off' } })
    await pollPlays(s, 30)
    const plan = (await request(s.t.app.server).post('/v1/spotify/artists/plan').send({ batchSize: 7 })).body
    const first = await request(s.t.app.server).post('/v1/spotify/artists/fetch').send(plan.batches[1])
    // Someone enriches artists of later batches by hand, and new plays arrive.
    await request(s.t.app.server).post('/v1/spotify/artists/write').send({ records: [{ artist_id: s.catalog.artistIds[29], artist_name: 'By hand' }] })
    await pollPlays(s, 3)
    s.spotify.server.reset()
    const again = await request(s.t.app.server).post('/v1/spotify/artists/fetch').send(plan.batches[1])
    expect(again.body.records.map((r: { artist_id: string }) => r.artist_id)).toEqual(first.body.records.map((r: { artist_id: string }) => r.artist_id))
    // The second fetch reused the raw answers landed by the first: no quota spent twice.
    expect(s.spotify.catalogCalls()).toBe(0)
  })

  it('waits out a short 429 and carries on', async () => {
    const s = await setup({ artists: 4, env: { SPOTIFY_BATCH_ENDPOINTS: 'off' } })
    await pollPlays(s, 4)
    s.spotify.server.fault('/v1/artists/', { kind: 'status', status: 429, retryAfter: 3 })
    const run = await runStep(s.t.app, '/v1/spotify/artists')
    expect(run.fetched[0]).toMatchObject({ status: 'complete' })
    expect(run.fetched[0]!.records).toHaveLength(4)
    expect(s.sleeps).toEqual([3000])
  })

  it('short waits add up to at most a minute per fetch; past that the batch answers rate_limited', async () => {
    const s = await setup({ artists: 6, env: { SPOTIFY_BATCH_ENDPOINTS: 'off' } })
    await pollPlays(s, 6)
    // Every artist call is refused once with 25 s: two waits fit in the minute, the third does not.
    const refused = new Set<string>()
    const firstAsk = (r: { path: string }): boolean => r.path.startsWith('/v1/artists/') && !refused.has(r.path) && refused.add(r.path) !== undefined
    s.spotify.server.fault(firstAsk, { kind: 'status', status: 429, retryAfter: 25 }, 6)
    const run = await runStep(s.t.app, '/v1/spotify/artists')
    expect(s.sleeps).toEqual([25_000, 25_000])
    expect(run.fetched[0]).toMatchObject({ status: 'rate_limited', retryAfterSeconds: 25, failures: [] })
    expect(run.fetched[0]!.records).toHaveLength(2)
  })

  it('stores a track Spotify answers under another id (relinked) under the id the plays carry', async () => {
    const s = await setup({ artists: 3, env: { SPOTIFY_BATCH_ENDPOINTS: 'off' } })
    await importPlays(s)
    const asked = s.catalog.trackIds[0]!
    const other = spotifyId('relinked-track')
    s.spotify.tracks.set(asked, { ...s.spotify.tracks.get(asked)!, id: other, uri: `spotify:track:${other}`, linked_from: { id: asked, type: 'track' } })
    const run = await runStep(s.t.app, '/v1/spotify/tracks')
    expect(run.fetched[0]).toMatchObject({ status: 'complete', failures: [] })
    const plays = (await tableRows(s.t.app, 'tracks_played')).filter((p) => p.track_id === asked)
    expect(plays.length).toBeGreaterThan(0)
    expect(plays.every((p) => p.artist_id !== null)).toBe(true)
    expect((await request(s.t.app.server).post('/v1/spotify/tracks/plan').send({})).body.total).toBe(0)
  })

  it('a Retry-After of 0 is waited as 1 s and counts against the budget (no endless retries)', async () => {
    const s = await setup({ artists: 2, env: { SPOTIFY_BATCH_ENDPOINTS: 'off' } })
    await pollPlays(s, 2)
    s.spotify.server.fault('/v1/artists/', { kind: 'status', status: 429, retryAfter: 0 }, 1000)
    const run = await runStep(s.t.app, '/v1/spotify/artists')
    expect(run.fetched[0]).toMatchObject({ status: 'rate_limited', records: [] })
    expect(s.sleeps).toHaveLength(60)
  })

  it('a long 429 ends the batch as rate_limited: what was fetched is kept, the rest stays pending, nothing is "not found"', async () => {
    const s = await setup({ artists: 10, env: { SPOTIFY_BATCH_ENDPOINTS: 'off' } })
    await pollPlays(s, 10)
    let calls = 0
    s.spotify.server.fault((r) => r.path.startsWith('/v1/artists/') && ++calls === 4, { kind: 'status', status: 429, retryAfter: 7200 })
    const run = await runStep(s.t.app, '/v1/spotify/artists', { batchSize: 5 })
    expect(run.stoppedBy).toBe('rate_limited')
    expect(run.fetched).toHaveLength(1)
    expect(run.fetched[0]).toMatchObject({ status: 'rate_limited', retryAfterSeconds: 7200, failures: [] })
    expect(run.fetched[0]!.records).toHaveLength(3)
    expect(await tableRows(s.t.app, 'enrichment_failures')).toEqual([])
    const progress = (await request(s.t.app.server).get(`/v1/plans/${run.planId}`)).body
    expect(progress.totals).toMatchObject({ done: 0, pending: 2, rateLimited: 1 })
    // Spotify was told to wait: until then no call goes out, every fetch answers rate_limited at once.
    const before = s.spotify.catalogCalls()
    const next = (await request(s.t.app.server).post('/v1/spotify/artists/plan').send({})).body
    expect(next.total).toBe(7)
    const blocked = await request(s.t.app.server).post('/v1/spotify/artists/fetch').send(next.batches[0])
    expect(blocked.body).toMatchObject({ status: 'rate_limited', records: [] })
    expect(s.spotify.catalogCalls()).toBe(before)
    s.clock.now += 7200_000
    const resumed = await runStep(s.t.app, '/v1/spotify/artists')
    expect(resumed.fetched[0]).toMatchObject({ status: 'complete' })
    expect(await tableRows(s.t.app, 'spotify_artists')).toHaveLength(10)
  })

  it('QUOTA_EXCEEDED stops the batch for hours', async () => {
    const s = await setup({ artists: 6, fake: { quota: 2 }, env: { SPOTIFY_BATCH_ENDPOINTS: 'off' } })
    await pollPlays(s, 6)
    const run = await runStep(s.t.app, '/v1/spotify/albums')
    expect(run.fetched[0]).toMatchObject({ status: 'rate_limited', retryAfterSeconds: 48_925 })
    expect(run.fetched[0]!.records.length).toBeLessThan(6)
    const runs = (await request(s.t.app.server).get('/v1/runs?step=spotify.albums.fetch')).body.runs
    expect(runs[0]).toMatchObject({ status: 'rate_limited' })
  })

  it('gets a new app token once after a 401', async () => {
    const s = await setup({ artists: 4, env: { SPOTIFY_BATCH_ENDPOINTS: 'off' } })
    await pollPlays(s, 4)
    await runStep(s.t.app, '/v1/spotify/artists', { limit: 2 })
    expect(s.spotify.server.count('/api/token')).toBe(1)
    s.spotify.revokeAccessTokens()
    const run = await runStep(s.t.app, '/v1/spotify/artists')
    expect(run.fetched[0]!.records).toHaveLength(2)
    expect(s.spotify.server.count('/api/token')).toBe(2)
    expect(s.spotify.server.requests.filter((r) => r.headers.authorization === undefined && r.path.startsWith('/v1/'))).toEqual([])
  })

  it('a 404 goes to failure memory with backoff, and comes back after it', async () => {
    const s = await setup({ artists: 3, env: { SPOTIFY_BATCH_ENDPOINTS: 'off' } })
    await pollPlays(s, 3)
    const gone = s.catalog.artistIds[1]!
    s.spotify.artists.delete(gone)
    const first = await runStep(s.t.app, '/v1/spotify/artists')
    expect(first.fetched[0]!.failures).toEqual([expect.objectContaining({ entity_id: gone, http_status: 404, reason: expect.stringContaining('not found') })])
    const failures = await tableRows(s.t.app, 'enrichment_failures')
    expect(failures).toEqual([expect.objectContaining({ stage: 'spotify', resource: 'artists', entity_id: gone, attempts: 1, next_attempt_at: new Date(s.clock.now + day).toISOString() })])
    expect((await request(s.t.app.server).post('/v1/spotify/artists/plan').send({})).body.total).toBe(0)

    s.clock.now += day + 1000
    const second = await runStep(s.t.app, '/v1/spotify/artists')
    expect(second.total).toBe(1)
    expect((await tableRows(s.t.app, 'enrichment_failures'))[0]).toMatchObject({ attempts: 2, next_attempt_at: new Date(s.clock.now + 2 * day).toISOString() })

    // Back on Spotify: after the backoff it is enriched and its failure forgotten.
    s.spotify.artists.set(gone, makeArtist(gone, 'Back Again'))
    s.clock.now += 2 * day + 1000
    const third = await runStep(s.t.app, '/v1/spotify/artists')
    expect(third.fetched[0]!.records).toHaveLength(1)
    expect(await tableRows(s.t.app, 'enrichment_failures')).toEqual([])
  })

  it('posting the same failures twice counts once', async () => {
    const s = await setup()
    const body = { failures: [{ entity_id: spotifyId('x'), reason: 'not found on Spotify', http_status: 404, failed_at: '2026-11-01T00:00:00.000Z' }] }
    expect((await request(s.t.app.server).post('/v1/spotify/albums/failures').send(body)).body.failures).toEqual({ recorded: 1, unchanged: 0 })
    expect((await request(s.t.app.server).post('/v1/spotify/albums/failures').send(body)).body.failures).toEqual({ recorded: 0, unchanged: 1 })
    expect((await tableRows(s.t.app, 'enrichment_failures'))[0]).toMatchObject({ attempts: 1 })
  })

  it('write replaces an artist\'s genres, is idempotent, and a hand-posted record sticks', async () => {
    const s = await setup({ artists: 2 })
    await pollPlays(s, 2)
    const id = s.catalog.artistIds[0]!
    const write = (records: unknown[]) => request(s.t.app.server).post('/v1/spotify/artists/write').send({ records })
    const record = { artist_id: id, artist_name: 'Hand Made', genres: ['shoegaze', 'dream pop'], fetched_at: '2026-11-01T00:00:00.000Z' }
    expect((await write([record])).body.records).toMatchObject({ inserted: 1, genresAdded: 2 })
    const again = await write([record])
    expect(again.body.records).toMatchObject({ inserted: 0, updated: 0, unchanged: 1, genresAdded: 0, genresRemoved: 0 })
    expect((await write([{ ...record, genres: ['shoegaze'] }])).body.records).toMatchObject({ updated: 1, genresRemoved: 1 })
    expect((await tableRows(s.t.app, 'spotify_artist_genre')).map((g) => g.genre)).toEqual(['shoegaze'])
    const plan = (await request(s.t.app.server).post('/v1/spotify/artists/plan').send({})).body
    expect(plan.total).toBe(1)
    await runStep(s.t.app, '/v1/spotify/artists')
    expect((await tableRows(s.t.app, 'spotify_artists')).find((a) => a.artist_id === id)?.artist_name).toBe('Hand Made')
  })

  it('plans: empty, offset outside, expired, unknown', async () => {
    const s = await setup({ artists: 3 })
    const empty = (await request(s.t.app.server).post('/v1/spotify/artists/plan').send({})).body
    expect(empty).toMatchObject({ total: 0, batches: [] })
    await pollPlays(s, 3)
    const plan = (await request(s.t.app.server).post('/v1/spotify/artists/plan').send({ batchSize: 2 })).body
    const outside = await request(s.t.app.server).post('/v1/spotify/artists/fetch').send({ planId: plan.planId, offset: 3, limit: 2 })
    expect(outside.status).toBe(400)
    expect(outside.body).toMatchObject({ code: 'OFFSET_OUT_OF_RANGE', details: [{ field: 'body.offset' }] })
    const limited = (await request(s.t.app.server).post('/v1/spotify/artists/plan').send({ limit: 1 })).body
    expect(limited.total).toBe(1)
    s.clock.now += day + 1
    const expired = await request(s.t.app.server).post('/v1/spotify/artists/fetch').send(plan.batches[0])
    expect(expired.status).toBe(404)
    expect(expired.body.code).toBe('PLAN_EXPIRED')
    expect((await request(s.t.app.server).get(`/v1/plans/${plan.planId}`)).status).toBe(404)
  })

  it('a failing upstream marks the batch failed, answers 502, and records nothing as missing', async () => {
    const s = await setup({ artists: 4, env: { SPOTIFY_BATCH_ENDPOINTS: 'off' } })
    await pollPlays(s, 4)
    const plan = (await request(s.t.app.server).post('/v1/spotify/artists/plan').send({})).body
    s.spotify.server.fault('/v1/artists/', { kind: 'status', status: 503 }, 3)
    const res = await request(s.t.app.server).post('/v1/spotify/artists/fetch').send(plan.batches[0])
    expect(res.status).toBe(502)
    expect(res.body.code).toBe('UPSTREAM_FAILED')
    const progress = (await request(s.t.app.server).get(`/v1/plans/${plan.planId}`)).body
    expect(progress.batches[0]).toMatchObject({ state: 'failed', lastStatus: 'error', error: expect.stringContaining('503') })
    expect(await tableRows(s.t.app, 'enrichment_failures')).toEqual([])
    const retry = await request(s.t.app.server).post('/v1/spotify/artists/fetch').send(plan.batches[0])
    expect(retry.body).toMatchObject({ status: 'complete' })
    expect(retry.body.records).toHaveLength(4)
  })

  it('a wrong client secret is a clear configuration error', async () => {
    const s = await setup({ artists: 1, env: { SPOTIFY_CLIENT_SECRET: 'wrong-secret' } })
    await request(s.t.app.server).post('/v1/ingest/streaming-history').set('content-type', 'application/json')
      .send(JSON.stringify([exportEntry({ ts: '2025-01-01T00:00:00Z', spotify_track_uri: `spotify:track:${s.catalog.trackIds[0]}` })]))
    const plan = (await request(s.t.app.server).post('/v1/spotify/tracks/plan').send({})).body
    const res = await request(s.t.app.server).post('/v1/spotify/tracks/fetch').send(plan.batches[0])
    expect(res.status).toBe(502)
    expect(res.body.code).toBe('UPSTREAM_AUTH_FAILED')
    expect(res.body.message).toContain('SPOTIFY_CLIENT_SECRET')
    expect(res.body.message).not.toContain('wrong-secret')
  })
})

describe('Spotify that does not answer', () => {
  it('answers 504 after the timeout and its retries, and records nothing as missing', async () => {
    const spotify = await createFakeSpotify()
    const catalog = seedCatalog(spotify, { artists: 2 })
    const t = await buildTestApp({ ...spotifyEnv(spotify.url), SPOTIFY_BATCH_ENDPOINTS: 'off' }, { upstream: { timeoutMs: 200, retries: 1, retryBaseMs: 1 } })
    current = { spotify, t, clock: { now: Date.now() }, sleeps: [], catalog }
    await importPlays(current)
    const plan = (await request(t.app.server).post('/v1/spotify/tracks/plan').send({})).body
    spotify.server.fault('/v1/tracks/', { kind: 'hang' }, 2)
    const res = await request(t.app.server).post('/v1/spotify/tracks/fetch').send(plan.batches[0])
    expect(res.status).toBe(504)
    expect(res.body).toMatchObject({ code: 'UPSTREAM_TIMEOUT', message: expect.stringContaining('did not answer') })
    expect(await tableRows(t.app, 'enrichment_failures')).toEqual([])
  })
})
