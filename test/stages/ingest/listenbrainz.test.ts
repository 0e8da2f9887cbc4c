import fs from 'node:fs/promises'
import path from 'node:path'
import request from 'supertest'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createFakeListenBrainz, type FakeListenBrainz, type Listen } from '../../fakes/fake-listenbrainz.ts'
import { buildTestApp, type TestApp } from '../../helpers/build-app.ts'
import { exportEntry } from '../../helpers/export.ts'

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

  it('one bad listen never blocks the rest: a lone surrogate is repaired, a listen the lake cannot store is quarantined', async () => {
    const batch = listens(20)
    batch[3]!.track_metadata.track_name = 'half \ud800 pair'
    ;(batch[7]!.track_metadata.additional_info as Record<string, unknown>).duration_ms = 2 ** 40
    lb.listens.push(...batch)
    const res = await ingest()
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ status: 'complete', inserted: 19, quarantined: 1 })
    const rows = (await request(t.app.server).get('/v1/tables/tracks_played?limit=100')).body.rows as Array<{ track_name: string }>
    expect(rows.map((r) => r.track_name)).toContain('half \ufffd pair')
    const [kept] = (await request(t.app.server).get('/v1/tables/quarantine')).body.rows
    expect(kept).toMatchObject({ column_name: 'duration_ms', source: expect.stringContaining('listenbrainz') })
    // The cursor moved past the bad listen: the next call does not stumble on it again.
    expect((await ingest()).body).toMatchObject({ inserted: 0, quarantined: 0 })
  })

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

  it('keeps what it read on a long rate limit half way, and the next call reads on from there', async () => {
    const clock = { now: Date.now() }
    await t.close()
    t = await buildTestApp({ LISTENBRAINZ_URL: lb.url, LISTENBRAINZ_USER: lb.user, LISTENBRAINZ_TOKEN: 'lb-token-123' }, { now: () => new Date(clock.now) })
    lb.listens.push(...listens(10))
    await ingest()
    const before = new Date((start + 9 * 200) * 1000).toISOString()
    lb.listens.push(...listens(1500, start + 10_000))
    // The first page (the newest 1,000) comes through; paging on is refused for two minutes.
    lb.server.fault((r) => r.query.has('max_ts'), { kind: 'status', status: 429, headers: { 'x-ratelimit-reset-in': '120' } })
    const res = await ingest()
    expect(res.body).toMatchObject({ status: 'rate_limited', done: false, retryAfterSeconds: 120, inserted: 1000, cursor: before })
    lb.server.reset()
    // Until the two minutes are over ListenBrainz is not asked again.
    expect((await ingest()).body).toMatchObject({ status: 'rate_limited', inserted: 0 })
    expect(lb.server.count()).toBe(0)
    clock.now += 120_000
    const resumed = await ingest()
    expect(resumed.body).toMatchObject({ status: 'complete', done: true, inserted: 500, cursor: new Date((start + 10_000 + 1499 * 200) * 1000).toISOString() })
    // It resumed below the page already read, then went back to the top once for anything newer.
    expect(Number(lb.server.requests[0]!.query.get('max_ts'))).toBeLessThanOrEqual(start + 10_000 + 500 * 200 + 1)
    expect(lb.server.requests.at(-1)!.query.get('max_ts')).toBeNull()
    expect((await request(t.app.server).get('/v1/tables/tracks_played?limit=1')).body.total).toBe(1510)
  })

  it('reads a long history over several calls within its page budget, losing nothing', async () => {
    await t.close()
    t = await buildTestApp({ LISTENBRAINZ_URL: lb.url, LISTENBRAINZ_USER: lb.user, LISTENBRAINZ_TOKEN: 'lb-token-123' }, { listenBrainzPagesPerCall: 2 })
    lb.listens.push(...listens(4500))
    const first = await ingest()
    // Pages overlap by one second, so two pages hold 1,999 listens.
    expect(first.body).toMatchObject({ status: 'complete', done: false, inserted: 1999, cursor: null, pages: 2 })
    // New listens arrive between calls: the gap is read first, then the top again.
    lb.listens.push(...listens(3, start + 4500 * 200))
    const second = await ingest()
    expect(second.body).toMatchObject({ done: false, cursor: null })
    const third = await ingest()
    expect(third.body).toMatchObject({ done: true, cursor: new Date((start + 4502 * 200) * 1000).toISOString() })
    expect((await request(t.app.server).get('/v1/tables/tracks_played?limit=1')).body.total).toBe(4503)
    lb.server.reset()
    expect((await ingest()).body).toMatchObject({ done: true, inserted: 0 })
    expect(lb.server.count()).toBe(1)
  })

  it('reads everything again when its cursor is lost, or the account changes, instead of trusting the lake', async () => {
    await t.close()
    t = await buildTestApp({ LISTENBRAINZ_URL: lb.url, LISTENBRAINZ_USER: lb.user, LISTENBRAINZ_TOKEN: 'lb-token-123' }, { listenBrainzPagesPerCall: 2 }, t.dataDir)
    lb.listens.push(...listens(4500))
    expect((await ingest()).body).toMatchObject({ done: false, inserted: 1999 })
    // state/ cleared while a gap was pending: the lake's newest listen must not become the cursor.
    await fs.rm(path.join(t.dataDir, 'state', 'cursors'), { recursive: true })
    let calls = 0
    for (let body = (await ingest()).body; !body.done && calls < 10; body = (await ingest()).body) calls++
    expect((await request(t.app.server).get('/v1/tables/tracks_played?limit=1')).body.total).toBe(4500)

    await t.close()
    t = await buildTestApp({ LISTENBRAINZ_URL: lb.url, LISTENBRAINZ_USER: 'someone-else', LISTENBRAINZ_TOKEN: 'lb-token-123' }, {}, t.dataDir)
    lb.user = 'someone-else'
    lb.server.reset()
    const other = await ingest()
    expect(other.body).toMatchObject({ done: true, inserted: 0 })
    expect(other.body.duplicates).toBeGreaterThanOrEqual(4500)
    expect(lb.server.count()).toBeGreaterThan(1)
  })

  it('moves the cursor even when every listen merges into a richer play (weakness W4)', async () => {
    // The same plays, already imported from the Spotify export: each listen merges into the export's row.
    const mirrored = listens(30)
    const entries = mirrored.map((l) => exportEntry({
      ts: new Date((l.listened_at + 200) * 1000).toISOString().replace('.000Z', 'Z'),
      ms_played: 200_000,
      master_metadata_track_name: l.track_metadata.track_name,
      master_metadata_album_artist_name: l.track_metadata.artist_name,
      spotify_track_uri: null,
    }))
    expect((await request(t.app.server).post('/v1/ingest/streaming-history').send(entries)).body.inserted).toBe(30)
    lb.listens.push(...mirrored)
    const first = await ingest()
    expect(first.body).toMatchObject({ inserted: 0, duplicates: 30, cursor: new Date(mirrored.at(-1)!.listened_at * 1000).toISOString() })
    lb.server.reset()
    const second = await ingest()
    expect(second.body).toMatchObject({ fetched: 1, cursor: first.body.cursor })
    expect(lb.server.count()).toBe(1)
  })

  it('waits for the rate-limit window when ListenBrainz says it is used up', async () => {
    const waits: number[] = []
    await t.close()
    t = await buildTestApp({ LISTENBRAINZ_URL: lb.url, LISTENBRAINZ_USER: lb.user, LISTENBRAINZ_TOKEN: 'lb-token-123' }, {
      sleep: async (ms) => {
        waits.push(ms)
        lb.window!.remaining = 30 // the window has reset by the time the wait is over
      },
    })
    lb.listens.push(...listens(2500))
    lb.window = { remaining: 1, resetInSeconds: 7 }
    const res = await ingest()
    expect(res.body).toMatchObject({ status: 'complete', inserted: 2500 })
    expect(waits).toContain(7000)
    // It waited instead of running into the 429 the window would give.
    expect(lb.server.requests.every((r) => r.query.get('count') === '1000')).toBe(true)
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
