import fs from 'node:fs/promises'
import path from 'node:path'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFakeMusicBrainz, seedLinkedArtists, seedTraps, type FakeMusicBrainz, type TrapCase } from '../../fakes/fake-musicbrainz.ts'
import { runStep, tableRows, type StepRun } from '../../helpers/granular.ts'
import { appWithPlays, musicbrainzEnv, playsOf } from './world.ts'

type Row = Record<string, any>

describe('MusicBrainz artist matching through the routes: every trap', () => {
  let fake: FakeMusicBrainz
  let cases: Record<string, TrapCase>
  let t: Awaited<ReturnType<typeof appWithPlays>>
  let run: StepRun
  let matches: Map<string, Row>
  let failures: Map<string, Row>
  let callsAfterRun: number

  beforeAll(async () => {
    fake = await createFakeMusicBrainz({ ratePerSec: Infinity })
    ;({ cases } = seedTraps(fake))
    // The most played artist is planned first: PSY, then the others by id.
    t = await appWithPlays(playsOf(Object.values(cases).map((c) => c.spotify), { extraPlays: (s) => (s.name === 'PSY' ? 5 : 0) }), musicbrainzEnv(fake.url))
    run = await runStep(t.app, '/v1/musicbrainz/artists')
    callsAfterRun = fake.calls()
    matches = new Map((await tableRows(t.app, 'mbz_artist_match')).map((r) => [r.spotify_id, r]))
    failures = new Map((await tableRows(t.app, 'enrichment_failures')).filter((f) => f.stage === 'musicbrainz').map((f) => [f.entity_id, f]))
  })
  afterAll(async () => {
    await t.close()
    await fs.rm(t.dir, { recursive: true, force: true })
    await fake.close()
  })

  it('plans every played artist, most played first, in one batch of 100', async () => {
    expect(run.total).toBe(Object.keys(cases).length)
    expect(run.batches).toBe(1)
    expect(run.fetched[0]!.status).toBe('complete')
  })

  const keys = ['linked', 'linkedCity', 'collaboration', 'compilation', 'sharedIsrc', 'lowercaseIsrc', 'accented', 'theName', 'ampersand', 'isrcMajority', 'nameOnly']
  for (const key of keys) {
    it(`matches ${key} right`, () => {
      const c = cases[key]!
      const row = matches.get(c.spotify.id)
      expect(row, `${key}: ${c.what}`).toMatchObject({ mbid: c.mbid, method: c.method, spotify_name: c.spotify.name })
      expect(row!.confidence).toBeGreaterThan(0.4)
      expect(row!.evidence.length).toBeGreaterThan(0)
      expect(failures.has(c.spotify.id)).toBe(false)
    })
  }

  const misses: Array<[string, RegExp]> = [
    ['variousOnly', /none named Kai Brandt/],
    ['variousArtists', /Various Artists/],
    ['otherArtistIsrc', /credits named Tomas Greer, none named Pell Harrow/],
    ['isrcTie', /ambiguous/],
    ['unknown', /none on a MusicBrainz recording.*name search: 0 hits/],
    ['namesakes', /2 artists named Echo Park; not guessing/],
    ['nameNoRecording', /none of its recordings is titled like/],
  ]
  for (const [key, reason] of misses) {
    it(`leaves ${key} unmatched, with a reason saying what was tried`, () => {
      const c = cases[key]!
      expect(matches.has(c.spotify.id), `${key}: ${c.what}`).toBe(false)
      const failure = failures.get(c.spotify.id)
      expect(failure, key).toBeDefined()
      expect(failure!.reason).toMatch(reason)
      expect(failure!.attempts).toBe(1)
    })
  }

  it('says in the miss which steps were tried', () => {
    expect(failures.get(cases.unknown!.spotify.id)!.reason).toMatch(/^no Spotify URL relation; 1 ISRC searched, none on a MusicBrainz recording; name search: 0 hits$/)
    // "Various Artists" is refused without a call.
    expect(failures.get(cases.variousArtists!.spotify.id)!.reason).toBe('a "Various Artists" credit is never matched')
  })

  it('fills mbz_artist_info and mbz_artist_genre from the details (the write parses them)', async () => {
    const info = new Map((await tableRows(t.app, 'mbz_artist_info')).map((r) => [r.id, r]))
    expect(info.size).toBe(keys.length)
    const psy = info.get(cases.linked!.mbid!)
    expect(psy).toMatchObject({
      spotify_id: cases.linked!.spotify.id,
      name: 'PSY',
      type: 'Person',
      gender: 'Male',
      country: 'KR',
      area_name: 'South Korea',
      begin_area_name: 'Gangnam District',
      life_span_begin: '1977-12-31',
      life_span_ended: false,
    })
    expect(psy!.tags[0]).toEqual({ name: 'k-pop', count: 10 })
    expect(info.get(cases.linkedCity!.mbid!)).toMatchObject({ country: null, area_name: 'Seattle' })
    const genres = (await tableRows(t.app, 'mbz_artist_genre')).filter((g) => g.artist_mbid === psy!.id)
    // Tags that are genres, with votes above 0: "korean" and "seen live" are not genres, "dance-pop" has 0 votes.
    expect(genres.map((g) => [g.genre, g.count])).toEqual([['k-pop', 10], ['pop', 4]])
  })

  it('makes one URL call for the batch, one ISRC search, one details call and fetches the genre list once', () => {
    expect(fake.calls('url')).toBe(1)
    expect(fake.calls('genre')).toBe(1)
    // ISRC search and name-step recording checks share the endpoint: one search for the batch plus one check per name candidate.
    expect(fake.calls('artist')).toBeGreaterThanOrEqual(1)
    expect(run.fetched[0]!.records.length).toBe(keys.length)
  })

  it('lands the raw answers under raw/musicbrainz/', async () => {
    const dir = path.join(t.dir, 'raw', 'musicbrainz')
    expect((await fs.readdir(dir)).sort()).toEqual(['artists', 'genres', 'recording', 'search', 'url'])
    expect(await fs.readdir(path.join(dir, 'artists'))).toHaveLength(1)
  })

  it('a second run plans nothing and calls MusicBrainz for nothing', async () => {
    const again = await runStep(t.app, '/v1/musicbrainz/artists')
    expect(again.total).toBe(0)
    expect(fake.calls()).toBe(callsAfterRun)
    const discover = await request(t.app.server).post('/v1/musicbrainz/discover').send({})
    expect(discover.body).toMatchObject({ done: true, new: 0, played: Object.keys(cases).length, matched: keys.length, waiting: misses.length, sample: [] })
  })
})

describe('MusicBrainz artist matching, one artist a batch', () => {
  it('reads the one-resource answer shape (a plain url object, or 404 when MusicBrainz has no such URL)', async () => {
    const fake = await createFakeMusicBrainz({ ratePerSec: Infinity })
    const [linked] = seedLinkedArtists(fake, 1)
    const sides = [{ id: linked!.spotifyId, name: linked!.name, isrcs: [], titles: ['Song'] }, { id: 'NobodyKnowsThisArtist1', name: 'Nobody Knows', isrcs: [], titles: ['Song'] }]
    const t = await appWithPlays(playsOf(sides), musicbrainzEnv(fake.url))
    try {
      const run = await runStep(t.app, '/v1/musicbrainz/artists', { batchSize: 1 })
      expect(run.batches).toBe(2)
      const urlCalls = fake.server.requests.filter((r) => r.path === '/ws/2/url')
      expect(urlCalls.map((r) => r.query.getAll('resource').length)).toEqual([1, 1])
      expect(await tableRows(t.app, 'mbz_artist_match')).toMatchObject([{ spotify_id: linked!.spotifyId, mbid: linked!.mbid, method: 'url-relation' }])
      const [miss] = await tableRows(t.app, 'enrichment_failures')
      expect(miss).toMatchObject({ entity_id: 'NobodyKnowsThisArtist1' })
      expect(miss!.reason).toMatch(/^no Spotify URL relation; no valid ISRC among the played tracks; name search: 0 hits$/)
    } finally {
      await t.close()
      await fs.rm(t.dir, { recursive: true, force: true })
      await fake.close()
    }
  })
})

describe('MusicBrainz artist matching past 100 artists', () => {
  it.each([
    [undefined, 2, [100, 50]],
    // One batch of 150 asks for 75 + 75 URLs: never more than the 100 MusicBrainz reads.
    [150, 1, [75, 75]],
  ])('with batchSize %s: %s batch(es), URL calls of %j resources, every artist matched', async (batchSize, batches, resources) => {
    const fake = await createFakeMusicBrainz({ ratePerSec: Infinity })
    const linked = seedLinkedArtists(fake, 150)
    const t = await appWithPlays(playsOf(linked.map((a) => ({ id: a.spotifyId, name: a.name, isrcs: [], titles: ['Song'] }))), musicbrainzEnv(fake.url))
    try {
      const discover = await request(t.app.server).post('/v1/musicbrainz/discover').send({})
      expect(discover.body).toMatchObject({ done: true, new: 150, newPlays: 150 })
      expect(discover.body.sample).toHaveLength(10)
      const run = await runStep(t.app, '/v1/musicbrainz/artists', batchSize ? { batchSize } : {})
      expect(run.batches).toBe(batches)
      expect(fake.server.requests.filter((r) => r.path === '/ws/2/url').map((r) => r.query.getAll('resource').length)).toEqual(resources)
      const rows = await tableRows(t.app, 'mbz_artist_match')
      expect(rows).toHaveLength(150)
      expect(rows.every((r) => r.method === 'url-relation' && r.confidence === 1)).toBe(true)
      expect(await tableRows(t.app, 'mbz_artist_info')).toHaveLength(150)
      // Two URL calls, the details of each batch (two arid searches of 75 for the batch of 150) and the genre list once.
      expect(fake.calls()).toBe(5)
    } finally {
      await t.close()
      await fs.rm(t.dir, { recursive: true, force: true })
      await fake.close()
    }
  })
})
