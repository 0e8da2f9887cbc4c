import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGazetteer, defaultGazetteerFile, loadGazetteer, type LoadedGazetteer } from '../../../src/stages/geography/gazetteer.ts'

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

describe('the GeoNames gazetteer against the truth set', () => {
  let gazetteer: LoadedGazetteer

  beforeAll(async () => {
    gazetteer = await loadGazetteer(defaultGazetteerFile())
  })

  const distanceOf = (place: TruthPlace): number => {
    const match = gazetteer.lookup({ city: place.city, countryCode: place.country_code, stateCode: place.state_code })
    return match ? km(place.lat, place.lon, match.lat, match.lon) : Number.POSITIVE_INFINITY
  }

  it('holds the whole of cities500 in a compact form', () => {
    expect(gazetteer.places).toBeGreaterThan(190_000)
    expect(gazetteer.names).toBeGreaterThan(gazetteer.places)
    expect(gazetteer.bytes).toBeLessThan(32 * 1024 * 1024)
  })

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
    expect(gazetteer.lookup({ city: 'Cologne', countryCode: 'DE' })).toMatchObject({ name: 'Köln', countryCode: 'DE' })
    expect(gazetteer.lookup({ city: 'cordoba', countryCode: 'es' })).toMatchObject({ name: 'Córdoba', countryCode: 'ES' })
    expect(gazetteer.lookup({ city: 'LODZ', countryCode: 'PL' })?.name).toBe('Łódź')
    expect(gazetteer.lookup({ city: 'Saint Etienne', countryCode: 'FR' })?.name).toBe('Saint-Étienne')
  })

  it('keeps US places inside the asked state, and misses rather than leave it', () => {
    expect(gazetteer.lookup({ city: 'Portland', countryCode: 'US', stateCode: 'ME' })).toMatchObject({ stateCode: 'ME' })
    expect(gazetteer.lookup({ city: 'Portland', countryCode: 'US', stateCode: 'or' })).toMatchObject({ stateCode: 'OR' })
    expect(gazetteer.lookup({ city: 'Portland', countryCode: 'US' })).toMatchObject({ stateCode: 'OR' }) // most populous
    expect(gazetteer.lookup({ city: 'Portland', countryCode: 'US', stateCode: 'AK' })).toBeUndefined()
  })

  it('uses a state code outside the US only to choose between places that carry it', () => {
    // GeoNames' admin1 for England is ENG; for Ontario it is "08", not ON.
    expect(gazetteer.lookup({ city: 'London', countryCode: 'GB', stateCode: 'ENG' })).toMatchObject({ name: 'London', stateCode: 'ENG' })
    expect(gazetteer.lookup({ city: 'London', countryCode: 'CA', stateCode: 'ON' })).toMatchObject({ name: 'London', countryCode: 'CA' })
  })

  it('tries a name without its bracket only when the whole name is unknown', () => {
    expect(gazetteer.lookup({ city: 'Frankfurt (Oder)', countryCode: 'DE' })?.name).toBe('Frankfurt (Oder)')
    expect(gazetteer.lookup({ city: 'Frankfurt', countryCode: 'DE' })?.name).toBe('Frankfurt am Main')
    expect(gazetteer.lookup({ city: 'Hibbing (Minnesota)', countryCode: 'US', stateCode: 'MN' })?.name).toBe('Hibbing')
  })

  it('answers nothing for unknown places, empty names and bad country codes', () => {
    expect(gazetteer.lookup({ city: 'Nowhereville Upon Nothing', countryCode: 'GB' })).toBeUndefined()
    expect(gazetteer.lookup({ city: 'London', countryCode: 'ZZ' })).toBeUndefined()
    expect(gazetteer.lookup({ city: 'London', countryCode: 'GBR' })).toBeUndefined()
    expect(gazetteer.lookup({ city: ' - ', countryCode: 'GB' })).toBeUndefined()
  })

  it('answers 1,000 distinct lookups well under 2 s once loaded', () => {
    const queries = truth.places.flatMap((place, i) => [0, 1, 2].map((variant) => ({
      city: variant === 0 ? place.city : variant === 1 ? place.city.toUpperCase() : `${place.city} ${i}`,
      countryCode: place.country_code,
      stateCode: place.state_code,
    }))).slice(0, 1000)
    expect(new Set(queries.map((q) => `${q.city}|${q.countryCode}|${q.stateCode ?? ''}`)).size).toBe(1000)
    const started = performance.now()
    for (const query of queries) gazetteer.lookup(query)
    expect(performance.now() - started).toBeLessThan(500)
  })
})

describe('loading a gazetteer file', () => {
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

  it('reads lines cut by the end of a read, and a last line without a newline', async () => {
    const file = await write('small.txt', sample.join('\n'))
    const small = await loadGazetteer(file, { chunkBytes: 256 })
    expect(small.places).toBe(8) // the historical place is skipped
    expect(small.lookup({ city: 'Cologne', countryCode: 'DE' })).toEqual({ name: 'Köln', lat: 50.93333, lon: 6.95, population: 963395, countryCode: 'DE', stateCode: '07' })
    expect(small.lookup({ city: 'Koeln', countryCode: 'DE' })?.name).toBe('Köln')
    expect(small.lookup({ city: 'Cologne', countryCode: 'IT' })).toMatchObject({ name: 'Cologne', countryCode: 'IT', stateCode: '09' })
    expect(small.lookup({ city: 'Franklin', countryCode: 'US', stateCode: 'OH' })?.population).toBe(11783)
    expect(small.lookup({ city: 'Old Town', countryCode: 'DE' })).toBeUndefined()
    expect(small.lookup({ city: 'Кёльн', countryCode: 'DE' })).toBeUndefined() // names in other scripts are not indexed
  })

  it("prefers a place's own name to another's alternate name, unless its population is unknown", async () => {
    const small = await loadGazetteer(await write('rank.txt', `${sample.join('\n')}\n`))
    // "Franklin" is also a name GeoNames lists for Columbus (its county): the town called Franklin wins.
    expect(small.lookup({ city: 'Franklin', countryCode: 'US', stateCode: 'OH' })?.name).toBe('Franklin')
    // "Panama City" (population unknown) loses to the capital, which GeoNames calls Panamá.
    expect(small.lookup({ city: 'Panama City', countryCode: 'PA' })?.name).toBe('Panamá')
    expect(small.lookup({ city: 'Springfield', countryCode: 'US' })?.stateCode).toBe('MO')
  })

  it('refuses a line longer than a read and an empty file', async () => {
    await expect(loadGazetteer(await write('long.txt', `${sample[0]}\n`), { chunkBytes: 32 })).rejects.toThrow(/longer than 32 bytes/)
    await expect(loadGazetteer(await write('empty.txt', ''))).rejects.toThrow(/holds no places/)
  })

  it('loads once, lazily, and tries again after a failed load', async () => {
    const file = path.join(dir, 'later.txt')
    const lazy = createGazetteer({ file })
    expect(lazy.loaded).toBe(false)
    await expect(lazy.lookup({ city: 'Cologne', countryCode: 'DE' })).rejects.toThrow(/ENOENT/)
    await fs.writeFile(file, sample.join('\n'))
    const [a, b] = await Promise.all([lazy.load(), lazy.load()])
    expect(a).toBe(b)
    expect(lazy.loaded).toBe(true)
    expect(await lazy.lookup({ city: 'Cologne', countryCode: 'DE' })).toMatchObject({ name: 'Köln' })
    expect(await lazy.load()).toBe(a)
  })

  it('lets an unused gazetteer go after keepMs, and reads it again on the next call', async () => {
    const file = await write('kept.txt', sample.join('\n'))
    const timers: Array<{ run: () => void, ms: number, cancelled: boolean }> = []
    const scheduleRelease = (run: () => void, ms: number) => {
      const timer = { run, ms, cancelled: false }
      timers.push(timer)
      return { cancel: () => { timer.cancelled = true } }
    }
    const gazetteer = createGazetteer({ file, keepMs: 1000, scheduleRelease })
    const first = await gazetteer.load()
    expect(await gazetteer.load()).toBe(first)
    // Each call starts the interval again: only the last timer is live.
    expect(timers.map((t) => t.cancelled)).toEqual([true, false])
    expect(timers[1]!.ms).toBe(1000)
    timers[1]!.run()
    expect(gazetteer.loaded).toBe(false)
    const second = await gazetteer.load()
    expect(second).not.toBe(first)
    expect(second.lookup({ city: 'Cologne', countryCode: 'DE' })).toMatchObject({ name: 'Köln' })
  })

  it('lets a loaded gazetteer go when released, and keeps one still loading', async () => {
    const file = await write('released.txt', sample.join('\n'))
    const timers: Array<{ cancelled: boolean }> = []
    const gazetteer = createGazetteer({ file, scheduleRelease: () => { const timer = { cancelled: false }; timers.push(timer); return { cancel: () => { timer.cancelled = true } } } })
    const loading = gazetteer.load()
    gazetteer.release()
    const first = await loading
    expect(gazetteer.loaded).toBe(true)
    gazetteer.release()
    expect(gazetteer.loaded).toBe(false)
    expect(timers.every((t) => t.cancelled)).toBe(true)
    const second = await gazetteer.load()
    expect(second).not.toBe(first)
    expect(gazetteer.loaded).toBe(true)
  })

  it('keeps a gazetteer still loading when its interval ends', async () => {
    const file = await write('slow.txt', sample.join('\n'))
    const timers: Array<() => void> = []
    const gazetteer = createGazetteer({ file, scheduleRelease: (run) => { timers.push(run); return { cancel: () => {} } } })
    const loading = gazetteer.load()
    timers[0]!()
    expect(timers).toHaveLength(2)
    const loaded = await loading
    expect(await gazetteer.load()).toBe(loaded)
  })
})
