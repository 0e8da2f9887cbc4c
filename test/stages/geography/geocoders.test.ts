import { describe, expect, it } from 'vitest'
import { createGazetteer, type Gazetteer, type GazetteerQuery } from '../../../src/stages/geography/gazetteer.ts'
import { createGeoNamesGeocoder, gazetteerKeysPerPass, rawName } from '../../../src/stages/geography/geocoders.ts'

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

  it("looks up a plan's later keys with its first batch, serves its next batches from them, and lets them go at its end", async () => {
    const passes: GazetteerQuery[][] = []
    // Every place is at 1,2, except in GR, where the gazetteer knows none.
    const gazetteer: Gazetteer = {
      lookup: async (queries) => {
        passes.push([...queries])
        return queries.map((query) => query.countryCode === 'GR' ? undefined : { name: query.city, lat: 1, lon: 2, population: 1, countryCode: query.countryCode, stateCode: undefined })
      }
    }
    const geocoder = createGeoNamesGeocoder({ gazetteer, now: () => new Date('2026-11-01T00:00:00Z') })
    const first = await geocoder.fetch(['Oslo,NO', 'Atlantis,GR', 'bad key'], { endsPlan: false, laterKeys: () => ['Bergen,NO', 'Oslo,NO', 'Sparta,GR'] })
    expect(passes.map((pass) => pass.map((query) => query.city))).toEqual([['Oslo', 'Atlantis', 'Bergen', 'Sparta']])
    expect(first.records.map((r) => r.params)).toEqual(['Oslo,NO'])
    expect(first.failures.map((f) => f.entity_id)).toEqual(['Atlantis,GR', 'bad key'])
    const last = await geocoder.fetch(['Bergen,NO', 'Sparta,GR'], { endsPlan: true })
    expect(passes).toHaveLength(1)
    expect([last.records.map((r) => r.params), last.failures.map((f) => f.entity_id)]).toEqual([['Bergen,NO'], ['Sparta,GR']])
    // Let go at the plan's end: the same keys are read again.
    await geocoder.fetch(['Bergen,NO'])
    expect(passes.map((pass) => pass.length)).toEqual([4, 1])
  })

  it('looks up a batch whole when some of its keys are new, those the last pass found too', async () => {
    const passes: string[][] = []
    const gazetteer: Gazetteer = {
      lookup: async (queries) => {
        passes.push(queries.map((query) => query.city))
        return queries.map((query) => ({ name: query.city, lat: 1, lon: 2, population: 1, countryCode: query.countryCode, stateCode: undefined }))
      },
    }
    const geocoder = createGeoNamesGeocoder({ gazetteer, now: () => new Date() })
    await geocoder.fetch(['Oslo,NO'], { endsPlan: false, laterKeys: () => ['Bergen,NO'] })
    // A batch across the end of what the first pass looked up (its cap, or another plan's keys).
    const across = await geocoder.fetch(['Bergen,NO', 'Tromso,NO'], { endsPlan: false, laterKeys: () => ['Narvik,NO'] })
    expect(passes).toEqual([['Oslo', 'Bergen'], ['Bergen', 'Tromso', 'Narvik']])
    expect(across.records.map((r) => r.params)).toEqual(['Bergen,NO', 'Tromso,NO'])
    expect(across.failures).toEqual([])
  })

  it('looks up at most gazetteerKeysPerPass keys in one pass, the batch\'s own first', async () => {
    const sizes: number[] = []
    const gazetteer: Gazetteer = { lookup: async (queries) => { sizes.push(queries.length); return queries.map(() => undefined) } }
    const geocoder = createGeoNamesGeocoder({ gazetteer, now: () => new Date() })
    const later = Array.from({ length: gazetteerKeysPerPass + 10 }, (_, i) => `Place ${i},NO`)
    const outcome = await geocoder.fetch(['Oslo,NO'], { endsPlan: false, laterKeys: () => later })
    expect(sizes).toEqual([gazetteerKeysPerPass])
    expect(outcome.failures.map((f) => f.entity_id)).toEqual(['Oslo,NO'])
  })
})
