import request from 'supertest'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createFakeListenBrainz, type FakeListenBrainz, type Listen } from '../../fakes/fake-listenbrainz.ts'
import { buildTestApp, type TestApp } from '../../helpers/build-app.ts'

const start = Date.parse('2026-01-01T00:00:00Z') / 1000

function listens (count: number, from = start): Listen[] {
  return Array.from({ length: count }, (_, i) => ({
    listened_at: from + i * 200,
    recording_msid: `msid-${from + i}`,
    track_metadata: {
      artist_name: `Band ${i % 40}`,
      track_name: `Tune ${i}`,
      release_name: `Record ${i % 12}`,
      additional_info: { submission_client: 'navidrome', duration_ms: 200_000 },
      mbid_mapping: { recording_mbid: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`, artist_mbids: ['11111111-1111-1111-1111-111111111111'] },
    },
  }))
}

describe('POST /v1/ingest/listenbrainz', () => {
  let lb: FakeListenBrainz
  let t: TestApp

  beforeEach(async () => {
    lb = await createFakeListenBrainz({ token: 'lb-token-123' })
    t = await buildTestApp({ LISTENBRAINZ_URL: lb.url, LISTENBRAINZ_USER: lb.user, LISTENBRAINZ_TOKEN: 'lb-token-123' })
  })

  afterEach(async () => {
    await t.close()
    await lb.close()
  })

  const ingest = () => request(t.app.server).post('/v1/ingest/listenbrainz')

  it('pages to the end, and the cursor only moves forward', async () => {
    lb.listens.push(...listens(2500))
    const first = await ingest()
    expect(first.status).toBe(200)
    expect(first.body).toMatchObject({ status: 'complete', inserted: 2500, cursor: new Date((start + 2499 * 200) * 1000).toISOString() })
    expect(first.body.pages).toBe(3)
    // Paging back in time: each page asks for listens older than the previous one's oldest.
    const maxTs = lb.server.requests.map((r) => r.query.get('max_ts'))
    expect(maxTs[0]).toBeNull()
    expect(Number(maxTs[1])).toBeGreaterThan(Number(maxTs[2]))

    lb.server.reset()
    const second = await ingest()
    expect(second.body).toMatchObject({ inserted: 0, cursor: first.body.cursor })
    // Nothing new: one page reaches the newest stored listen.
    expect(lb.server.count()).toBe(1)

    lb.listens.push(...listens(5, start + 2500 * 200))
    const third = await ingest()
    expect(third.body).toMatchObject({ inserted: 5 })
    const rows = (await request(t.app.server).get('/v1/tables/tracks_played?limit=1')).body
    expect(rows.total).toBe(2505)
    expect(rows.rows[0]).toMatchObject({ source: 'listenbrainz', recording_mbid: expect.stringMatching(/^0{8}/), artist_mbids: ['11111111-1111-1111-1111-111111111111'], duration_ms: 200_000 })
  })

  it('keeps listens that share a second across a page boundary', async () => {
    const crowded = listens(1000)
    crowded.push({ ...crowded[999]!, track_metadata: { ...crowded[999]!.track_metadata, track_name: 'Same Second' } })
    lb.listens.push(...crowded)
    const res = await ingest()
    expect(res.body.inserted).toBe(1001)
  })

  it('answers 503 naming LISTENBRAINZ_USER when it is not set, and 502 for a wrong token', async () => {
    await t.close()
    t = await buildTestApp({ LISTENBRAINZ_URL: lb.url })
    const res = await ingest()
    expect(res.status).toBe(503)
    expect(res.body.message).toContain('LISTENBRAINZ_USER')
    await t.close()
    t = await buildTestApp({ LISTENBRAINZ_URL: lb.url, LISTENBRAINZ_USER: lb.user, LISTENBRAINZ_TOKEN: 'wrong' })
    const wrong = await ingest()
    expect(wrong.status).toBe(502)
    expect(wrong.body.message).toContain('LISTENBRAINZ_TOKEN')
  })

  it('stores nothing and keeps the cursor on a long rate limit half way, then catches up', async () => {
    lb.listens.push(...listens(10))
    await ingest()
    lb.listens.push(...listens(1500, start + 10_000))
    lb.server.fault((r) => r.query.has('max_ts'), { kind: 'status', status: 429, headers: { 'x-ratelimit-reset-in': '120' } })
    const res = await ingest()
    expect(res.body).toMatchObject({ status: 'rate_limited', retryAfterSeconds: 120, inserted: 0, cursor: new Date((start + 9 * 200) * 1000).toISOString() })
    const resumed = await ingest()
    expect(resumed.body).toMatchObject({ status: 'complete', inserted: 1500 })
  })

  it('waits out a short rate limit', async () => {
    lb.listens.push(...listens(3))
    lb.server.fault('/listens', { kind: 'status', status: 429, headers: { 'x-ratelimit-reset-in': '2' } })
    expect((await ingest()).body).toMatchObject({ status: 'complete', inserted: 3 })
  })

  it('accepts a base URL that already ends in /1', async () => {
    await t.close()
    t = await buildTestApp({ LISTENBRAINZ_URL: `${lb.url}/1`, LISTENBRAINZ_USER: lb.user, LISTENBRAINZ_TOKEN: 'lb-token-123' })
    lb.listens.push(...listens(3))
    expect((await ingest()).body.inserted).toBe(3)
  })
})
