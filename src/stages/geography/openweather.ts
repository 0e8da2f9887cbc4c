// OpenWeather direct geocoding (GET /geo/1.0/direct?q=City,ST,CC&limit=5&appid=KEY), over an injected transport
// that owns pacing (≤ 60 calls a minute), 429 waits and 5xx retries. This client only builds the query, picks the
// answer and turns the answers the step must not record into errors. The key travels as `appid` and never appears
// in an error: messages carry the query, the status and OpenWeather's own message, never the URL we sent.
import { AppError } from '../../errors.ts'
import { RateLimited } from '../../http/rate-limited.ts'
import { redactUrl } from '../../secrets.ts'
import { normalisePlaceName } from './place-names.ts'

export interface OpenWeatherRequest {
  method: 'GET'
  /** Below OPENWEATHER_URL. */
  url: string
  searchParams: Record<string, string>
}

export interface OpenWeatherResponse {
  status: number
  json: unknown
  text: string
  url: string
  retryAfterSeconds?: number | undefined
}

export type OpenWeatherSend = (request: OpenWeatherRequest) => Promise<OpenWeatherResponse>

export interface GeocodeQuery {
  city: string
  /** ISO 3166-1 alpha-2. */
  countryCode: string
  /** Two letters; sent and checked only in the United States, as OpenWeather uses it only there. */
  stateCode?: string | undefined
}

export interface OpenWeatherPlace {
  name: string
  lat: number
  lon: number
  countryCode: string
  /** As OpenWeather names it: "Oregon" (or "OR"), "England"; absent for many places. */
  state: string | undefined
}

export type GeocodeResult =
  | { status: 'found', place: OpenWeatherPlace, query: string }
  /** OpenWeather knows no such place in that country (and state): `[]`, or only places elsewhere. */
  | { status: 'miss', query: string, results: number }

/** 401: the key is wrong, revoked or not active yet (a new key takes up to about 2 hours). Stop; record nothing. */
export class OpenWeatherKeyRejected extends AppError {
  constructor (message: string) {
    super('UPSTREAM_AUTH_FAILED', `OpenWeather rejected OPENWEATHER_API_KEY (401: ${message}); a new key can take up to 2 hours to work`)
    this.name = 'OpenWeatherKeyRejected'
  }
}

export interface OpenWeatherGeocoder {
  geocode (query: GeocodeQuery): Promise<GeocodeResult>
}

export const directGeocodingPath = '/geo/1.0/direct'
const resultLimit = 5
/** OpenWeather sends no Retry-After; its 429 means the account is blocked for a while. */
const defaultRetryAfterSeconds = 60

let usStateCodes: Promise<Map<string, string>> | undefined

/** "Oregon" → "OR" (ISO 3166-2:US names, with DC and the outlying areas); loaded only when a name must be read. */
async function usStateCode (state: string): Promise<string | undefined> {
  const trimmed = state.trim()
  if (/^[A-Za-z]{2}$/.test(trimmed)) return trimmed.toUpperCase()
  usStateCodes ??= import('iso-3166/2.js').then(({ iso31662 }) =>
    new Map(iso31662.filter((s) => s.parent === 'US').map((s) => [normalisePlaceName(s.name), s.code.slice(3)])))
  return (await usStateCodes).get(normalisePlaceName(trimmed))
}

function placeOf (value: unknown): OpenWeatherPlace | undefined {
  if (value === null || typeof value !== 'object') return undefined
  const v = value as Record<string, unknown>
  if (typeof v.name !== 'string' || typeof v.lat !== 'number' || typeof v.lon !== 'number' || typeof v.country !== 'string') return undefined
  if (!Number.isFinite(v.lat) || !Number.isFinite(v.lon)) return undefined
  return { name: v.name, lat: v.lat, lon: v.lon, countryCode: v.country.toUpperCase(), state: typeof v.state === 'string' ? v.state : undefined }
}

function messageOf (response: OpenWeatherResponse): string {
  const json = response.json as { message?: unknown } | undefined
  if (json && typeof json === 'object' && typeof json.message === 'string') return json.message
  return response.text.length === 0 ? 'empty body' : `non-JSON body (${response.text.length} bytes)`
}

export function createOpenWeatherGeocoder (deps: { send: OpenWeatherSend, apiKey: string }): OpenWeatherGeocoder {
  const { send, apiKey } = deps
  const scrub = (text: string): string => (apiKey.length > 0 ? text.split(apiKey).join('[redacted]') : text)

  async function ask (q: string): Promise<OpenWeatherPlace[]> {
    const response = await send({ method: 'GET', url: directGeocodingPath, searchParams: { q, limit: String(resultLimit), appid: apiKey } })
    const where = `for q=${JSON.stringify(q)}`
    if (response.status === 401) throw new OpenWeatherKeyRejected(scrub(messageOf(response)))
    if (response.status === 429) throw new RateLimited('OpenWeather', response.retryAfterSeconds ?? defaultRetryAfterSeconds, 'rate_limit')
    if (response.status === 404) return [] // the weather endpoints' "city not found"; direct geocoding answers []
    if (response.status !== 200) {
      throw new AppError('UPSTREAM_FAILED', scrub(`OpenWeather answered ${response.status} ${where}: ${messageOf(response)} (${redactUrl(response.url)})`))
    }
    if (!Array.isArray(response.json)) {
      throw new AppError('UPSTREAM_FAILED', scrub(`OpenWeather answered ${where} with ${messageOf(response)} instead of a list of places`))
    }
    return response.json.map(placeOf).filter((place) => place !== undefined)
  }

  async function geocode (query: GeocodeQuery): Promise<GeocodeResult> {
    const countryCode = query.countryCode.trim().toUpperCase()
    const stateCode = countryCode === 'US' ? query.stateCode?.trim().toUpperCase() || undefined : undefined
    const city = query.city.trim()
    // "Frankfurt (Oder)": asked as it is first, then without the bracket if OpenWeather knows no such place.
    const withoutBracket = city.replace(/\s*\([^)]*\)\s*/g, ' ').trim()
    const names = withoutBracket !== city && withoutBracket.length > 0 ? [city, withoutBracket] : [city]
    let q = ''
    let results = 0
    for (const name of names) {
      // Commas separate q's fields, so a comma inside the name would shift them.
      q = [name.replace(/\s*,\s*/g, ' '), ...(stateCode ? [stateCode] : []), countryCode].join(',')
      if (name.length === 0) return { status: 'miss', query: q, results: 0 } // OpenWeather: 400 "Nothing to geocode"
      const places = await ask(q)
      results = places.length
      // OpenWeather may answer with a place of the same name elsewhere: only one in the asked country (and US state)
      // is an answer; a US answer without a state is taken, as q already named the state. Its order is its ranking.
      for (const place of places) {
        if (place.countryCode !== countryCode) continue
        if (stateCode !== undefined && place.state !== undefined && await usStateCode(place.state) !== stateCode) continue
        return { status: 'found', place, query: q }
      }
    }
    return { status: 'miss', query: q, results }
  }

  return { geocode }
}
