import { quotedIdentifier as qi } from '@duckdb/node-api'
import { Type } from 'typebox'
import type { GranularStep } from '../../batch/granular.ts'
import { planKeys } from '../../batch/plan-query.ts'
import type { Lake } from '../../lake/lake.ts'
import { recordSchema } from '../../lake/table.ts'
import type { AreaTables } from './areas.ts'
import { parseGeocodingParams } from './base.ts'
import type { CityGeocoder } from './geocoders.ts'
import { citiesWithLatLong, type CityRecord, type CityRow } from './tables.ts'

export const CityRecordSchema = recordSchema(citiesWithLatLong, {
  $id: 'GeographyCity',
  required: ['params', 'lat', 'lon'],
  description: 'a cities_with_lat_long row. Posted by hand, only params, lat and lon are needed: city, state and ' +
    'country come from params, provider is manual, and later runs keep the row.',
  narrow: {
    params: Type.String({ pattern: '^[^,]+,[A-Z]{2}(,US)?$', maxLength: 400, description: 'the geocoding key: City,CC or City,ST,US, as mbz_area_hierarchy.params spells it' }),
  },
})

/**
 * /v1/geography/cities: coordinates for every distinct geocoding key of mbz_area_hierarchy. Planned most artists
 * first: a key weighs the distinct MusicBrainz artists whose area, begin area or end area has it.
 */
export function createCitiesStep (deps: { lake: Lake, now: () => Date, areas: AreaTables, geocoder: CityGeocoder }): GranularStep<CityRecord> {
  const { lake, now, geocoder } = deps
  const { hierarchy, artists } = deps.areas
  const areaList = artists.areaColumns.map((name) => `a.${qi(name)}`).join(', ')
  const candidates = `
    WITH artist_areas AS (SELECT a.${qi(artists.id)} AS artist, unnest([${areaList}]) AS area FROM ${qi(artists.table.name)} a)
    SELECT h.params AS id, count(DISTINCT aa.artist) AS weight
    FROM ${qi(hierarchy.name)} h LEFT JOIN artist_areas aa ON aa.area = h.area_id
    WHERE h.params IS NOT NULL
    GROUP BY h.params`

  /** The stored row: what the record leaves out comes from its key; a record without a provider was typed by hand. */
  function rowOf (record: CityRecord): CityRow {
    const key = parseGeocodingParams(record.params)
    return {
      params: record.params,
      city_name: record.city_name ?? key?.city ?? null,
      state_code: record.state_code ?? key?.stateCode ?? null,
      country_code: record.country_code ?? key?.countryCode ?? null,
      lat: record.lat,
      lon: record.lon,
      provider: record.provider ?? 'manual',
      matched_name: record.matched_name ?? null,
      population: record.population ?? null,
      fetched_at: record.fetched_at ?? now().toISOString(),
    }
  }

  return {
    stage: 'geography',
    resource: 'cities',
    title: 'city coordinates',
    defaultBatchSize: geocoder.defaultBatchSize,
    // OpenWeather takes 60 calls a minute: 500 keys fit in n8n's 600 s timeout.
    maxBatchSize: 500,
    recordSchema: CityRecordSchema,
    recordId: (record) => record.params,
    requireConfig: () => geocoder.requireConfig(),
    plan: async ({ limit }) => {
      const ids = await planKeys(lake, { stage: 'geography', resource: 'cities', candidates, done: { table: citiesWithLatLong, column: 'params' } }, { now: now(), limit })
      return ids.map((id) => ({ id }))
    },
    fetch: (items, batch) => geocoder.fetch(items.map((item) => item.id), { endsPlan: batch.endsPlan, laterKeys: () => batch.laterItems().map((item) => item.id) }),
    // A row posted by hand (provider manual) is never replaced by a geocoder's answer, even one planned before it.
    write: (records) => lake.write([citiesWithLatLong], async (tx) => {
      const rows = records.map(rowOf)
      const stored = await tx.query(`SELECT params FROM ${qi(citiesWithLatLong.name)} WHERE provider = $manual AND list_contains($keys::VARCHAR[], params)`,
        { manual: 'manual', keys: rows.map((row) => row.params) })
      const manual = new Set(stored.map((row) => String(row.params)))
      const kept = rows.filter((row) => row.provider === 'manual' || !manual.has(row.params))
      const result = await tx.merge(citiesWithLatLong, kept)
      return { inserted: result.inserted, updated: result.updated, unchanged: result.unchanged, keptManual: rows.length - kept.length }
    }),
  }
}
