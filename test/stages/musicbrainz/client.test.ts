import { afterEach, describe, expect, it } from 'vitest'
import { AppError } from '../../../src/errors.ts'
import { createMusicBrainzClient, MusicBrainzRejected, MusicBrainzUnavailable, type MusicBrainzClient } from '../../../src/stages/musicbrainz/client.ts'
import { createFakeMusicBrainz, seedLinkedArtists, seedPlaces, type FakeMusicBrainz } from '../../fakes/fake-musicbrainz.ts'
import { testSend } from './transport.ts'

let fake: FakeMusicBrainz
let client: MusicBrainzClient
afterEach(async () => { await fake?.close() })

async function start (options: { agent?: string, timeoutMs?: number } = {}): Promise<void> {
  fake = await createFakeMusicBrainz({ ratePerSec: Infinity })
  client = createMusicBrainzClient({ send: testSend(fake.url, options) })
}

describe('MusicBrainz client', () => {
  it('urlRelations: 101 artists in two calls (51 + 50), mapped back by resource; the unlinked named', async () => {
    await start()
    const linked = seedLinkedArtists(fake, 100)
    const ids = [...linked.map((a) => a.spotifyId), 'unlinkedunlinkedunlink']
    const answer = await client.urlRelations(ids)
    expect(answer.calls).toBe(2)
    expect(answer.raw.map((r) => [r.endpoint, r.status, (r.body as any)['url-count']])).toEqual([['url', 200, 51], ['url', 200, 49]])
    expect(answer.result.unlinked).toEqual(['unlinkedunlinkedunlink'])
    expect(answer.result.linked.size).toBe(100)
    for (const a of linked) expect(answer.result.linked.get(a.spotifyId)).toEqual([{ id: a.mbid, name: a.name, sortName: a.name, relation: 'free streaming', ended: false }])
    const sent = fake.server.requests.filter((r) => r.path === '/ws/2/url')
    expect(sent.map((r) => r.query.getAll('resource').length)).toEqual([51, 50])
    expect(sent.every((r) => r.query.get('inc') === 'artist-rels' && r.query.get('fmt') === 'json')).toBe(true)
  })

  it('urlRelations: one artist is one resource: the plain object when linked, 404 (a result) when not', async () => {
    await start()
    const [a] = seedLinkedArtists(fake, 1)
    expect((await client.urlRelations([a!.spotifyId])).result.linked.get(a!.spotifyId)?.[0]?.id).toBe(a!.mbid)
    const unknown = await client.urlRelations(['unlinkedunlinkedunlink'])
    expect(unknown.result).toEqual({ linked: new Map(), unlinked: ['unlinkedunlinkedunlink'] })
    expect(unknown.raw[0]).toMatchObject({ status: 404, body: { error: 'Not Found' } })
  })

  it('searchRecordingsByIsrc: 40 ISRCs per call, follows offset while count > seen, maps hits by ISRC', async () => {
    await start()
    const artist = fake.addArtist({ name: 'Ann' })
    for (let i = 0; i < 230; i++) fake.addRecording({ title: `Cover ${i}`, isrcs: ['QZAA10000001'], credits: [artist] })
    const isrcs = Array.from({ length: 50 }, (_, i) => `qzaa1${String(i + 1).padStart(7, '0')}`)
    fake.addRecording({ title: 'Other', isrcs: ['QZAA10000050'], credits: [artist] })
    const answer = await client.searchRecordingsByIsrc(isrcs)
    // 50 ISRCs → 25 + 25; the first query's 230 recordings need 3 pages.
    expect(answer.calls).toBe(4)
    expect(answer.result.searched).toHaveLength(50)
    expect(answer.result.recordings).toHaveLength(231)
    expect(answer.result.byIsrc.get('QZAA10000001')).toHaveLength(230)
    expect(answer.result.byIsrc.get('QZAA10000050')?.map((r) => r.title)).toEqual(['Other'])
    expect(answer.result.truncated).toEqual([])
    const offsets = fake.server.requests.filter((r) => r.path === '/ws/2/recording').map((r) => [r.query.get('offset'), r.query.get('limit')])
    expect(offsets).toEqual([['0', '100'], ['100', '100'], ['200', '100'], ['0', '100']])
    const capped = await client.searchRecordingsByIsrc(['QZAA10000001'], { maxPages: 2 })
    expect(capped.calls).toBe(2)
    expect(capped.result.truncated).toEqual(['isrc:QZAA10000001'])
  })

  it('artistsByMbid: 100 per call, hits mapped back by id, merged or deleted ones named missing', async () => {
    await start()
    const artists = seedLinkedArtists(fake, 150)
    const gone = '00000000-0000-4000-8000-000000000000'
    const answer = await client.artistsByMbid([...artists.map((a) => a.mbid), gone])
    expect(answer.calls).toBe(2)
    expect(answer.result.found.size).toBe(150)
    expect(answer.result.found.get(artists[7]!.mbid)).toMatchObject({ id: artists[7]!.mbid, name: artists[7]!.name, score: 100 })
    expect(answer.result.missing).toEqual([gone])
  })

  it('area: the lookup with area-rels, or an unknown-area result for a 404', async () => {
    await start()
    const places = seedPlaces(fake)
    const known = await client.area(places.wisconsin.id)
    expect(known.result).toMatchObject({ kind: 'area', id: places.wisconsin.id, area: { name: 'Wisconsin', 'iso-3166-2-codes': ['US-WI'] } })
    expect(fake.server.requests.at(-1)?.query.get('inc')).toBe('area-rels')
    const gone = await client.area('00000000-0000-4000-8000-000000000000')
    expect(gone).toMatchObject({ result: { kind: 'unknown-area', id: '00000000-0000-4000-8000-000000000000' }, calls: 1, raw: [{ status: 404 }] })
  })

  it('genres: the whole list in one call (fmt=txt)', async () => {
    await start()
    const answer = await client.genres()
    expect(answer.calls).toBe(1)
    expect(answer.result).toEqual(fake.genres)
    expect(answer.raw[0]).toMatchObject({ endpoint: 'genre', body: expect.stringContaining('k-pop\n') })
  })

  it('searchArtists and countRecordings: one page, one call', async () => {
    await start()
    const ann = fake.addArtist({ name: 'Ann Arbor', aliases: ['A.A.'] })
    fake.addRecording({ title: 'Song', credits: [ann] })
    const hits = await client.searchArtists('artist:"ann arbor"')
    expect(hits.result).toMatchObject({ count: 1, hits: [{ id: ann.id, name: 'Ann Arbor', aliases: ['A.A.'] }] })
    expect((await client.countRecordings({ mbid: ann.id }, ['Song - Live'])).result).toEqual({ count: 1, titles: ['Song'] })
    expect((await client.countRecordings({ mbid: ann.id }, ['Other'])).result).toEqual({ count: 0, titles: ['Other'] })
  })
})

describe('MusicBrainz client errors', () => {
  it('a 503 the transport gave up on is MusicBrainzUnavailable, never an empty result', async () => {
    await start()
    fake.storm(1)
    await expect(client.urlRelations(['a'.repeat(22), 'b'.repeat(22)])).rejects.toThrow(MusicBrainzUnavailable)
    fake.server.fault('/ws/2/area', { kind: 'status', status: 502 })
    await expect(client.area('x')).rejects.toMatchObject({ name: 'MusicBrainzUnavailable', status: 502 })
  })

  it('a 200 that is not JSON is MusicBrainzUnavailable', async () => {
    await start()
    fake.server.fault('/ws/2/recording', { kind: 'malformed' })
    await expect(client.searchRecordingsByIsrc(['QZAA10000001'])).rejects.toThrow(/not JSON/)
  })

  it('a truncated answer or a hang surfaces as the transport\'s error', async () => {
    await start({ timeoutMs: 300 })
    fake.server.fault('/ws/2/artist', { kind: 'truncated' })
    await expect(client.artistsByMbid(['00000000-0000-4000-8000-000000000001'])).rejects.toMatchObject({ code: 'UPSTREAM_FAILED' })
    fake.server.fault('/ws/2/genre', { kind: 'hang' })
    await expect(client.genres()).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT' })
  })

  it('a refused request (403 User-Agent, 400 query) is MusicBrainzRejected', async () => {
    await start({ agent: 'Java/1.8.0' })
    const error = await client.genres().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MusicBrainzRejected)
    expect(error).toBeInstanceOf(AppError)
    expect((error as MusicBrainzRejected).status).toBe(403)
    await fake.close()
    await start()
    await expect(client.searchArtists('artist:(')).rejects.toMatchObject({ name: 'MusicBrainzRejected', status: 400 })
  })
})
