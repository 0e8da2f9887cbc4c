import type Bottleneck from 'bottleneck'
import type { GranularStep } from '../../batch/granular.ts'
import type { Config } from '../../config.ts'
import type { UpstreamOptions } from '../../http/upstream.ts'
import type { Lake } from '../../lake/lake.ts'
import type { RawZone } from '../../lake/raw-zone.ts'
import { checkAreaTables, type AreaTables } from './areas.ts'
import { createBaseStep, type BaseStep } from './base-step.ts'
import { createCitiesStep } from './cities-step.ts'
import { createGazetteer, type Gazetteer } from './gazetteer.ts'
import { createGeoNamesGeocoder, createOpenWeatherCities } from './geocoders.ts'
import type { CityRecord } from './tables.ts'

export interface GeographySteps {
  base: BaseStep
  cities: GranularStep<CityRecord>
}

export function createGeographySteps (deps: {
  config: Pick<Config, 'geocoder' | 'openweather'>
  lake: Lake
  raw: RawZone
  now: () => Date
  upstream: UpstreamOptions
  /** the openweather limiter (60 calls a minute) */
  limiter: Bottleneck
  /** the MusicBrainz stage's tables this stage reads and fills */
  areas: AreaTables
  /** the offline gazetteer; one is made when not given */
  gazetteer?: Gazetteer
}): GeographySteps {
  const { config, lake, now, areas } = deps
  checkAreaTables(areas)
  const geocoder = config.geocoder === 'openweather'
    ? createOpenWeatherCities({ apiKey: config.openweather.apiKey, url: config.openweather.url, upstream: deps.upstream, limiter: deps.limiter, raw: deps.raw, now })
    : createGeoNamesGeocoder({ gazetteer: deps.gazetteer ?? createGazetteer(), now })
  return {
    base: createBaseStep({ lake, now, areas }),
    cities: createCitiesStep({ lake, now, areas, geocoder }),
  }
}
