import fs from 'node:fs/promises'
import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import { version } from '../../../src/version.ts'
import { createFakeMusicBrainz, seedLinkedArtists, type FakeMusicBrainz } from '../../fakes/fake-musicbrainz.ts'
import { runStep, tableRows } from '../../helpers/granular.ts'
import { appWithPlays, contact, manualClock, musicbrainzEnv, playsOf } from './world.ts'

let fake: FakeMusicBrainz
let t: Awaited<ReturnType<typeof appWithPlays>> | undefined

afterEach(async () => {
  await t?.close()
  if (t) await fs.rm(t.dir, { recursive: true, force: true })
  t = undefined
  await fake.close()
})

async function linkedWorld (count: number, env: (url: string) => Record<string, string>, clock = manualClock()) {
  fake = await createFakeMusicBrainz({ ratePerSec: Infinity })
  const linked = seedLinkedArtists(fake, count)
  t = await appWithPlays(playsOf(linked.map((a) => ({ id: a.spotifyId, name: a.name, isrcs: [], titles: ['Song'] }))), env(fake.url), { now: clock.now, sleep: clock.sleep })
  return { linked, clock, app: t.app }
}

describe('the MusicBrainz transport', () => {
  it('sends tracklake/<version> ( <MUSICBRAINZ_CONTACT> ) as User-Agent', async () => {
    const { app } = await linkedWorld(2, (url) => musicbrainzEnv(url))
    await runStep(app, '/v1/musicbrainz/artists')
    expect(fake.forbidden).toBe(0)
    expect(new Set(fake.server.requests.map((r) => r.headers['user-agent']))).toEqual(new Set([`tracklake/${version} ( ${contact} )`]))
  })

  it('waits out a short 503 storm and retries the same call: the batch completes, nothing is a miss', async () => {
    const { app, linked } = await linkedWorld(3, (url) => musicbrainzEnv(url))
    // 2 + 4 + 8 + 16 s of slowing down fit the 60 s a call may wait.
    fake.storm(4, '/ws/2/url')
    const run = await runStep(app, '/v1/musicbrainz/artists')
    expect(run.fetched.map((f) => f.status)).toEqual(['complete'])
    expect(fake.served503).toBe(4)
    expect(fake.calls('url')).toBe(5)
    expect((await tableRows(app, 'mbz_artist_match')).map((r) => r.mbid).sort()).toEqual(linked.map((a) => a.mbid).sort())
    expect(await tableRows(app, 'enrichment_failures')).toEqual([])
  })

  it('answers rate_limited after a longer storm, records no miss, and the next plan takes the artists again', async () => {
    const { app, clock } = await linkedWorld(3, (url) => musicbrainzEnv(url))
    fake.storm(5, '/ws/2/url')
    const run = await runStep(app, '/v1/musicbrainz/artists')
    expect(run.stoppedBy).toBe('rate_limited')
    expect(run.fetched[0]).toMatchObject({ status: 'rate_limited', records: [], failures: [] })
    expect(run.fetched[0]!.retryAfterSeconds).toBeGreaterThan(0)
    expect(await tableRows(app, 'enrichment_failures')).toEqual([])
    expect(await tableRows(app, 'mbz_artist_match')).toEqual([])

    // While MusicBrainz's pause lasts, a fetch answers rate_limited without calling.
    const calls = fake.calls()
    const early = await runStep(app, '/v1/musicbrainz/artists')
    expect(early.total).toBe(3)
    expect(early.stoppedBy).toBe('rate_limited')
    expect(fake.calls()).toBe(calls)

    clock.advance(60_000)
    const later = await runStep(app, '/v1/musicbrainz/artists')
    expect(later.fetched.map((f) => f.status)).toEqual(['complete'])
    expect(await tableRows(app, 'mbz_artist_match')).toHaveLength(3)
  })

  it('without MUSICBRAINZ_CONTACT every MusicBrainz route answers 503 NOT_CONFIGURED naming it, and nothing is called', async () => {
    const { app } = await linkedWorld(2, (url) => ({ MUSICBRAINZ_URL: url }))
    const routes: Array<[string, object]> = [
      ['/v1/musicbrainz/discover', {}],
      ['/v1/musicbrainz/artists/plan', {}],
      ['/v1/musicbrainz/artists/fetch', { planId: 'x', offset: 0 }],
      ['/v1/musicbrainz/artists/write', { records: [] }],
      ['/v1/musicbrainz/artists/failures', { failures: [] }],
      ['/v1/musicbrainz/parse', {}],
      ['/v1/musicbrainz/areas/hierarchy', { maxSeconds: 5 }],
    ]
    for (const [url, body] of routes) {
      const answer = await request(app.server).post(url).send(body)
      expect(answer.status, url).toBe(503)
      expect(answer.body, url).toMatchObject({ code: 'NOT_CONFIGURED', retryable: false, details: [{ field: 'MUSICBRAINZ_CONTACT', problem: 'is not set' }] })
      expect(answer.body.message, url).toMatch(/MUSICBRAINZ_CONTACT/)
    }
    expect(fake.calls()).toBe(0)
  })
})
