import { afterEach, describe, expect, it } from 'vitest'
import {
  createFakeMusicBrainz, forbiddenBody, musicbrainzFixtures, notFoundBody, parseLucene, rateLimitBody, seedLinkedArtists, type FakeMusicBrainz,
} from '../../fakes/fake-musicbrainz.ts'
import { testSend } from './transport.ts'

// The fake itself: its answers must be the documented ones, or every test built on it proves nothing.

let fake: FakeMusicBrainz
afterEach(async () => { await fake?.close() })

const get = (path: string, params: Record<string, string> | URLSearchParams, agent?: string) =>
  testSend(fake.url, { agent })({ path, searchParams: params instanceof URLSearchParams ? params : new URLSearchParams({ fmt: 'json', ...params }) })

describe('fake MusicBrainz', () => {
  it('answers 503 with the real body to a client faster than the rate, per User-Agent, on an injected clock', async () => {
    let clock = 0
    fake = await createFakeMusicBrainz({ ratePerSec: 1, now: () => clock })
    const ask = (agent = 'tracklake/0.1.0 ( a@b.invalid )') => get('/ws/2/genre/all', { fmt: 'txt' }, agent)
    expect((await ask()).status).toBe(200)
    clock = 100
    const tooFast = await ask()
    expect(tooFast).toMatchObject({ status: 503, json: rateLimitBody })
    expect((await ask('other-app/2.0 ( c@d.invalid )')).status).toBe(200)
    clock = 1_000
    expect((await ask()).status).toBe(200)
    clock = 1_400
    expect((await ask()).status).toBe(503)
    // Half an interval of jitter is tolerated; the long-run rate is not.
    clock = 1_600
    expect((await ask()).status).toBe(200)
    clock = 2_100
    expect((await ask()).status).toBe(503)
    expect(fake.served503).toBe(3)
    expect(fake.calls('genre')).toBe(7)
    fake.setRate(20)
    clock = 2_700
    expect((await ask()).status).toBe(200)
    clock = 2_750
    expect((await ask()).status).toBe(200)
  })

  it('answers 403 to a request without a meaningful User-Agent', async () => {
    fake = await createFakeMusicBrainz({ ratePerSec: Infinity })
    for (const agent of ['Java/1.8.0', 'python-requests/2.31', 'got (https://github.com/sindresorhus/got)', 'tracklake']) {
      expect(await get('/ws/2/genre/all', { fmt: 'txt' }, agent)).toMatchObject({ status: 403, json: forbiddenBody })
    }
    expect(fake.forbidden).toBe(4)
  })

  it('serves a 503 storm, counted', async () => {
    fake = await createFakeMusicBrainz({ ratePerSec: Infinity })
    fake.storm(2, '/ws/2/area')
    expect((await get('/ws/2/genre/all', { fmt: 'txt' })).status).toBe(200)
    expect((await get('/ws/2/area/x', {})).status).toBe(503)
    expect((await get('/ws/2/area/x', {})).status).toBe(503)
    expect(await get('/ws/2/area/x', {})).toMatchObject({ status: 404, json: notFoundBody })
    expect(fake.served503).toBe(2)
  })

  it('url: several resources → a list sorted by url id; one → the object or 404; past 100 dropped silently', async () => {
    fake = await createFakeMusicBrainz({ ratePerSec: Infinity })
    const linked = seedLinkedArtists(fake, 120)
    const params = (n: number, extra: string[] = []) => {
      const p = new URLSearchParams({ inc: 'artist-rels', fmt: 'json' })
      for (const a of linked.slice(0, n)) p.append('resource', `https://open.spotify.com/artist/${a.spotifyId}`)
      for (const r of extra) p.append('resource', r)
      return p
    }
    const list = (await get('/ws/2/url', params(3, ['https://open.spotify.com/artist/unknownunknownunknown1']))).json as any
    expect(list['url-count']).toBe(3)
    expect(list['url-offset']).toBe(0)
    expect(list.urls.map((u: any) => u.id)).toEqual([...list.urls.map((u: any) => u.id)].sort())
    expect(list.urls[0].relations[0]).toMatchObject({ type: 'free streaming', direction: 'backward', 'target-type': 'artist', artist: { id: expect.any(String), name: expect.any(String) } })
    const one = await get('/ws/2/url', params(1))
    expect(one.json).toMatchObject({ id: expect.any(String), resource: `https://open.spotify.com/artist/${linked[0]!.spotifyId}`, relations: [expect.anything()] })
    expect(await get('/ws/2/url', { resource: 'https://open.spotify.com/artist/unknownunknownunknown1' })).toMatchObject({ status: 404, json: notFoundBody })
    const many = (await get('/ws/2/url', params(120))).json as any
    expect(many['url-count']).toBe(100)
    const noRels = (await get('/ws/2/url', new URLSearchParams([['resource', `https://open.spotify.com/artist/${linked[0]!.spotifyId}`], ['fmt', 'json']]))).json as any
    expect(noRels.relations).toBeUndefined()
  })

  it('search: Lucene subset, case-insensitive ISRCs, limit 1–100 else 25, paging by offset', async () => {
    fake = await createFakeMusicBrainz({ ratePerSec: Infinity })
    const artist = fake.addArtist({ name: 'Ann' })
    for (let i = 0; i < 30; i++) fake.addRecording({ title: `Song ${i}`, isrcs: ['QZAA10000001'], credits: [artist] })
    fake.addRecording({ title: 'Other', isrcs: ['QZAA10000002'], credits: [artist] })
    const search = async (params: Record<string, string>) => (await get('/ws/2/recording', params)).json as any
    const page = await search({ query: 'isrc:qzaa10000001 OR isrc:QZAA10000002', limit: '500' })
    expect(page).toMatchObject({ count: 31, offset: 0, created: expect.any(String) })
    expect(page.recordings).toHaveLength(25)
    expect(page.recordings[0]).toMatchObject({ score: 100, isrcs: [{ id: expect.any(String) }], 'artist-credit': [{ name: 'Ann', artist: { id: artist.id, name: 'Ann', 'sort-name': 'Ann' } }] })
    expect((await search({ query: 'isrc:QZAA10000001', limit: '10', offset: '25' })).recordings).toHaveLength(5)
    expect((await search({ query: `arid:${artist.id} AND (recording:"other" OR recording:"none")`, limit: '1' })).count).toBe(1)
    expect((await search({ query: `arid:${artist.id} AND NOT recording:other` })).count).toBe(30)
    expect(await get('/ws/2/recording', { query: 'isrc:(' })).toMatchObject({ status: 400, json: { error: expect.stringContaining('cannot parse') } })
    expect(parseLucene('artist:"Søren \\"V\\"" OR alias:x AND -type:Group')).toEqual({
      kind: 'or',
      nodes: [
        { kind: 'term', field: 'artist', value: 'Søren "V"' },
        { kind: 'and', nodes: [{ kind: 'term', field: 'alias', value: 'x' }, { kind: 'not', node: { kind: 'term', field: 'type', value: 'Group' } }] },
      ],
    })
  })

  it('artist search hits carry tags, lower-case gender and typed areas; name phrases ignore accents', async () => {
    fake = await createFakeMusicBrainz({ ratePerSec: Infinity })
    const city = fake.addArea({ name: 'Leipzig', type: 'City' })
    fake.addArtist({ name: 'Zoë Rénard', gender: 'Female', area: city, tags: { pop: 2 }, aliases: ['Zoe R'] })
    const hits = ((await get('/ws/2/artist', { query: 'artist:"zoe renard"' })).json as any).artists
    expect(hits).toEqual([expect.objectContaining({ name: 'Zoë Rénard', gender: 'female', area: expect.objectContaining({ type: 'City', name: 'Leipzig' }), tags: [{ count: 2, name: 'pop' }], 'life-span': { ended: null } })])
    expect(hits[0].genres).toBeUndefined()
    expect(((await get('/ws/2/artist', { query: 'alias:"zoe r"' })).json as any).count).toBe(1)
  })

  it('serves the fixture files for their exact URLs', async () => {
    fake = await createFakeMusicBrainz({ ratePerSec: Infinity })
    expect((await get('/ws/2/area/10cb2ebd-1bc7-4c11-b10d-54f60c421d20', { inc: 'area-rels' })).json).toEqual(musicbrainzFixtures.areaLookupAreaRels)
    expect((await get('/ws/2/recording', { query: 'Burn the Witch' })).json).toEqual(musicbrainzFixtures.recordingSearch)
    expect((await get('/ws/2/isrc/USSUB0200002', { inc: 'isrcs' })).json).toEqual(musicbrainzFixtures.isrcLookup)
    expect((await get('/ws/2/artist/f99b7d67-4e63-4678-aa66-4c6ac0f7d24a', { inc: 'aliases' })).json).toEqual(musicbrainzFixtures.artistLookupAliases)
  })

  it('area lookups: backward "part of" to parents (ended ones marked), forward to children; 404 when unknown', async () => {
    fake = await createFakeMusicBrainz({ ratePerSec: Infinity })
    const country = fake.addArea({ name: 'Germany', type: 'Country', iso1: ['DE'] })
    const old = fake.addArea({ name: 'East Germany', type: 'Country', iso1: ['XG'] })
    const state = fake.addArea({ name: 'Saxony', type: 'Subdivision', iso2: ['DE-SN'], parent: country })
    const city = fake.addArea({ name: 'Leipzig', type: 'City', parents: [{ area: old, ended: true, end: '1990-10-03' }, { area: state }] })
    const body = (await get(`/ws/2/area/${state.id}`, { inc: 'area-rels' })).json as any
    expect(body).toMatchObject({ id: state.id, type: 'Subdivision', 'iso-3166-2-codes': ['DE-SN'], 'type-id': 'fd3d44c5-80a1-3842-9745-2c4972d35afa' })
    expect(body.relations).toEqual([
      expect.objectContaining({ type: 'part of', direction: 'backward', ended: false, area: expect.objectContaining({ id: country.id, type: 'Country', 'iso-3166-1-codes': ['DE'] }) }),
      expect.objectContaining({ type: 'part of', direction: 'forward', area: expect.objectContaining({ id: city.id }) }),
    ])
    const leipzig = (await get(`/ws/2/area/${city.id}`, { inc: 'area-rels' })).json as any
    expect(leipzig.relations.map((r: any) => [r.area.name, r.ended, r.end])).toEqual([['East Germany', true, '1990-10-03'], ['Saxony', false, null]])
    expect((await get(`/ws/2/area/${city.id}`, {})).json).not.toHaveProperty('relations')
    expect((await get('/ws/2/area/00000000-0000-4000-8000-000000000000', { inc: 'area-rels' })).status).toBe(404)
  })

  it('genre/all: fmt=txt the whole list by name, fmt=json pages (25 by default, 100 at most)', async () => {
    fake = await createFakeMusicBrainz({ ratePerSec: Infinity, genres: Array.from({ length: 130 }, (_, i) => `genre ${String(i).padStart(3, '0')}`) })
    const txt = await get('/ws/2/genre/all', { fmt: 'txt' })
    expect(txt.text.split('\n')).toHaveLength(130)
    const first = (await get('/ws/2/genre/all', {})).json as any
    expect(first).toMatchObject({ 'genre-count': 130, 'genre-offset': 0 })
    expect(first.genres).toHaveLength(25)
    expect(first.genres[0]).toEqual({ id: expect.any(String), name: 'genre 000', disambiguation: '' })
    expect(((await get('/ws/2/genre/all', { limit: '500', offset: '20' })).json as any).genres).toHaveLength(100)
  })

  it('answers XML when neither fmt=json nor an Accept header asks for JSON', async () => {
    fake = await createFakeMusicBrainz({ ratePerSec: Infinity })
    const xml = await get('/ws/2/genre/all', new URLSearchParams({ fmt: 'xml' }))
    expect(xml.json).toBeUndefined()
    expect(xml.text).toContain('<metadata')
  })
})
