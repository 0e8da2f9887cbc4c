import { describe, expect, it } from 'vitest'
import { createGazetteer } from '../../../src/stages/geography/gazetteer.ts'
import { createGeoNamesGeocoder, rawName } from '../../../src/stages/geography/geocoders.ts'

describe('rawName', () => {
  it('gives raw/ a safe file name per key, keeping keys that differ only in accents apart', () => {
    for (const params of ['Köln,DE', 'Koln,DE', 'Portland,OR,US', 'São Paulo,BR', '東京,JP', '../../etc,XX']) expect(rawName(params)).toMatch(/^[\w.-]{1,200}$/)
    expect(rawName('Köln,DE')).not.toBe(rawName('Koln,DE'))
    expect(rawName('Portland,OR,US')).toMatch(/^Portland_OR_US-[0-9a-f]{16}$/)
    expect(rawName('東京,JP')).toMatch(/^JP-/)
  })
})

describe('the GeoNames geocoder', () => {
  it('answers records for known keys, a failure with its reason otherwise, and makes no upstream call', async () => {
    const geocoder = createGeoNamesGeocoder({ gazetteer: createGazetteer(), now: () => new Date('2026-11-01T00:00:00Z') })
    const outcome = await geocoder.fetch(['Hibbing,MN,US', 'Hibbing,OR,US', 'Cologne,DE', 'Nowhere', ''])
    expect(outcome).toMatchObject({ status: 'complete', calls: 0 })
    expect(outcome.records.map((r) => [r.params, r.matched_name, r.state_code, r.provider])).toEqual([
      ['Hibbing,MN,US', 'Hibbing', 'MN', 'geonames'],
      ['Cologne,DE', 'Köln', null, 'geonames'],
    ])
    expect(outcome.failures.map((f) => [f.entity_id, f.reason])).toEqual([
      ['Hibbing,OR,US', 'the GeoNames gazetteer (cities500) knows no place named "Hibbing" in US (state OR)'],
      ['Nowhere', '"Nowhere" is not a geocoding key (City,CC or City,ST,US)'],
      ['', '"" is not a geocoding key (City,CC or City,ST,US)'],
    ])
  })

  it('answers NOT_CONFIGURED when the gazetteer cannot be read', async () => {
    const geocoder = createGeoNamesGeocoder({ gazetteer: createGazetteer({ file: '/nonexistent/cities500.txt' }), now: () => new Date() })
    await expect(geocoder.fetch(['Berlin,DE'])).rejects.toMatchObject({ code: 'NOT_CONFIGURED', message: expect.stringContaining('GEOCODER=openweather') })
  })
})
