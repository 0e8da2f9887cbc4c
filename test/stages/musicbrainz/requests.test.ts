import { describe, expect, it } from 'vitest'
import {
  aridQueries, artistNameQuery, evenChunks, isrcQueries, phrase, recordingCheckQuery, searchableTitle, spotifyArtistUrl,
  spotifyIdFromResource, urlLookupChunks,
} from '../../../src/stages/musicbrainz/requests.ts'

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `${String(i).padStart(22, 'a')}`.slice(-22))

describe('request builders', () => {
  it('chunks evenly: never a chunk of one when it can be avoided', () => {
    expect(evenChunks(ids(101), 100).map((c) => c.length)).toEqual([51, 50])
    expect(evenChunks(ids(200), 100).map((c) => c.length)).toEqual([100, 100])
    expect(evenChunks(ids(201), 100).map((c) => c.length)).toEqual([67, 67, 67])
    expect(evenChunks([], 100)).toEqual([])
  })

  it('asks /ws/2/url for at most 100 distinct Spotify artist URLs per call, with artist-rels', () => {
    const chunks = urlLookupChunks([...ids(150), ...ids(10)])
    expect(chunks.map((c) => c.spotifyIds.length)).toEqual([75, 75])
    const params = chunks[0]!.searchParams
    expect(params.getAll('resource')).toHaveLength(75)
    expect(params.getAll('resource')[0]).toBe(spotifyArtistUrl(ids(1)[0]!))
    expect(params.get('inc')).toBe('artist-rels')
  })

  it('reads a Spotify artist id back from the URL MusicBrainz returns', () => {
    expect(spotifyIdFromResource('https://open.spotify.com/artist/2dd5mrQZvg6SmahdgVKDzh')).toBe('2dd5mrQZvg6SmahdgVKDzh')
    expect(spotifyIdFromResource('http://open.spotify.com/artist/2dd5mrQZvg6SmahdgVKDzh/')).toBe('2dd5mrQZvg6SmahdgVKDzh')
    expect(spotifyIdFromResource('https://open.spotify.com/album/2dd5mrQZvg6SmahdgVKDzh')).toBeNull()
    expect(spotifyIdFromResource('https://www.discogs.com/artist/1')).toBeNull()
  })

  it('builds ISRC queries of valid, upper-cased, distinct ISRCs, 40 per query by default, a few KB long', () => {
    const isrcs = Array.from({ length: 90 }, (_, i) => `qzab1${String(i).padStart(7, '0')}`)
    const queries = isrcQueries([...isrcs, 'not-an-isrc', isrcs[0]!])
    expect(queries.map((q) => q.terms.length)).toEqual([30, 30, 30])
    expect(queries[0]!.query.startsWith('isrc:QZAB10000000 OR isrc:QZAB10000001')).toBe(true)
    expect(new URLSearchParams({ query: queries[0]!.query }).toString().length).toBeLessThan(2_000)
    expect(isrcQueries(['bad'])).toEqual([])
  })

  it('builds arid queries of 100 MBIDs (about 4.5 KB)', () => {
    const mbids = Array.from({ length: 150 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`)
    const queries = aridQueries([...mbids, 'nonsense'])
    expect(queries.map((q) => q.terms.length)).toEqual([75, 75])
    expect(aridQueries(mbids.slice(0, 100))[0]!.query.length).toBeLessThan(5_000)
    expect(queries[0]!.query).toMatch(/^arid:00000000-0000-4000-8000-000000000000 OR arid:/)
  })

  it('quotes names as Lucene phrases', () => {
    expect(phrase('Say "Hi" \\o/')).toBe('"Say \\"Hi\\" \\\\o/"')
    expect(artistNameQuery(' Søren Vik ')).toBe('artist:"Søren Vik" OR alias:"Søren Vik"')
  })

  it('checks recordings by played titles without Spotify suffixes', () => {
    expect(searchableTitle('Fjord Lines - Remastered 2020')).toBe('Fjord Lines')
    expect(searchableTitle('Night Drive (feat. Lena Marlow) [Live]')).toBe('Night Drive')
    const check = recordingCheckQuery('c8da2e40-bd28-4d4e-813a-bd2f51958ba8', ['A - Live', 'A', 'B (Remix)', '(Intro)', 'C', 'D', 'E', 'F'])
    expect(check.titles).toEqual(['A', 'B', 'C', 'D', 'E'])
    expect(check.query).toBe('arid:c8da2e40-bd28-4d4e-813a-bd2f51958ba8 AND (recording:"A" OR recording:"B" OR recording:"C" OR recording:"D" OR recording:"E")')
    expect(recordingCheckQuery('x', [])).toEqual({ query: 'arid:x', titles: [] })
  })
})
