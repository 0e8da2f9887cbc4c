import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AppError } from '../../../src/errors.ts'
import { createHttpClient } from '../../../src/http/client.ts'
import { RateLimited } from '../../../src/http/rate-limited.ts'
import {
  createOpenWeatherGeocoder,
  OpenWeatherKeyRejected,
  type OpenWeatherSend,
} from '../../../src/stages/geography/openweather.ts'
import { createFakeOpenWeather, openWeatherBodies, type FakeOpenWeather } from '../../fakes/fake-openweather.ts'

describe('OpenWeather direct geocoding', () => {
  let ow: FakeOpenWeather
  let send: OpenWeatherSend

  beforeEach(async () => {
    ow = await createFakeOpenWeather()
    const http = createHttpClient({ name: 'OpenWeather', baseUrl: ow.url, userAgent: 'tracklake-test', timeoutMs: 5_000 })
    send = (request) => http.request(request)
  })

  afterEach(async () => {
    await ow.close()
  })

  const geocoder = (apiKey = ow.apiKey, transport = send) => createOpenWeatherGeocoder({ send: transport, apiKey })

  it('sends q=City,CC with limit 5 and the key as appid', async () => {
    const result = await geocoder().geocode({ city: 'London', countryCode: 'gb' })
    expect(result).toEqual({ status: 'found', query: 'London,GB', place: { name: 'London', lat: 51.5085, lon: -0.1257, countryCode: 'GB', state: undefined } })
    const request = ow.server.requests[0]!
    expect(request.path).toBe('/geo/1.0/direct')
    expect(Object.fromEntries(request.query)).toEqual({ q: 'London,GB', limit: '5', appid: ow.apiKey })
  })

  it('sends the state only in the US and takes the result in that state', async () => {
    expect(await geocoder().geocode({ city: 'Portland', countryCode: 'US', stateCode: 'me' })).toMatchObject({
      status: 'found', query: 'Portland,ME,US', place: { lat: 43.6591, state: 'Maine' },
    })
    expect(await geocoder().geocode({ city: 'London', countryCode: 'US', stateCode: 'OH' })).toMatchObject({ status: 'found', place: { lat: 39.8865, state: 'OH' } })
    expect(await geocoder().geocode({ city: 'London', countryCode: 'CA', stateCode: 'ON' })).toMatchObject({ status: 'found', query: 'London,CA', place: { lat: 42.9834 } })
  })

  it('never takes a place of the same name in another country or state', async () => {
    // The fake ranks Birmingham, England first for any Birmingham.
    expect(await geocoder().geocode({ city: 'Birmingham', countryCode: 'US', stateCode: 'AL' })).toMatchObject({ status: 'found', place: { countryCode: 'US', lat: 33.5207 } })
    // Only Valencia, Spain is known: a Venezuelan Valencia is a miss, not Spain.
    expect(await geocoder().geocode({ city: 'Valencia', countryCode: 'VE' })).toEqual({ status: 'miss', query: 'Valencia,VE', results: 1 })
    // A US answer in another state is no answer either.
    ow.places.push({ name: 'Springfield', lat: 39.8, lon: -89.64, country: 'US', state: 'Illinois' })
    ow.decoys.push({ name: 'Springfield', lat: 37.2, lon: -93.29, country: 'US', state: 'Missouri' })
    expect(await geocoder().geocode({ city: 'Springfield', countryCode: 'US', stateCode: 'IL' })).toMatchObject({ status: 'found', place: { state: 'Illinois' } })
  })

  it('treats [] as a miss', async () => {
    expect(await geocoder().geocode({ city: 'Nowhereville', countryCode: 'GB' })).toEqual({ status: 'miss', query: 'Nowhereville,GB', results: 0 })
  })

  it('asks again without a bracket only when the whole name is unknown', async () => {
    expect(await geocoder().geocode({ city: 'Frankfurt (Oder)', countryCode: 'DE' })).toMatchObject({ status: 'found', query: 'Frankfurt (Oder),DE' })
    expect(ow.geocodingCalls()).toBe(1)
    expect(await geocoder().geocode({ city: 'Halle (Saale)', countryCode: 'DE' })).toMatchObject({ status: 'found', query: 'Halle,DE', place: { name: 'Halle' } })
    expect(ow.server.requests.slice(1).map((r) => r.query.get('q'))).toEqual(['Halle (Saale),DE', 'Halle,DE'])
  })

  it('never sends an empty q (OpenWeather answers 400 "Nothing to geocode") and keeps commas out of the name', async () => {
    expect(await geocoder().geocode({ city: '  ', countryCode: 'GB' })).toMatchObject({ status: 'miss', results: 0 })
    expect(ow.geocodingCalls()).toBe(0)
    await geocoder().geocode({ city: 'Washington, D.C.', countryCode: 'US', stateCode: 'DC' })
    expect(ow.server.requests[0]!.query.get('q')).toBe('Washington D.C.,DC,US')
    // The fake answers an empty q as OpenWeather does.
    const response = await send({ method: 'GET', url: '/geo/1.0/direct', searchParams: { q: '', limit: '5', appid: ow.apiKey } })
    expect(response).toMatchObject({ status: 400, json: openWeatherBodies.nothingToGeocode })
  })

  it('stops with a typed configuration error on 401, without the key in it', async () => {
    const wrongKey = 'wrong-key-0123456789'
    const error = await geocoder(wrongKey).geocode({ city: 'London', countryCode: 'GB' }).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(OpenWeatherKeyRejected)
    expect(error).toBeInstanceOf(AppError)
    expect(error).toMatchObject({ code: 'UPSTREAM_AUTH_FAILED', statusCode: 502 })
    expect((error as Error).message).toContain('Invalid API key')
    expect(JSON.stringify({ message: (error as Error).message, stack: (error as Error).stack })).not.toContain(wrongKey)
  })

  it('leaves 429 to the transport: a transport that waits gets the answer, a bare one surfaces RateLimited, never a miss', async () => {
    const waits: number[] = []
    const waiting: OpenWeatherSend = async (request) => {
      for (;;) {
        const response = await send(request)
        if (response.status !== 429) return response
        waits.push(60)
        await Promise.resolve() // an injected sleep(60 s)
      }
    }
    ow.rateLimit(2)
    expect(await geocoder(ow.apiKey, waiting).geocode({ city: 'London', countryCode: 'GB' })).toMatchObject({ status: 'found' })
    expect(waits).toEqual([60, 60])
    expect(ow.geocodingCalls()).toBe(3)

    ow.rateLimit(1)
    const error = await geocoder().geocode({ city: 'London', countryCode: 'GB' }).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(RateLimited)
    expect(error).toMatchObject({ retryAfterSeconds: 60, reason: 'rate_limit' })
    expect(ow.geocodingCalls()).toBe(4) // no retry of its own
  })

  it('reports 5xx and odd bodies as upstream failures with no key in them', async () => {
    ow.server.fault('/geo/1.0/direct', { kind: 'status', status: 503, json: { cod: 503, message: `down for appid=${ow.apiKey}` } })
    const error = await geocoder().geocode({ city: 'London', countryCode: 'GB' }).catch((err: unknown) => err)
    expect(error).toMatchObject({ code: 'UPSTREAM_FAILED' })
    expect((error as Error).message).toContain('503')
    expect((error as Error).message).not.toContain(ow.apiKey)

    ow.server.fault('/geo/1.0/direct', { kind: 'malformed' })
    const odd = await geocoder().geocode({ city: 'London', countryCode: 'GB' }).catch((err: unknown) => err)
    expect(odd).toMatchObject({ code: 'UPSTREAM_FAILED' })
    expect((odd as Error).message).toMatch(/instead of a list of places/)
  })

  it('skips malformed entries in an answer', async () => {
    const transport: OpenWeatherSend = async () => ({
      status: 200,
      url: 'http://127.0.0.1/geo/1.0/direct?q=x&appid=[redacted]',
      text: '',
      json: [{ name: 'London', lat: '51.5', lon: -0.12, country: 'GB' }, { name: 'London', lat: 51.5085, lon: -0.1257, country: 'gb' }, null],
    })
    expect(await geocoder(ow.apiKey, transport).geocode({ city: 'London', countryCode: 'GB' })).toMatchObject({ status: 'found', place: { lat: 51.5085, countryCode: 'GB' } })
  })
})
