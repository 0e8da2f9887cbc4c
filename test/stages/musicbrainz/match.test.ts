import { describe, expect, it } from 'vitest'
import {
  confirmNameMatch, linkedArtistsBySpotifyId, matchByIsrc, matchByUrlRelation, missReason, nameCandidate, variousArtistsMbid,
  type SpotifyArtist,
} from '../../../src/stages/musicbrainz/match.ts'
import { parseArtistSearch, parseRecordingSearch, parseUrlAnswer, type RecordingHit } from '../../../src/stages/musicbrainz/parse.ts'

const lena: SpotifyArtist = { id: 'spotifyLena', name: 'Lena Marlow', isrcs: ['QZLM12400001'], titles: ['Night Drive'] }
const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`

function credit (artistId: string, name: string, joinphrase?: string, as?: string): Record<string, unknown> {
  return { name: as ?? name, ...(joinphrase ? { joinphrase } : {}), artist: { id: artistId, name, 'sort-name': name } }
}

function recordings (...hits: Array<{ id: string, isrcs: string[], credits: Array<Record<string, unknown>> }>): RecordingHit[] {
  return parseRecordingSearch({
    created: '2026-01-01T00:00:00.000Z',
    count: hits.length,
    offset: 0,
    recordings: hits.map((h) => ({ id: h.id, score: 100, title: 't', 'artist-credit': h.credits, isrcs: h.isrcs.map((i) => ({ id: i })) })),
  }).hits
}

describe('step (a): Spotify URL relations', () => {
  const answer = {
    'url-count': 2,
    'url-offset': 0,
    urls: [
      { id: id(90), resource: 'https://open.spotify.com/artist/2dd5mrQZvg6SmahdgVKDzh', relations: [{ type: 'free streaming', direction: 'backward', 'target-type': 'artist', ended: false, artist: { id: id(1), name: 'PSY', 'sort-name': 'PSY' } }] },
      { id: id(91), resource: 'https://open.spotify.com/artist/0OdUWJ0sBjDrqHygGUXeCF', relations: [{ type: 'free streaming', direction: 'backward', 'target-type': 'artist', ended: false, artist: { id: id(2), name: 'Band of Horses', 'sort-name': 'Band of Horses' } }] },
    ],
  }

  it('maps the list shape back by resource, whatever its order', () => {
    const linked = linkedArtistsBySpotifyId(parseUrlAnswer(answer))
    const psy = matchByUrlRelation({ id: '2dd5mrQZvg6SmahdgVKDzh', name: 'PSY', isrcs: [] }, linked.get('2dd5mrQZvg6SmahdgVKDzh'))
    expect(psy).toEqual({ matched: true, match: expect.objectContaining({ mbid: id(1), method: 'url-relation', confidence: 1 }) })
    const horses = matchByUrlRelation({ id: '0OdUWJ0sBjDrqHygGUXeCF', name: 'Band Of Horses', isrcs: [] }, linked.get('0OdUWJ0sBjDrqHygGUXeCF'))
    expect(horses.matched && horses.match.mbid).toBe(id(2))
  })

  it('reads the single-resource shape (a plain url object) the same way', () => {
    const linked = linkedArtistsBySpotifyId(parseUrlAnswer(answer.urls[0]))
    expect([...linked.keys()]).toEqual(['2dd5mrQZvg6SmahdgVKDzh'])
  })

  it('trusts a curated link under another name a little less', () => {
    const result = matchByUrlRelation({ id: 'x', name: 'Psy (싸이)', isrcs: [] }, [{ id: id(1), name: 'PSY', sortName: 'PSY', relation: 'free streaming', ended: false }])
    expect(result.matched && result.match.confidence).toBe(0.9)
  })

  it('says so when there is no relation, and refuses a URL linked to several artists none of them named alike', () => {
    expect(matchByUrlRelation(lena, undefined)).toEqual({ matched: false, note: 'no Spotify URL relation' })
    const two = [
      { id: id(1), name: 'A', sortName: null, relation: 'free streaming', ended: false },
      { id: id(2), name: 'B', sortName: null, relation: 'free streaming', ended: false },
    ]
    expect(matchByUrlRelation(lena, two)).toEqual({ matched: false, note: 'Spotify URL linked to 2 MusicBrainz artists (A, B), none named Lena Marlow' })
    const one = matchByUrlRelation(lena, [...two, { id: id(3), name: 'Lena Marlow', sortName: null, relation: 'free streaming', ended: false }])
    expect(one.matched && one.match.mbid).toBe(id(3))
  })

  it('ignores ended relations and Various Artists', () => {
    const result = matchByUrlRelation(lena, [
      { id: id(1), name: 'Lena Marlow', sortName: null, relation: 'free streaming', ended: true },
      { id: variousArtistsMbid, name: 'Various Artists', sortName: null, relation: 'free streaming', ended: false },
    ])
    expect(result).toEqual({ matched: false, note: 'Spotify URL relation only to Lena Marlow, Various Artists (ended or special-purpose)' })
  })
})

describe('step (b): credits of the recordings carrying the played ISRCs', () => {
  it('chooses the credited artist named like the Spotify artist, not the first credit', () => {
    const hits = recordings({ id: id(10), isrcs: ['QZLM12400001'], credits: [credit(id(1), 'DJ Orbit', ' feat. '), credit(id(2), 'Lena Marlow')] })
    const result = matchByIsrc(lena, hits)
    expect(result).toEqual({ matched: true, match: { spotifyId: 'spotifyLena', mbid: id(2), method: 'isrc', confidence: 0.78, mbName: 'Lena Marlow', evidence: '1 of 1 played ISRCs credit Lena Marlow' } })
  })

  it('compares ISRCs upper-cased and names normalised', () => {
    const hits = recordings({ id: id(10), isrcs: ['QZZR12400001'], credits: [credit(id(5), 'Zoë Rénard')] })
    const result = matchByIsrc({ id: 's', name: 'ZOE RENARD', isrcs: ['qzzr12400001'] }, hits)
    expect(result.matched && result.match.mbid).toBe(id(5))
  })

  it('accepts the credited name or an alias as the name', () => {
    const hits = recordings({ id: id(10), isrcs: ['QZLM12400001'], credits: [credit(id(2), 'Helena Marlowe', undefined, 'Lena Marlow')] })
    expect(matchByIsrc(lena, hits).matched).toBe(true)
  })

  it('never matches Various Artists, even named so on Spotify', () => {
    const hits = recordings({ id: id(10), isrcs: ['QZKB12400001'], credits: [credit(variousArtistsMbid, 'Various Artists')] })
    expect(matchByIsrc({ id: 's', name: 'Kai Brandt', isrcs: ['QZKB12400001'] }, hits)).toEqual({ matched: false, note: '1 ISRC searched, 1 recording found, credits named Various Artists, none named Kai Brandt' })
    expect(matchByIsrc({ id: 's', name: 'Various Artists', isrcs: ['QZKB12400001'] }, hits)).toEqual({ matched: false, note: 'a "Various Artists" credit is never matched' })
  })

  it('prefers the same-name artist on more ISRCs, with less confidence than an uncontested match', () => {
    const hits = recordings(
      { id: id(10), isrcs: ['QZJH12400001'], credits: [credit(id(1), 'Juno Hale')] },
      { id: id(11), isrcs: ['QZJH12400002'], credits: [credit(id(1), 'Juno Hale')] },
      { id: id(12), isrcs: ['QZJH12400003'], credits: [credit(id(2), 'Juno Hale')] }
    )
    const result = matchByIsrc({ id: 's', name: 'Juno Hale', isrcs: ['QZJH12400001', 'QZJH12400002', 'QZJH12400003'] }, hits)
    expect(result).toEqual({ matched: true, match: expect.objectContaining({ mbid: id(1), confidence: 0.58 }) })
  })

  it('refuses a tie between same-name artists', () => {
    const hits = recordings(
      { id: id(10), isrcs: ['QZMK12400001'], credits: [credit(id(1), 'Marek')] },
      { id: id(11), isrcs: ['QZMK12400002'], credits: [credit(id(2), 'Marek')] }
    )
    const result = matchByIsrc({ id: 's', name: 'Marek', isrcs: ['QZMK12400001', 'QZMK12400002'] }, hits)
    expect(result.matched).toBe(false)
    expect(!result.matched && result.note).toContain('ambiguous: Marek (00000000-0000-4000-8000-000000000001), Marek (00000000-0000-4000-8000-000000000002)')
  })

  it('rises in confidence with the number of supporting ISRCs, up to 0.95', () => {
    const isrcs = ['QZAA10000001', 'QZAA10000002', 'QZAA10000003', 'QZAA10000004']
    const hits = recordings(...isrcs.map((isrc, i) => ({ id: id(20 + i), isrcs: [isrc], credits: [credit(id(1), 'Ann')] })))
    const confidence = (n: number): number | false => {
      const r = matchByIsrc({ id: 's', name: 'Ann', isrcs: isrcs.slice(0, n) }, hits)
      return r.matched && r.match.confidence
    }
    expect([1, 2, 3, 4].map(confidence)).toEqual([0.78, 0.87, 0.95, 0.95])
  })

  it('reads only the recordings of this artist\'s ISRCs from a batch, and says what it saw', () => {
    const hits = recordings({ id: id(10), isrcs: ['QZXX12400001'], credits: [credit(id(1), 'Lena Marlow')] })
    expect(matchByIsrc(lena, hits)).toEqual({ matched: false, note: '1 ISRC searched, none on a MusicBrainz recording' })
    expect(matchByIsrc({ ...lena, isrcs: ['nope', ''] }, hits)).toEqual({ matched: false, note: 'no valid ISRC among the played tracks' })
  })
})

describe('step (c): strict name search', () => {
  const search = (...hits: Array<{ id: string, name: string, aliases?: string[] }>) => parseArtistSearch({
    count: hits.length,
    offset: 0,
    artists: hits.map((h) => ({ id: h.id, score: 100, name: h.name, 'sort-name': h.name, aliases: (h.aliases ?? []).map((name) => ({ name, 'sort-name': name })) })),
  }).hits
  const soren: SpotifyArtist = { id: 's', name: 'Søren Vik', isrcs: [], titles: ['Fjord Lines'] }

  it('takes the only hit named alike, confirmed by a recording of a played title', () => {
    const found = nameCandidate(soren, search({ id: id(1), name: 'Soren Vik' }, { id: id(2), name: 'Søren Vikander' }))
    expect(found).toEqual({ candidate: { mbid: id(1), name: 'Soren Vik', viaAlias: false } })
    if (!('candidate' in found)) throw new Error('no candidate')
    expect(confirmNameMatch(soren, found.candidate, { count: 1, titles: ['Fjord Lines'] })).toEqual({
      matched: true,
      match: { spotifyId: 's', mbid: id(1), method: 'name', confidence: 0.7, mbName: 'Soren Vik', evidence: 'only artist named Søren Vik, with a recording titled like a played track' },
    })
    expect(confirmNameMatch(soren, found.candidate, { count: 3, titles: [] })).toMatchObject({ matched: true, match: { confidence: 0.5 } })
  })

  it('matches an alias, with less confidence', () => {
    const found = nameCandidate(soren, search({ id: id(1), name: 'Søren Vik Andersen', aliases: ['Soren Vik'] }))
    expect(found).toEqual({ candidate: { mbid: id(1), name: 'Søren Vik Andersen', viaAlias: true } })
    if ('candidate' in found) expect(confirmNameMatch(soren, found.candidate, { count: 1, titles: ['Fjord Lines'] })).toMatchObject({ match: { confidence: 0.6 } })
  })

  it('refuses namesakes, non-matching hits, no hits, and a candidate without the played recordings', () => {
    expect(nameCandidate({ ...soren, name: 'Echo Park' }, search({ id: id(1), name: 'Echo Park' }, { id: id(2), name: 'Echo Park' }))).toEqual({ note: 'name search: 2 artists named Echo Park; not guessing' })
    expect(nameCandidate(soren, search({ id: id(1), name: 'Vik' }))).toEqual({ note: 'name search: 1 hit (Vik), none named Søren Vik' })
    expect(nameCandidate(soren, [])).toEqual({ note: 'name search: 0 hits' })
    expect(confirmNameMatch(soren, { mbid: id(1), name: 'Søren Vik', viaAlias: false }, { count: 0, titles: ['Fjord Lines'] })).toEqual({
      matched: false,
      note: `name search: 1 artist named Søren Vik (Søren Vik, ${id(1)}), but none of its recordings is titled like the 1 played track checked`,
    })
    expect(nameCandidate({ ...soren, name: 'Various Artists' }, search({ id: variousArtistsMbid, name: 'Various Artists' }))).toEqual({ note: 'a "Various Artists" credit is never matched' })
  })
})

it('joins what each step tried into the miss reason', () => {
  expect(missReason(['no Spotify URL relation', '3 ISRCs searched, none on a MusicBrainz recording', 'name search: 0 hits']))
    .toBe('no Spotify URL relation; 3 ISRCs searched, none on a MusicBrainz recording; name search: 0 hits')
})
