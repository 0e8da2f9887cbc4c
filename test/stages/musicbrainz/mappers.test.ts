import { describe, expect, it } from 'vitest'
import {
  areaRow, artistGenreRows, artistInfoRow, hierarchyRow, parentOf, walkAreaChain,
} from '../../../src/stages/musicbrainz/mappers.ts'
import type { AreaRow } from '../../../src/stages/musicbrainz/tables.ts'
import { musicbrainzFixtures } from '../../fakes/fake-musicbrainz.ts'

const at = '2026-11-01T00:00:00.000Z'

describe('mbz_artist_info', () => {
  it('maps an artist lookup (PSY): areas by id and name, partial dates as given, legacy keys not needed', () => {
    expect(artistInfoRow(musicbrainzFixtures.artistLookupAliases, '2dd5mrQZvg6SmahdgVKDzh', at)).toEqual({
      id: 'f99b7d67-4e63-4678-aa66-4c6ac0f7d24a',
      spotify_id: '2dd5mrQZvg6SmahdgVKDzh',
      name: 'PSY',
      sort_name: 'PSY',
      type: 'Person',
      gender: 'Male',
      country: 'KR',
      disambiguation: 'South Korean singer and rapper',
      area_id: 'b9f7d640-46e8-313e-b158-ded6d18593b3',
      area_name: 'South Korea',
      begin_area_id: '1070aa79-4a93-4a56-8290-7a68c44172a1',
      begin_area_name: 'Gangnam District',
      end_area_id: null,
      end_area_name: null,
      life_span_begin: '1977-12-31',
      life_span_end: null,
      life_span_ended: false,
      tags: [],
      fetched_at: at,
    })
  })

  it('maps a group whose area is a city (country null) and reads the legacy begin_area when alone', () => {
    const { 'begin-area': _hyphenated, ...legacyOnly } = musicbrainzFixtures.artistLookupCityArea
    const row = artistInfoRow(legacyOnly, null, at)
    expect(row).toMatchObject({ name: 'Lures', type: 'Group', gender: null, country: null, area_name: 'Seattle', begin_area_name: 'Seattle', life_span_begin: '2013', disambiguation: 'Seattle trio' })
  })

  it('maps a search hit: lower-case gender capitalised, `ended: null` is false, an end date means ended, tags by count', () => {
    const hit = {
      id: 'a1',
      type: 'Person',
      score: 100,
      'gender-id': 'x',
      name: 'Ann',
      'sort-name': 'Ann',
      gender: 'female',
      area: { id: 'c1', type: 'City', name: 'Leipzig', 'sort-name': 'Leipzig', 'life-span': { ended: null } },
      'end-area': { id: 'c2', type: 'City', name: 'Munich', 'sort-name': 'Munich', 'life-span': { ended: null } },
      'life-span': { begin: '1950', end: '2020-04', ended: null },
      tags: [{ count: 1, name: 'seen live' }, { count: 4, name: 'Jazz' }, { count: '2', name: 'soul' }, { count: -1, name: 'pop' }],
    }
    expect(artistInfoRow(hit, 'sp', at)).toMatchObject({
      gender: 'Female',
      area_id: 'c1',
      end_area_name: 'Munich',
      begin_area_id: null,
      life_span_end: '2020-04',
      life_span_ended: true,
      disambiguation: null,
      tags: [{ name: 'Jazz', count: 4 }, { name: 'soul', count: 2 }, { name: 'seen live', count: 1 }, { name: 'pop', count: -1 }],
    })
    expect(artistInfoRow({ ...hit, 'life-span': { begin: '1950', ended: null } }, 'sp', at)?.life_span_ended).toBe(false)
    expect(artistInfoRow({ name: 'no id' }, null, at)).toBeUndefined()
  })
})

describe('mbz_artist_genre', () => {
  it('keeps the tags that are genres, case-insensitively, named as the genre list spells them, count > 0', () => {
    const artist = { id: 'a1', tags: [{ count: 10, name: 'K-Pop' }, { count: 3, name: 'korean' }, { count: 2, name: 'pop' }, { count: 0, name: 'dance-pop' }, { count: 1, name: 'seen live' }] }
    expect(artistGenreRows(artist, ['k-pop', 'pop', 'dance-pop', 'rock'])).toEqual([
      { artist_mbid: 'a1', genre: 'k-pop', count: 10 },
      { artist_mbid: 'a1', genre: 'pop', count: 2 },
    ])
  })

  it('also reads genres from a lookup with inc=genres, once per genre', () => {
    const artist = { id: 'a1', tags: [{ count: 2, name: 'rock' }], genres: [{ id: 'g', name: 'rock', count: 5, disambiguation: '' }] }
    expect(artistGenreRows(artist, ['rock'])).toEqual([{ artist_mbid: 'a1', genre: 'rock', count: 5 }])
    expect(artistGenreRows({ tags: [] }, ['rock'])).toEqual([])
  })
})

describe('mbz_areas', () => {
  it('maps the Wisconsin lookup: type, ISO 3166-2, parent = the backward "part of" target (not the child counties)', () => {
    expect(areaRow(musicbrainzFixtures.areaLookupAreaRels, at)).toEqual({
      id: '10cb2ebd-1bc7-4c11-b10d-54f60c421d20',
      type: 'Subdivision',
      name: 'Wisconsin',
      sort_name: 'Wisconsin',
      iso_3166_1: [],
      iso_3166_2: ['US-WI'],
      parent_id: '489ce91b-6658-3307-9877-795b68554c98',
      fetched_at: at,
    })
  })

  const rel = (id: string, type: string, extra: Record<string, unknown> = {}) => ({ type: 'part of', direction: 'backward', ended: false, end: null, area: { id, type, name: id }, ...extra })

  it('prefers a current parent over an ended one, and uses an ended one only when there is no other', () => {
    expect(parentOf({ relations: [rel('east-germany', 'Country', { ended: true, end: '1990-10-03' }), rel('saxony', 'Subdivision')] })).toBe('saxony')
    expect(parentOf({ relations: [rel('east-germany', 'Country', { ended: true })] })).toBe('east-germany')
    expect(parentOf({ relations: [{ ...rel('child', 'City'), direction: 'forward' }] })).toBeNull()
  })

  it('among current parents prefers the nearest level (the county leads to the state too)', () => {
    expect(parentOf({ relations: [rel('state', 'Subdivision'), rel('county', 'County')] })).toBe('county')
  })
})

describe('mbz_area_hierarchy', () => {
  const area = (id: string, type: string | null, parent: string | null, codes: { iso1?: string[], iso2?: string[] } = {}): AreaRow =>
    ({ id, type, name: id.replace(/-/g, ' '), sort_name: null, iso_3166_1: codes.iso1 ?? [], iso_3166_2: codes.iso2 ?? [], parent_id: parent, fetched_at: at })
  const world = new Map<string, AreaRow>([
    area('united-states', 'Country', null, { iso1: ['US'] }),
    area('wisconsin', 'Subdivision', 'united-states', { iso2: ['US-WI'] }),
    area('milwaukee-county', 'County', 'wisconsin'),
    area('milwaukee', 'City', 'milwaukee-county'),
    area('germany', 'Country', null, { iso1: ['DE'] }),
    area('bavaria', 'Subdivision', 'germany', { iso2: ['DE-BY'] }),
    area('upper-bavaria', 'Subdivision', 'bavaria'),
    area('munich', 'City', 'upper-bavaria'),
    area('schwabing', 'District', 'munich'),
    area('united-kingdom', 'Country', null, { iso1: ['GB'] }),
    area('scotland', 'Subdivision', 'united-kingdom', { iso2: ['GB-SCT'] }),
    area('skye', 'Island', 'scotland'),
    area('portree', 'City', 'skye'),
    area('loop-a', 'City', 'loop-b'),
    area('loop-b', 'City', 'loop-a'),
  ].map((a) => [a.id, a]))
  const get = (id: string) => world.get(id)
  const walk = (id: string) => {
    const chain = walkAreaChain(id, get)
    if (!chain.complete) throw new Error(`incomplete at ${chain.missingId}`)
    return hierarchyRow(chain.chain)!
  }

  it('flattens city → county → subdivision → country', () => {
    expect(walk('milwaukee')).toEqual({
      area_id: 'milwaukee',
      area_type: 'City',
      area_name: 'milwaukee',
      path: [
        { id: 'milwaukee', type: 'City', name: 'milwaukee', iso_3166_1: [], iso_3166_2: [] },
        { id: 'milwaukee-county', type: 'County', name: 'milwaukee county', iso_3166_1: [], iso_3166_2: [] },
        { id: 'wisconsin', type: 'Subdivision', name: 'wisconsin', iso_3166_1: [], iso_3166_2: ['US-WI'] },
        { id: 'united-states', type: 'Country', name: 'united states', iso_3166_1: ['US'], iso_3166_2: [] },
      ],
      city: 'milwaukee',
      municipality: null,
      district: null,
      county: 'milwaukee county',
      subdivision: 'wisconsin',
      subdivision_code: 'US-WI',
      country: 'united states',
      country_code: 'US',
      island: null,
      // Left to the geography stage.
      continent: null,
      continent_code: null,
      state_code: null,
      params: null,
      geo_at: null,
    })
  })

  it('keeps two ancestors of one type in the path; the nearest wins the flat column, the code comes from the nearest that has one', () => {
    const row = walk('schwabing')
    expect(row.path!.map((p) => p.id)).toEqual(['schwabing', 'munich', 'upper-bavaria', 'bavaria', 'germany'])
    expect(row).toMatchObject({ district: 'schwabing', city: 'munich', subdivision: 'upper bavaria', subdivision_code: 'DE-BY', country_code: 'DE' })
  })

  it('fills the island column', () => {
    expect(walk('portree')).toMatchObject({ city: 'portree', island: 'skye', subdivision: 'scotland', subdivision_code: 'GB-SCT', country_code: 'GB' })
  })

  it('a country is its own whole chain', () => {
    expect(walk('germany')).toMatchObject({ area_type: 'Country', country: 'germany', country_code: 'DE', path: [expect.objectContaining({ id: 'germany' })] })
  })

  it('names the first unknown ancestor instead of building a half row', () => {
    expect(walkAreaChain('milwaukee', (id) => (id === 'wisconsin' ? undefined : get(id)))).toEqual({
      complete: false, chain: [world.get('milwaukee'), world.get('milwaukee-county')], missingId: 'wisconsin',
    })
  })

  it('stops at a loop or at an area without a parent', () => {
    expect(walkAreaChain('loop-a', get)).toMatchObject({ complete: true, chain: [{ id: 'loop-a' }, { id: 'loop-b' }] })
    expect(walk('loop-a').country).toBeNull()
    expect(hierarchyRow([])).toBeUndefined()
  })
})
