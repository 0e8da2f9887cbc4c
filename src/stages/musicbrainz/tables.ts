import { column as c, defineTable, required, type RowOf } from '../../lake/table.ts'

const mbid = { pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' }
const spotifyId = { pattern: '^[0-9A-Za-z]{22}$' }
const text = { maxLength: 2000 }

export const matchMethods = ['url-relation', 'isrc', 'name', 'manual'] as const

export const mbzArtistMatch = defineTable({
  name: 'mbz_artist_match',
  description: 'Spotify artist → MusicBrainz artist (MBID), with how it was found and how sure it is. A row with a null mbid, posted by hand, says "this artist has no MBID": it is not planned again.',
  key: ['spotify_id'],
  columns: {
    spotify_id: required(c.varchar('Spotify artist id', spotifyId)),
    spotify_name: c.varchar('the Spotify artist name that was matched', text),
    mbid: c.varchar('MusicBrainz artist id; null when the artist has none', mbid),
    mbz_name: c.varchar('the MusicBrainz artist name', text),
    method: c.oneOf('url-relation (MusicBrainz links the Spotify URL), isrc (credited on a recording of a played ISRC, by name), name (strict name search confirmed by a played title) or manual', [...matchMethods]),
    confidence: c.double('0–1: how sure the match is (README: MusicBrainz matching)', { minimum: 0, maximum: 1 }),
    evidence: c.varchar('what the match rests on, in words', { maxLength: 4000 }),
    matched_at: c.timestamp('when it was matched'),
  },
})

export const mbzArtistInfo = defineTable({
  name: 'mbz_artist_info',
  description: 'MusicBrainz artists: type, gender, country, areas, life span and tags.',
  key: ['id'],
  columns: {
    id: required(c.varchar('MusicBrainz artist id (MBID)', mbid)),
    spotify_id: c.varchar('a Spotify artist matched to it (mbz_artist_match holds every one)', spotifyId),
    name: required(c.varchar('name', { minLength: 1, maxLength: 2000 })),
    sort_name: c.varchar('sort name', text),
    type: c.varchar('Person, Group, Orchestra, Choir, Character or Other', text),
    gender: c.varchar('gender, for persons', text),
    country: c.varchar('ISO 3166-1 code of the artist\'s area when that area is a country', { maxLength: 8 }),
    disambiguation: c.varchar('MusicBrainz disambiguation comment', text),
    area_id: c.varchar('the artist\'s area', mbid),
    area_name: c.varchar('its name', text),
    begin_area_id: c.varchar('where the artist was born or founded', mbid),
    begin_area_name: c.varchar('its name', text),
    end_area_id: c.varchar('where the artist died or dissolved', mbid),
    end_area_name: c.varchar('its name', text),
    life_span_begin: c.varchar('begin date as MusicBrainz gives it: YYYY, YYYY-MM or YYYY-MM-DD', { pattern: '^\\d{4}(-\\d{2}(-\\d{2})?)?$' }),
    life_span_end: c.varchar('end date, likewise', { pattern: '^\\d{4}(-\\d{2}(-\\d{2})?)?$' }),
    life_span_ended: c.boolean('the artist has ended (died, dissolved)'),
    tags: c.structList('folksonomy tags with their vote counts', { name: required(c.varchar('tag', text)), count: c.integer('votes') }),
    fetched_at: c.timestamp('when MusicBrainz returned this'),
  },
})

export const mbzArtistGenre = defineTable({
  name: 'mbz_artist_genre',
  description: 'One row per artist and MusicBrainz genre: the artist\'s tags that are genres (/ws/2/genre/all), with their votes.',
  key: ['artist_mbid', 'genre'],
  columns: {
    artist_mbid: required(c.varchar('MusicBrainz artist id', mbid)),
    genre: required(c.varchar('genre, as MusicBrainz spells it', text)),
    count: c.integer('votes for it'),
  },
})

const codes = (description: string) => c.varcharList(description, { maxLength: 16 })

export const mbzAreas = defineTable({
  name: 'mbz_areas',
  description: 'Every MusicBrainz area looked up, once ever: artists\' areas and their ancestors.',
  key: ['id'],
  columns: {
    id: required(c.varchar('MusicBrainz area id', mbid)),
    type: c.varchar('Country, Subdivision, County, Municipality, City, District or Island', text),
    name: required(c.varchar('name', { minLength: 1, maxLength: 2000 })),
    sort_name: c.varchar('sort name', text),
    iso_3166_1: codes('ISO 3166-1 codes (countries)'),
    iso_3166_2: codes('ISO 3166-2 codes (subdivisions), e.g. US-WA'),
    parent_id: c.varchar('the area it is part of (backward "part of" relation, current ones first)', mbid),
    fetched_at: c.timestamp('when MusicBrainz returned this'),
  },
})

export const mbzAreaHierarchy = defineTable({
  name: 'mbz_area_hierarchy',
  description: 'One row per area an artist is from, begins or ends in: its whole chain up to the country, and flat columns. The geography stage adds continent, codes and the geocoding key.',
  key: ['area_id'],
  columns: {
    area_id: required(c.varchar('MusicBrainz area id', mbid)),
    area_type: c.varchar('its type', text),
    area_name: c.varchar('its name', text),
    path: c.structList('the area and every ancestor up to the country, nearest first (two ancestors of one type both stay)', {
      id: required(c.varchar('area id', mbid)),
      type: c.varchar('type', text),
      name: c.varchar('name', text),
      iso_3166_1: codes('ISO 3166-1 codes'),
      iso_3166_2: codes('ISO 3166-2 codes'),
    }),
    city: c.varchar('nearest City on the path', text),
    municipality: c.varchar('nearest Municipality', text),
    district: c.varchar('nearest District', text),
    county: c.varchar('nearest County', text),
    subdivision: c.varchar('nearest Subdivision (state, province, region)', text),
    subdivision_code: c.varchar('ISO 3166-2 code of the nearest subdivision that has one, e.g. US-OR', { maxLength: 16 }),
    country: c.varchar('the Country', text),
    country_code: c.varchar('ISO 3166-1 alpha-2 code: MusicBrainz\'s, else the geography stage\'s', { maxLength: 8 }),
    island: c.varchar('nearest Island', text),
    continent: c.varchar('geography: continent name', text),
    continent_code: c.oneOf('geography: AF, AN, AS, EU, NA, OC or SA', ['AF', 'AN', 'AS', 'EU', 'NA', 'OC', 'SA']),
    state_code: c.varchar('geography: the part after the dash of subdivision_code', { maxLength: 8 }),
    params: c.varchar('geography: the geocoding key, City,CC or City,ST,US', { maxLength: 400 }),
    geo_at: c.timestamp('geography: when continent, codes and params were set'),
  },
})

export type MatchRow = RowOf<typeof mbzArtistMatch>
export type ArtistInfoRow = RowOf<typeof mbzArtistInfo>
export type ArtistGenreRow = RowOf<typeof mbzArtistGenre>
export type AreaRow = RowOf<typeof mbzAreas>
export type AreaHierarchyRow = RowOf<typeof mbzAreaHierarchy>
