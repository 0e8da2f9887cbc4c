import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import { createFakeSpotify, seedCatalog, type FakeSpotify } from '../fakes/fake-spotify.ts'
import { buildTestApp, spotifyEnv, type TestApp } from '../helpers/build-app.ts'
import { exportEntry } from '../helpers/export.ts'

let spotify: FakeSpotify | undefined
let t: TestApp | undefined

afterEach(async () => {
  await t?.close()
  await spotify?.close()
  t = undefined
  spotify = undefined
})

/** The real app with the Spotify fake and `artists` artists' tracks imported from an export; MusicBrainz not configured. */
async function setup (artists: number): Promise<TestApp> {
  spotify = await createFakeSpotify()
  const catalog = seedCatalog(spotify, { artists })
  t = await buildTestApp({ ...spotifyEnv(spotify.url), SPOTIFY_BATCH_ENDPOINTS: 'off' })
  const entries = catalog.trackIds.map((id, i) => exportEntry({
    ts: new Date(Date.parse('2025-01-01T00:00:00Z') + i * 300_000).toISOString().replace('.000', ''),
    ms_played: 200_000,
    spotify_track_uri: `spotify:track:${id}`,
  }))
  expect((await request(t.app.server).post('/v1/ingest/streaming-history').set('content-type', 'application/json').send(JSON.stringify(entries))).status).toBe(200)
  return t
}

const fields = (stage: Record<string, unknown>) => {
  const { step, status, processed, total, upstreamCalls, failedBatches, message } = stage
  return { step, status, processed, total, upstreamCalls, failedBatches, message }
}

/** Runs the chain in-process (POST /v1/daily), then asks the run records what happened since it started. */
async function dailyAndSummary (app: TestApp['app']) {
  const since = new Date().toISOString()
  const daily = await request(app.server).post('/v1/daily').send({})
  expect(daily.body.done).toBe(true)
  const summary = await request(app.server).get('/v1/runs/summary').query({ since })
  expect(summary.status).toBe(200)
  return { daily: daily.body, summary: summary.body }
}

describe('GET /v1/runs/summary', () => {
  it('tells how each stage went exactly as the in-process Daily ETL saw it, from the run records alone', async () => {
    const app = (await setup(4)).app
    const first = await dailyAndSummary(app)
    expect(first.summary.stages.map(fields)).toEqual(first.daily.steps.map(fields))
    expect(first.summary.stages.find((s: { step: string }) => s.step === 'musicbrainz-artists')).toMatchObject({
      status: 'not_configured',
      message: expect.stringMatching(/^NOT_CONFIGURED: .*MUSICBRAINZ_CONTACT/),
    })
    expect(first.summary.counts).toMatchObject({ not_configured: 4, failed: 0, not_run: 0 })
    expect(first.summary.complete).toBe(true)

    // The second run has nothing to do; the window of the first is still told apart.
    const second = await dailyAndSummary(app)
    expect(second.summary.stages.map(fields)).toEqual(second.daily.steps.map(fields))
    expect(second.summary.stages[0]).toMatchObject({ step: 'spotify-tracks', status: 'nothing_to_do', calls: 1 })
    const whole = await request(app.server).get('/v1/runs/summary').query({ since: first.summary.since })
    expect(whole.body.stages[0]).toMatchObject({ status: 'done', calls: 4 })
  })

  it('reports a failed stage with the code and message of the failure, as the in-process run does', async () => {
    const app = (await setup(3)).app
    spotify!.options.clientSecret = 'rotated-elsewhere'
    const { daily, summary } = await dailyAndSummary(app)
    expect(summary.stages.map(fields)).toEqual(daily.steps.map(fields))
    expect(summary.stages[0]).toMatchObject({ status: 'failed', failedBatches: 1, message: expect.stringContaining('UPSTREAM_AUTH_FAILED') })
  })

  it('says not_run for stages none of whose calls arrived in the window', async () => {
    const app = (await setup(1)).app
    const answer = await request(app.server).get('/v1/runs/summary').query({ since: new Date().toISOString() })
    expect(answer.body.counts.not_run).toBe(12)
    expect(answer.body.headline).toBe('12 stages: 12 not run')
    expect((await request(app.server).get('/v1/runs/summary').query({ since: 'yesterday' })).status).toBe(400)
  })
})
