import { column as c, defineTable, required, type RowOf } from '../../lake/table.ts'

export const geocodingProviders = ['geonames', 'openweather', 'manual'] as const

export const citiesWithLatLong = defineTable({
  name: 'cities_with_lat_long',
  description: 'Coordinates of each geocoding key (params) of mbz_area_hierarchy. A row posted by hand (provider manual) is kept by later runs.',
  key: ['params'],
  columns: {
    params: required(c.varchar('the geocoding key: City,CC or City,ST,US', { minLength: 1, maxLength: 400 })),
    city_name: c.varchar('city', { maxLength: 400 }),
    state_code: c.varchar('state code (US)', { maxLength: 8 }),
    country_code: c.varchar('ISO 3166-1 alpha-2', { maxLength: 8 }),
    lat: required(c.double('latitude', { minimum: -90, maximum: 90 })),
    lon: required(c.double('longitude', { minimum: -180, maximum: 180 })),
    provider: c.oneOf('geonames (offline gazetteer), openweather or manual', [...geocodingProviders]),
    matched_name: c.varchar('the place the geocoder matched', { maxLength: 400 }),
    population: c.bigint('its population, when the geocoder knows it', { minimum: 0 }),
    fetched_at: c.timestamp('when it was geocoded'),
  },
})

export type CityRow = RowOf<typeof citiesWithLatLong>

/** A record as the write route takes it and a fetch answers it: params and coordinates, the rest optional. */
export type CityRecord = Pick<CityRow, 'params' | 'lat' | 'lon'> & Partial<CityRow>
