import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGazetteer, scanGazetteer, type GazetteerMatch, type GazetteerQuery } from '../../../src/stages/geography/gazetteer.ts'

interface TruthPlace {
  city: string
  country_code: string
  state_code?: string
  lat: number
  lon: number
}

const truth = JSON.parse(readFileSync(new URL('../../fixtures/geography/places.json', import.meta.url), 'utf8')) as { places: TruthPlace[] }

function km (lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180
  const a = Math.sin((lat2 - lat1) * rad / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin((lon2 - lon1) * rad / 2) ** 2
  return 2 * 6371 * Math.asin(Math.sqrt(a))
}

const q = (city: string, countryCode: string, stateCode?: string): GazetteerQuery => ({ city, countryCode, stateCode })
const keyOf = (query: GazetteerQuery): string => `${query.city}|${query.countryCode}|${query.stateCode ?? ''}`

/** Every query of the tests below, looked up in one pass over cities500 (a pass takes a second or two). */
const truthQueries = truth.places.map((place) => q(place.city, place.country_code, place.state_code))
const namedQueries = [
  q('Cologne', 'DE'), q('cordoba', 'es'), q('LODZ', 'PL'), q('Saint Etienne', 'FR'),
  q('Portland', 'US', 'ME'), q('Portland', 'US', 'or'), q('Portland', 'US'), q('Portland', 'US', 'AK'),
  q('London', 'GB', 'ENG'), q('London', 'CA', 'ON'),
  q('Frankfurt (Oder)', 'DE'), q('Frankfurt', 'DE'), q('Hibbing (Minnesota)', 'US', 'MN'),
  q('Nowhereville Upon Nothing', 'GB'), q('London', 'ZZ'), q('London', 'GBR'), q(' - ', 'GB'),
]

describe('the GeoNames gazetteer against the truth set', () => {
  const answers = new Map<string, GazetteerMatch | undefined>()

  beforeAll(async () => {
    const queries = [...truthQueries, ...namedQueries]
    const matches = await createGazetteer().lookup(queries)
    queries.forEach((query, i) => answers.set(keyOf(query), matches[i]))
  })

  function lookup (query: GazetteerQuery): GazetteerMatch | undefined {
    if (!answers.has(keyOf(query))) throw new Error(`${keyOf(query)} was not looked up: add it to the queries above`)
    return answers.get(keyOf(query))
  }

  const distanceOf = (place: TruthPlace): number => {
    const match = lookup(q(place.city, place.country_code, place.state_code))
    return match ? km(place.lat, place.lon, match.lat, match.lon) : Number.POSITIVE_INFINITY
  }

  it('puts at least 97% of 200+ real places within 25 km of the truth', () => {
    expect(truth.places.length).toBeGreaterThanOrEqual(200)
    const far = truth.places.filter((place) => distanceOf(place) > 25)
    const within = truth.places.length - far.length
    expect(within / truth.places.length, far.map((p) => `${p.city},${p.state_code ?? ''},${p.country_code}`).join('; ')).toBeGreaterThanOrEqual(0.97)
  })

  it('puts every place whose name the truth set shares with another on the right one', () => {
    const counts = new Map<string, number>()
    for (const place of truth.places) counts.set(place.city, (counts.get(place.city) ?? 0) + 1)
    const shared = truth.places.filter((place) => counts.get(place.city)! > 1)
    expect(shared.length).toBeGreaterThan(40)
    for (const name of ['Portland', 'London', 'Córdoba', 'Springfield', 'Birmingham', 'Valencia', 'Santiago']) {
      expect(shared.some((place) => place.city === name), name).toBe(true)
    }
    const wrong = shared.filter((place) => !(distanceOf(place) <= 25))
    expect(wrong.map((p) => `${p.city},${p.state_code ?? ''},${p.country_code}`)).toEqual([])
  })

  it('matches alternate names, accents and case; reports the place under its own name', () => {
    expect(lookup(q('Cologne', 'DE'))).toMatchObject({ name: 'Köln', countryCode: 'DE' })
    expect(lookup(q('cordoba', 'es'))).toMatchObject({ name: 'Córdoba', countryCode: 'ES' })
    expect(lookup(q('LODZ', 'PL'))?.name).toBe('Łódź')
    expect(lookup(q('Saint Etienne', 'FR'))?.name).toBe('Saint-Étienne')
  })

  it('keeps US places inside the asked state, and misses rather than leave it', () => {
    expect(lookup(q('Portland', 'US', 'ME'))).toMatchObject({ stateCode: 'ME' })
    expect(lookup(q('Portland', 'US', 'or'))).toMatchObject({ stateCode: 'OR' })
    expect(lookup(q('Portland', 'US'))).toMatchObject({ stateCode: 'OR' }) // most populous
    expect(lookup(q('Portland', 'US', 'AK'))).toBeUndefined()
  })

  it('uses a state code outside the US only to choose between places that carry it', () => {
    // GeoNames' admin1 for England is ENG; for Ontario it is "08", not ON.
    expect(lookup(q('London', 'GB', 'ENG'))).toMatchObject({ name: 'London', stateCode: 'ENG' })
    expect(lookup(q('London', 'CA', 'ON'))).toMatchObject({ name: 'London', countryCode: 'CA' })
  })

  it('tries a name without its bracket only when the whole name is unknown', () => {
    expect(lookup(q('Frankfurt (Oder)', 'DE'))?.name).toBe('Frankfurt (Oder)')
    expect(lookup(q('Frankfurt', 'DE'))?.name).toBe('Frankfurt am Main')
    expect(lookup(q('Hibbing (Minnesota)', 'US', 'MN'))?.name).toBe('Hibbing')
  })

  it('answers nothing for unknown places, empty names and bad country codes', () => {
    expect(lookup(q('Nowhereville Upon Nothing', 'GB'))).toBeUndefined()
    expect(lookup(q('London', 'ZZ'))).toBeUndefined()
    expect(lookup(q('London', 'GBR'))).toBeUndefined()
    expect(lookup(q(' - ', 'GB'))).toBeUndefined()
  })

  it('answers the same for a query alone as among hundreds', async () => {
    const [alone] = await createGazetteer().lookup([q('Springfield', 'US', 'IL')])
    expect(alone).toMatchObject({ name: 'Springfield', stateCode: 'IL' })
    expect(await createGazetteer().lookup([q('Cologne', 'DE'), q('Cologne', 'DE')])).toEqual([lookup(q('Cologne', 'DE')), lookup(q('Cologne', 'DE'))])
  })
})

describe('reading a gazetteer file', () => {
  let dir: string

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'gazetteer-'))
  })

  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true })
  })

  /** A cities500.txt line: geonameid, name, asciiname, alternatenames, lat, lon, class, code, country, cc2, admin1 … */
  const line = (p: { name: string, ascii?: string, alternates?: string[], lat: number, lon: number, feature?: string, country: string, admin1?: string, population?: number }): string =>
    [1, p.name, p.ascii ?? p.name, (p.alternates ?? []).join(','), p.lat.toFixed(5), p.lon.toFixed(5), 'P', p.feature ?? 'PPL', p.country, '',
      p.admin1 ?? '', '', '', '', String(p.population ?? 0), '', '10', 'Europe/Berlin', '2023-01-01'].join('\t')

  const sample = [
    line({ name: 'Köln', ascii: 'Koeln', alternates: ['Cologne', 'Colonia', 'Кёльн', 'ケルン'], lat: 50.93333, lon: 6.95, country: 'DE', admin1: '07', population: 963395 }),
    line({ name: 'Cologne', lat: 45.57862, lon: 9.9418, country: 'IT', admin1: '09', population: 7032 }),
    line({ name: 'Old Town', lat: 1, lon: 1, feature: 'PPLH', country: 'DE', population: 5000 }),
    line({ name: 'Springfield', lat: 39.80172, lon: -89.64371, country: 'US', admin1: 'IL', population: 116565 }),
    line({ name: 'Springfield', lat: 37.21533, lon: -93.29824, country: 'US', admin1: 'MO', population: 169176 }),
    line({ name: 'Panama City', lat: 9.1, lon: -79.4, country: 'PA', admin1: '8', population: 0 }),
    line({ name: 'Panamá', alternates: ['Panama City'], lat: 8.9936, lon: -79.51973, feature: 'PPLC', country: 'PA', admin1: '8', population: 408168 }),
    line({ name: 'Franklin', lat: 39.55895, lon: -84.30411, country: 'US', admin1: 'OH', population: 11783 }),
    line({ name: 'Columbus', alternates: ['Franklin'], lat: 39.96118, lon: -82.99879, feature: 'PPLA', country: 'US', admin1: 'OH', population: 905748 }),
  ]

  async function write (name: string, text: string): Promise<string> {
    const file = path.join(dir, name)
    await fs.writeFile(file, text)
    return file
  }

  const lookup = async (file: string, queries: GazetteerQuery[], chunkBytes?: number) => scanGazetteer(file, queries, chunkBytes ? { chunkBytes } : {})

  it('reads lines cut by the end of a read, and a last line without a newline', async () => {
    const file = await write('small.txt', sample.join('\n'))
    const [koeln, ascii, italy, franklin, historical, cyrillic] = await lookup(file, [
      q('Cologne', 'DE'), q('Koeln', 'DE'), q('Cologne', 'IT'), q('Franklin', 'US', 'OH'), q('Old Town', 'DE'), q('Кёльн', 'DE'),
    ], 256)
    expect(koeln).toEqual({ name: 'Köln', lat: 50.93333, lon: 6.95, population: 963395, countryCode: 'DE', stateCode: '07' })
    expect(ascii?.name).toBe('Köln')
    expect(italy).toMatchObject({ name: 'Cologne', countryCode: 'IT', stateCode: '09' })
    expect(franklin?.population).toBe(11783)
    expect(historical).toBeUndefined() // PPLH: a historical place is skipped
    expect(cyrillic).toBeUndefined() // names in other scripts are not looked at
    // The last line, without its newline, is read.
    expect((await lookup(file, [q('Columbus', 'US', 'OH')], 256))[0]?.name).toBe('Columbus')
  })

  it("prefers a place's own name to another's alternate name, unless its population is unknown", async () => {
    const file = await write('rank.txt', `${sample.join('\n')}\n`)
    const [franklin, panama, springfield] = await lookup(file, [q('Franklin', 'US', 'OH'), q('Panama City', 'PA'), q('Springfield', 'US')])
    // "Franklin" is also a name GeoNames lists for Columbus (its county): the town called Franklin wins.
    expect(franklin?.name).toBe('Franklin')
    // "Panama City" (population unknown) loses to the capital, which GeoNames calls Panamá.
    expect(panama?.name).toBe('Panamá')
    expect(springfield?.stateCode).toBe('MO')
  })

  it('answers nothing for no queries, and every query of a list, in its order', async () => {
    const file = await write('order.txt', sample.join('\n'))
    expect(await lookup(file, [])).toEqual([])
    const answers = await lookup(file, [q('Springfield', 'US', 'IL'), q('Atlantis', 'GR'), q('Köln', 'de'), q('Köln', 'DEU')])
    expect(answers.map((answer) => answer?.name)).toEqual(['Springfield', undefined, 'Köln', undefined])
  })

  it('refuses a line longer than a read, an empty file and a missing one', async () => {
    await expect(lookup(await write('long.txt', `${sample[0]}\n`), [q('Köln', 'DE')], 32)).rejects.toThrow(/longer than 32 bytes/)
    await expect(lookup(await write('empty.txt', ''), [q('Köln', 'DE')])).rejects.toThrow(/holds no places/)
    await expect(createGazetteer({ file: path.join(dir, 'missing.txt') }).lookup([q('Köln', 'DE')])).rejects.toThrow(/ENOENT/)
  })
})
