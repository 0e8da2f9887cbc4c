import type { JsonValue } from '../lake/rows.ts'
import { dateRange, list, num, numOrNull, partsSql, placeParams, readParts, round1, str, strOrNull, struct, type WarehouseQuery } from './query.ts'
import type { PlacesParams, PlacesReport } from './schemas.ts'
import { continentCentres, type LatLon } from './world.ts'

/** The play-weighted mean of the coordinates known in a group (null where none is). */
const weighted = (axis: 'lat' | 'lon'): string =>
  `sum(${axis} * plays) FILTER (WHERE lat IS NOT NULL) / nullif(sum(plays) FILTER (WHERE lat IS NOT NULL), 0)`

/**
 * Plays per artist in the range, placed where dim_artist says the artist is from; grouped by continent, country and
 * place (the city, else the county or state). The filter options come from every placed artist, the rest from those
 * the continent and country filters keep.
 */
const placesSql = `
WITH per_key AS (
  SELECT artist_key, count(*) AS plays, coalesce(sum(minutes), 0) AS minutes
  FROM rpt_plays WHERE date BETWEEN $from AND $to GROUP BY artist_key
),
per_artist AS (SELECT k.artist_id, p.plays, p.minutes FROM per_key p JOIN rpt_artists k USING (artist_key)),
placed AS MATERIALIZED (
  SELECT a.artist_id, a.artist_name, a.continent_code, a.continent, a.country_code, a.country, a.state,
    coalesce(a.city, a.county, a.state) AS place, a.lat, a.lon, p.plays, p.minutes,
    -- the most played artist first (ties: the greater id): arg_min by this int is cheaper than arg_max by a struct
    row_number() OVER (ORDER BY p.plays DESC, a.artist_id DESC) AS rank
  FROM per_artist p JOIN dim_artist a USING (artist_id)
),
kept AS MATERIALIZED (
  SELECT * FROM placed
  WHERE (len($continents) = 0 OR list_contains($continents, continent_code))
    AND (len($countries) = 0 OR list_contains($countries, country_code))
)
${partsSql({
  timezone: '(SELECT timezone FROM meta.build)',
  totals: `(SELECT struct_pack(
      plays := coalesce(sum(plays), 0), minutes := coalesce(sum(minutes), 0),
      withCountry := coalesce(sum(plays) FILTER (WHERE country_code IS NOT NULL), 0),
      withCoordinates := coalesce(sum(plays) FILTER (WHERE lat IS NOT NULL), 0))
    FROM kept)`,
  unknown_place: '(SELECT coalesce(sum(plays), 0) FROM placed WHERE country_code IS NULL)',
  continents: `(SELECT list(struct_pack(code := code, name := name, plays := plays, minutes := minutes, artists := artists,
      topArtist := top_artist, countries := countries, lat := lat, lon := lon) ORDER BY plays DESC, code)
    FROM (SELECT continent_code AS code, min(continent) AS name, sum(plays) AS plays, sum(minutes) AS minutes, count(*) AS artists,
        arg_min(artist_name, rank) AS top_artist, count(DISTINCT country_code) AS countries,
        ${weighted('lat')} AS lat, ${weighted('lon')} AS lon
      FROM kept WHERE continent_code IS NOT NULL GROUP BY continent_code))`,
  countries: `(SELECT list(struct_pack(code := code, name := name, continentCode := continent_code, continent := continent,
      plays := plays, minutes := minutes, artists := artists, topArtist := top_artist, cities := cities, lat := lat, lon := lon)
      ORDER BY plays DESC, code)
    FROM (SELECT country_code AS code, coalesce(min(country), country_code) AS name, min(continent_code) AS continent_code,
        min(continent) AS continent, sum(plays) AS plays, sum(minutes) AS minutes, count(*) AS artists,
        arg_min(artist_name, rank) AS top_artist, count(DISTINCT (state, place)) FILTER (WHERE place IS NOT NULL) AS cities,
        ${weighted('lat')} AS lat, ${weighted('lon')} AS lon
      FROM kept WHERE country_code IS NOT NULL GROUP BY country_code))`,
  cities: `(SELECT list(struct_pack(name := place, state := state, countryCode := country_code, country := country,
      continentCode := continent_code, continent := continent, plays := plays, minutes := minutes, artists := artists,
      topArtist := top_artist, lat := lat, lon := lon) ORDER BY plays DESC, country_code, state, place)
    FROM (SELECT place, state, country_code, min(country) AS country, min(continent_code) AS continent_code, min(continent) AS continent,
        sum(plays) AS plays, sum(minutes) AS minutes, count(*) AS artists, arg_min(artist_name, rank) AS top_artist,
        ${weighted('lat')} AS lat, ${weighted('lon')} AS lon
      FROM kept WHERE place IS NOT NULL GROUP BY country_code, state, place
      ORDER BY plays DESC, country_code, state, place LIMIT $limit))`,
  continent_options: `(SELECT list(struct_pack(code := code, name := name, plays := plays) ORDER BY plays DESC, code)
    FROM (SELECT continent_code AS code, min(continent) AS name, sum(plays) AS plays
      FROM placed WHERE continent_code IS NOT NULL GROUP BY continent_code))`,
  country_options: `(SELECT list(struct_pack(code := code, name := name, continentCode := continent_code, plays := plays) ORDER BY name, code)
    FROM (SELECT country_code AS code, coalesce(min(country), country_code) AS name, min(continent_code) AS continent_code, sum(plays) AS plays
      FROM placed
      WHERE country_code IS NOT NULL AND (len($continents) = 0 OR list_contains($continents, continent_code))
      GROUP BY country_code))`,
})}
`

const coordinate = (value: number | null): number | null => value === null ? null : Math.round(value * 10_000) / 10_000

/** Plays per city with coordinates, per country and per continent, with the continent and country filters. */
export async function placesReport (query: WarehouseQuery, centres: () => Promise<Map<string, LatLon>>, params: PlacesParams): Promise<PlacesReport> {
  const dates = dateRange(params)
  const [rows, countryCentres] = await Promise.all([
    query(placesSql, { ...dates.params, ...placeParams(params), limit: params.limit }),
    centres(),
  ])
  const row = readParts(rows)
  const totals = struct(row.totals)
  const common = (g: Record<string, JsonValue>) => ({ plays: num(g.plays), minutes: round1(num(g.minutes)), artists: num(g.artists), topArtist: str(g.topArtist) })
  return {
    range: { from: dates.from, to: dates.to, timezone: str(row.timezone) },
    totals: {
      plays: num(totals.plays),
      minutes: round1(num(totals.minutes)),
      withCountry: num(totals.withCountry),
      withCoordinates: num(totals.withCoordinates),
      unknownPlace: num(row.unknown_place),
    },
    continents: list(row.continents).map((c) => {
      const fixed = continentCentres[str(c.code)]
      return {
        code: str(c.code),
        name: str(c.name),
        lat: fixed?.lat ?? coordinate(numOrNull(c.lat)),
        lon: fixed?.lon ?? coordinate(numOrNull(c.lon)),
        ...common(c),
        countries: num(c.countries),
      }
    }),
    countries: list(row.countries).map((c) => {
      const centre = countryCentres.get(str(c.code))
      return {
        code: str(c.code),
        name: str(c.name),
        continentCode: strOrNull(c.continentCode),
        continent: strOrNull(c.continent),
        lat: centre?.lat ?? coordinate(numOrNull(c.lat)),
        lon: centre?.lon ?? coordinate(numOrNull(c.lon)),
        ...common(c),
        cities: num(c.cities),
      }
    }),
    cities: list(row.cities).map((c) => ({
      name: str(c.name),
      state: strOrNull(c.state),
      countryCode: strOrNull(c.countryCode),
      country: strOrNull(c.country),
      continentCode: strOrNull(c.continentCode),
      continent: strOrNull(c.continent),
      lat: coordinate(numOrNull(c.lat)),
      lon: coordinate(numOrNull(c.lon)),
      ...common(c),
    })),
    options: {
      continents: list(row.continent_options).map((c) => ({ code: str(c.code), name: str(c.name), plays: num(c.plays) })),
      countries: list(row.country_options).map((c) => ({ code: str(c.code), name: str(c.name), continentCode: strOrNull(c.continentCode), plays: num(c.plays) })),
    },
  }
}
