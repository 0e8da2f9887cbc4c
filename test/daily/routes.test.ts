import fs from 'node:fs/promises'
import path from 'node:path'
import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import { createFakeSpotify, seedCatalog, type FakeSpotify } from '../fakes/fake-spotify.ts'
import { buildTestApp, spotifyEnv, type TestApp } from '../helpers/build-app.ts'
import { exportEntry } from '../helpers/export.ts'
import { tableRows } from '../helpers/granular.ts'

interface Setup {
  spotify: FakeSpotify
  t: TestApp
  clock: { now: number }
}

let current: Setup | undefined

afterEach(async () => {
  await current?.t.close()
  await current?.spotify.close()
  current = undefined
})

/** The real app and the Spotify fake; `artists` artists with one track and one album each, every track played. */
async function setup (artists: number, env: Record<string, string> = {}): Promise<Setup> {
  const spotify = await createFakeSpotify()
  const catalog = seedCatalog(spotify, { artists })
  const clock = { now: Date.parse('2026-11-01T00:00:00Z') }
  const t = await buildTestApp({ ...spotifyEnv(spotify.url), SPOTIFY_BATCH_ENDPOINTS: 'off', ...env }, { now: () => new Date(clock.now) })
  current = { spotify, t, clock }
  const entries = catalog.trackIds.map((id, i) => exportEntry({
    ts: new Date(Date.parse('2025-01-01T00:00:00Z') + i * 300_000).toISOString().replace('.000', ''),
    ms_played: 200_000,
    spotify_track_uri: `spotify:track:${id}`,
  }))
  const imported = await request(t.app.server).post('/v1/ingest/streaming-history').set('content-type', 'application/json')
    .set('authorization', `Bearer ${env.TRACKLAKE_API_TOKEN ?? ''}`).send(JSON.stringify(entries))
  expect(imported.status).toBe(200)
  return current
}

/**
 * Every catalog request the fake answers moves the app's clock on by `ms`: the time box ends after a known amount of
 * upstream work instead of racing a real timer. (A fault matcher that never matches is the fake's per-request hook.)
 */
function advanceClockPerCatalogCall (s: Setup, ms: number): void {
  s.spotify.server.fault((r) => {
    if (/^\/v1\/(tracks|artists|albums)\//.test(r.path)) s.clock.now += ms
    return false
  }, { kind: 'delay', ms: 0 }, Number.POSITIVE_INFINITY)
}

const statuses = (body: { steps: Array<{ step: string, status: string }> }) => Object.fromEntries(body.steps.map((s) => [s.step, s.status]))

describe('POST /v1/daily', () => {
  it('runs the whole chain in-process; a stage without its credential is not configured, never a failure; the next call starts a new run', async () => {
    const s = await setup(6)
    const first = await request(s.t.app.server).post('/v1/daily').send({})
    expect(first.status).toBe(200)
    expect(first.body).toMatchObject({ done: true, remaining: 0, status: 'complete', current: null })
    expect(statuses(first.body)).toEqual({
      'spotify-tracks': 'done',
      'spotify-artists': 'done',
      'spotify-albums': 'done',
      'musicbrainz-discover': 'not_configured',
      'musicbrainz-artists': 'not_configured',
      'musicbrainz-parse': 'not_configured',
      'musicbrainz-hierarchy': 'not_configured',
      'geography-base': 'nothing_to_do',
      'geography-cities': 'nothing_to_do',
      'musicbrainz-update-mbids': 'nothing_to_do',
      'warehouse-build': 'done',
      'raw-retention': 'nothing_to_do',
    })
    expect(first.body.steps[1]).toMatchObject({ title: 'Spotify artists', processed: 6, total: 6, upstreamCalls: 6, failedBatches: 0 })
    expect(await tableRows(s.t.app, 'spotify_artists')).toHaveLength(6)
    expect(await tableRows(s.t.app, 'spotify_albums')).toHaveLength(6)

    // Each stage's own routes did the work: their run records are there beside the daily's.
    const runs = (await request(s.t.app.server).get('/v1/runs?limit=100')).body.runs.map((r: { step: string }) => r.step)
    expect(runs).toEqual(expect.arrayContaining(['daily', 'spotify.artists.plan', 'spotify.artists.fetch', 'spotify.artists.write', 'raw.retention']))

    const catalogCalls = s.spotify.catalogCalls()
    const second = await request(s.t.app.server).post('/v1/daily').send({})
    expect(second.body.runId).not.toBe(first.body.runId)
    expect(statuses(second.body)).toMatchObject({ 'spotify-tracks': 'nothing_to_do', 'spotify-artists': 'nothing_to_do', 'spotify-albums': 'nothing_to_do' })
    expect(s.spotify.catalogCalls()).toBe(catalogCalls)

    const latest = await request(s.t.app.server).get('/v1/daily')
    expect(latest.body.run).toMatchObject({ runId: second.body.runId, done: true })
  })

  it('is time-boxed: answers done: false and continues where it stopped, in the middle of a plan, until the chain is through', async () => {
    const s = await setup(60)
    advanceClockPerCatalogCall(s, 100_000)
    const answers = []
    // 50 catalog calls (the first tracks batch) take 5,000 s of the clock: past a 1,000 s time box.
    for (let i = 0; i < 20; i++) {
      const answer = await request(s.t.app.server).post('/v1/daily').send({ maxSeconds: 540 })
      expect(answer.status).toBe(200)
      answers.push(answer.body)
      if (answer.body.done) break
    }
    expect(answers[0]).toMatchObject({ done: false, processed: 0, current: { step: 'spotify-tracks', processed: 50, total: 60 } })
    expect(statuses(answers[0])).toMatchObject({ 'spotify-tracks': 'running', 'spotify-artists': 'pending' })
    expect(answers[1]).toMatchObject({ done: false, processed: 1, runId: answers[0].runId })
    expect(answers[1].steps[0]).toMatchObject({ status: 'done', processed: 60, total: 60, failedBatches: 0 })
    const last = answers.at(-1)!
    expect(last).toMatchObject({ done: true, runId: answers[0].runId })
    expect(statuses(last)).toMatchObject({ 'spotify-tracks': 'done', 'spotify-artists': 'done', 'spotify-albums': 'done', 'raw-retention': 'nothing_to_do' })
    // Nothing was fetched twice across the calls.
    expect(s.spotify.catalogCalls('tracks')).toBe(60)
    expect(s.spotify.catalogCalls('artists')).toBe(60)
    expect(s.spotify.catalogCalls('albums')).toBe(60)
    const kept = JSON.parse(await fs.readFile(path.join(s.t.dataDir, 'state', 'daily-run.json'), 'utf8'))
    expect(kept).toMatchObject({ runId: answers[0].runId, cursor: null, stepIndex: 12 })
  }, 120_000)

  it('a stage that fails does not stop the chain, and says why', async () => {
    const s = await setup(3)
    s.spotify.options.clientSecret = 'rotated-elsewhere'
    const answer = await request(s.t.app.server).post('/v1/daily').send({})
    expect(answer.body.done).toBe(true)
    expect(answer.body.steps[0]).toMatchObject({ status: 'failed', failedBatches: 1 })
    expect(answer.body.steps[0].message).toContain('UPSTREAM_AUTH_FAILED')
    expect(statuses(answer.body)).toMatchObject({ 'spotify-artists': 'nothing_to_do', 'raw-retention': 'nothing_to_do' })
  })

  it('one run at a time: a second call meanwhile waits for the first', async () => {
    const s = await setup(2)
    const [a, b] = await Promise.all([
      request(s.t.app.server).post('/v1/daily').send({}),
      request(s.t.app.server).post('/v1/daily').send({}),
    ])
    expect(a.body.done && b.body.done).toBe(true)
    expect(a.body.runId).not.toBe(b.body.runId)
    // One did the work; the other started once it was through and found nothing left to do.
    const tracks = [a.body, b.body].map((body) => statuses(body)['spotify-tracks']).sort()
    expect(tracks).toEqual(['done', 'nothing_to_do'])
    expect(s.spotify.catalogCalls('tracks')).toBe(2)
  })

  it('calls the stages with the bearer token when one is set', async () => {
    const s = await setup(2, { TRACKLAKE_API_TOKEN: 'secret-token' })
    expect((await request(s.t.app.server).post('/v1/daily').send({})).status).toBe(401)
    const answer = await request(s.t.app.server).post('/v1/daily').set('authorization', 'Bearer secret-token').send({})
    expect(statuses(answer.body)).toMatchObject({ 'spotify-tracks': 'done', 'spotify-artists': 'done' })
  })
})
