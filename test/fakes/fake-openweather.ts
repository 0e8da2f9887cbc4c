import { readFileSync } from 'node:fs'
import { iso31662 } from 'iso-3166'
import { createFakeServer, type FakeResponse, type FakeServer } from './fake-server.ts'

/** A place in the shape of /geo/1.0/direct's answer. */
export interface OpenWeatherPlaceBody {
  name: string
  local_names?: Record<string, string>
  lat: number
  lon: number
  country: string
  state?: string
}

export const openWeatherFixtures = {
  /** Real answer to q=London&limit=5: GB without `state`, CA, and three US Londons with `state`. */
  londonDirect: JSON.parse(readFileSync(new URL('../fixtures/openweather/openweather-geocoding-direct.json', import.meta.url), 'utf8')) as OpenWeatherPlaceBody[],
}

export const openWeatherBodies = {
  invalidKey: { cod: 401, message: 'Invalid API key. Please see https://openweathermap.org/faq#error401 for more info.' },
  nothingToGeocode: { cod: '400', message: 'Nothing to geocode' },
  blocked: { cod: 429, message: 'Your account is temporary blocked due to exceeding of requests limitation of your subscription type. Please choose the proper subscription https://openweathermap.org/price' },
}

/** Beyond the fixture: the real API names US states in full ("Oregon"); the fixture's pyowm sample uses codes. */
const morePlaces: OpenWeatherPlaceBody[] = [
  { name: 'Portland', lat: 45.5202, lon: -122.6742, country: 'US', state: 'Oregon' },
  { name: 'Portland', lat: 43.6591, lon: -70.2568, country: 'US', state: 'Maine' },
  { name: 'Birmingham', lat: 33.5207, lon: -86.8025, country: 'US', state: 'Alabama' },
  { name: 'Córdoba', local_names: { en: 'Cordoba', es: 'Córdoba' }, lat: -31.4135, lon: -64.1811, country: 'AR', state: 'Córdoba' },
  { name: 'Frankfurt (Oder)', lat: 52.3471, lon: 14.5506, country: 'DE', state: 'Brandenburg' },
  { name: 'Halle', lat: 51.4825, lon: 11.9697, country: 'DE', state: 'Saxony-Anhalt' },
]

/**
 * Places of the same name in another country that the fake ranks first whatever country or state was asked, as a
 * fuzzy upstream ranking may: a client must never take them. Birmingham, England, for a US query; Valencia, Spain,
 * for a Venezuelan one (the fake knows no Valencia in Venezuela).
 */
const decoyPlaces: OpenWeatherPlaceBody[] = [
  { name: 'Birmingham', lat: 52.4796, lon: -1.9026, country: 'GB', state: 'England' },
  { name: 'Valencia', lat: 39.4699, lon: -0.3763, country: 'ES', state: 'Valencian Community' },
]

export interface FakeOpenWeatherOptions {
  apiKey?: string
  places?: OpenWeatherPlaceBody[]
  decoys?: OpenWeatherPlaceBody[]
}

export interface FakeOpenWeather {
  server: FakeServer
  readonly url: string
  apiKey: string
  places: OpenWeatherPlaceBody[]
  decoys: OpenWeatherPlaceBody[]
  /** The next `times` geocoding calls answer 429 (account temporarily blocked). */
  rateLimit (times?: number): void
  geocodingCalls (): number
  close (): Promise<void>
}

const fold = (s: string): string => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().trim()

const usStates = new Map(iso31662.filter((s) => s.parent === 'US').map((s) => [fold(s.name), fold(s.code.slice(3))]))
/** "Oregon" or "OR" → "or". */
const stateCodeOf = (state: string): string | undefined => (state.trim().length === 2 ? fold(state) : usStates.get(fold(state)))

function namedAs (place: OpenWeatherPlaceBody, name: string): boolean {
  return [place.name, ...Object.values(place.local_names ?? {})].some((n) => fold(n) === name)
}

export async function createFakeOpenWeather (options: FakeOpenWeatherOptions = {}): Promise<FakeOpenWeather> {
  const server = await createFakeServer('openweather')
  const fake: FakeOpenWeather = {
    server,
    url: server.url,
    apiKey: options.apiKey ?? 'test-openweather-key',
    places: options.places ?? [...structuredClone(openWeatherFixtures.londonDirect), ...morePlaces],
    decoys: options.decoys ?? decoyPlaces,
    rateLimit: (times = 1) => server.fault('/geo/1.0/direct', { kind: 'status', status: 429, json: openWeatherBodies.blocked }, times),
    geocodingCalls: () => server.count('/geo/1.0/direct'),
    close: () => server.close(),
  }

  server.route('GET', '/geo/1.0/direct', (request): FakeResponse => {
    if (request.query.get('appid') !== fake.apiKey) return { status: 401, json: openWeatherBodies.invalidKey }
    const q = request.query.get('q') ?? ''
    if (q.trim().length === 0) return { status: 400, json: openWeatherBodies.nothingToGeocode }
    const parts = q.split(',').map((part) => part.trim())
    const name = fold(parts[0]!)
    const country = parts.length >= 2 ? parts.at(-1)!.toUpperCase() : undefined
    const state = parts.length === 3 ? fold(parts[1]!) : undefined
    const limit = Math.min(5, Math.max(1, Number(request.query.get('limit') ?? 1) || 1))
    const matches = fake.places.filter((place) => namedAs(place, name) &&
      (country === undefined || place.country === country) &&
      // Like the real API, the state narrows the answer only in the US.
      (state === undefined || country !== 'US' || (place.state !== undefined && stateCodeOf(place.state) === state)))
    const decoys = fake.decoys.filter((place) => namedAs(place, name) && place.country !== country)
    return { json: [...decoys, ...matches].slice(0, limit) }
  })

  return fake
}
