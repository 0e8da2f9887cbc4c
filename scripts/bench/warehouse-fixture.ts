import pino from 'pino'
import { catalog } from '../../src/catalog.ts'
import { createLake } from '../../src/lake/lake.ts'
import type { TableDef } from '../../src/lake/table.ts'
import { citiesWithLatLong } from '../../src/stages/geography/tables.ts'
import { mbzAreaHierarchy, mbzArtistGenre, mbzArtistInfo, mbzArtistMatch } from '../../src/stages/musicbrainz/tables.ts'
import { lakeArtists } from './lake-fixture.ts'

/**
 * What the MusicBrainz and geography stages would leave on the bench lake (lake-fixture.ts), so the warehouse build
 * joins real-sized tables: four in five Spotify-enriched artists matched to an MBID, with a type, an area (one of 600
 * cities in 60 countries, some only a country, some with a begin area) and two or three of 200 genres.
 */
const cities = 600
const countries = 60
const genres = 200
const continents = ['EU', 'NA', 'SA', 'AS', 'AF', 'OC']
const continentNames = ['Europe', 'North America', 'South America', 'Asia', 'Africa', 'Oceania']

const artistId = (n: string): string => `'ar' || lpad((${n})::VARCHAR, 20, '0')`
/** A stable MBID-shaped id from a seed expression. */
const uuid = (seed: string): string => `(substr(md5(${seed}), 1, 8) || '-' || substr(md5(${seed}), 9, 4) || '-' || substr(md5(${seed}), 13, 4) || '-' || substr(md5(${seed}), 17, 4) || '-' || substr(md5(${seed}), 21, 12))`
const cityArea = (n: string): string => uuid(`'city-' || (${n})`)
const countryArea = (n: string): string => uuid(`'country-' || (${n})`)
const code = (n: string): string => `chr((65 + (${n}) // 26)::INTEGER) || chr((65 + (${n}) % 26)::INTEGER)`

function selectColumns (table: TableDef, expressions: Record<string, string>): string {
  const unknown = Object.keys(expressions).filter((name) => !table.columns.some((c) => c.name === name))
  if (unknown.length > 0) throw new Error(`${table.name} has no column ${unknown.join(', ')}`)
  return table.columns.map((c) => `CAST(${expressions[c.name] ?? 'NULL'} AS ${c.type}) AS ${c.name}`).join(',\n  ')
}

/** Spotify-enriched artists (even numbers) matched: all but every fifth. */
const matched = `SELECT a FROM range(${lakeArtists}) r(a) WHERE a % 2 = 0 AND a % 10 <> 4`
const at = 'TIMESTAMPTZ \'2026-01-01 00:00:00+00\''

export async function addEnrichment (dataDir: string): Promise<{ matched: number, countingPlays: number }> {
  const lake = await createLake({ dataDir, log: pino({ level: 'silent' }), tables: catalog })
  try {
    await lake.write([mbzArtistMatch, mbzArtistInfo, mbzArtistGenre, mbzAreaHierarchy, citiesWithLatLong], async (tx) => {
      await tx.replaceWith(mbzArtistMatch, `SELECT ${selectColumns(mbzArtistMatch, {
        spotify_id: artistId('a'),
        spotify_name: '\'Artist \' || a',
        mbid: uuid('\'artist-\' || a'),
        mbz_name: '\'Artist \' || a',
        method: 'CASE a % 3 WHEN 0 THEN \'url-relation\' WHEN 1 THEN \'isrc\' ELSE \'name\' END',
        confidence: '0.9',
        matched_at: at,
      })} FROM (${matched})`)
      // Every seventh artist has only a country; every third a begin area as well.
      await tx.replaceWith(mbzArtistInfo, `SELECT ${selectColumns(mbzArtistInfo, {
        id: uuid('\'artist-\' || a'),
        spotify_id: artistId('a'),
        name: '\'Artist \' || a',
        type: 'CASE a % 4 WHEN 0 THEN \'Group\' ELSE \'Person\' END',
        country: code(`a % ${countries}`),
        area_id: `CASE WHEN a % 7 = 0 THEN ${countryArea(`a % ${countries}`)} ELSE ${cityArea(`a % ${cities}`)} END`,
        begin_area_id: `CASE WHEN a % 3 = 0 THEN ${cityArea(`(a * 7) % ${cities}`)} END`,
        fetched_at: at,
      })} FROM (${matched})`)
      await tx.replaceWith(mbzArtistGenre, `SELECT ${selectColumns(mbzArtistGenre, {
        artist_mbid: uuid('\'artist-\' || a'),
        genre: `'mbz genre ' || ((a + k * 17) % ${genres})`,
        count: '3 - k',
      })} FROM (${matched}), range(3) g(k) WHERE k < 2 + a % 2`)
      // City c lies in country c % countries; countries are areas of their own.
      await tx.replaceWith(mbzAreaHierarchy, `
        SELECT ${selectColumns(mbzAreaHierarchy, {
          area_id: cityArea('c'),
          area_type: '\'City\'',
          area_name: '\'City \' || c',
          path: '[]',
          city: '\'City \' || c',
          subdivision: '\'State \' || (c % 20)',
          country: `'Country ' || (c % ${countries})`,
          country_code: code(`c % ${countries}`),
          continent: `[${continentNames.map((n) => `'${n}'`).join(', ')}][1 + (c % ${countries}) % ${continents.length}]`,
          continent_code: `[${continents.map((n) => `'${n}'`).join(', ')}][1 + (c % ${countries}) % ${continents.length}]`,
          state_code: '\'S\' || (c % 20)',
          params: `'City ' || c || ',' || ${code(`c % ${countries}`)}`,
          geo_at: at,
        })} FROM range(${cities}) r(c)
        UNION ALL
        SELECT ${selectColumns(mbzAreaHierarchy, {
          area_id: countryArea('k'),
          area_type: '\'Country\'',
          area_name: '\'Country \' || k',
          path: '[]',
          country: '\'Country \' || k',
          country_code: code('k'),
          continent: `[${continentNames.map((n) => `'${n}'`).join(', ')}][1 + k % ${continents.length}]`,
          continent_code: `[${continents.map((n) => `'${n}'`).join(', ')}][1 + k % ${continents.length}]`,
          geo_at: at,
        })} FROM range(${countries}) r(k)`)
      await tx.replaceWith(citiesWithLatLong, `SELECT ${selectColumns(citiesWithLatLong, {
        params: `'City ' || c || ',' || ${code(`c % ${countries}`)}`,
        city_name: '\'City \' || c',
        country_code: code(`c % ${countries}`),
        lat: '-60 + (c * 7) % 120',
        lon: '-170 + (c * 13) % 340',
        provider: '\'geonames\'',
        fetched_at: at,
      })} FROM range(${cities}) r(c)`)
    })
    const [row] = await lake.query(`SELECT (SELECT count(*) FROM mbz_artist_match)::INTEGER AS matched,
      (SELECT count(*) FROM tracks_played WHERE counts_as_play)::INTEGER AS counting`)
    return { matched: Number(row?.matched ?? 0), countingPlays: Number(row?.counting ?? 0) }
  } finally {
    await lake.close()
  }
}
