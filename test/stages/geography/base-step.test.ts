import fs from 'node:fs/promises'
import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import { buildTestApp, makeTempDir, type TestApp } from '../../helpers/build-app.ts'
import { tableRows } from '../../helpers/granular.ts'
import { areaRow, mbid, sampleAreas, seedMusicBrainz } from './seed.ts'

let t: TestApp | undefined

afterEach(async () => {
  await t?.close()
  if (t) await fs.rm(t.dataDir, { recursive: true, force: true })
  t = undefined
})

async function appWith (areas: Array<Record<string, unknown>>, now?: () => Date): Promise<TestApp> {
  const dir = await makeTempDir()
  await seedMusicBrainz(dir, { areas })
  t = await buildTestApp({}, now ? { now } : {}, dir)
  return t
}

const byId = (rows: Array<Record<string, any>>) => new Map(rows.map((row) => [row.area_id, row]))
const base = (app: TestApp, body: object = {}) => request(app.app.server).post('/v1/geography/base').send(body)

describe('POST /v1/geography/base', () => {
  it('adds continent, codes and params to every area row, and says which rows lack a city or a country', async () => {
    const app = await appWith(sampleAreas(), () => new Date('2026-11-01T00:00:00Z'))
    const answer = await base(app)
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ done: true, processed: 13, remaining: 0, status: 'complete', withoutCity: 2, withoutCountry: 1 })

    const rows = byId(await tableRows(app.app, 'mbz_area_hierarchy'))
    const geo = (n: number) => {
      const { continent, continent_code, country_code, state_code, params } = rows.get(mbid(n))!
      return { continent, continent_code, country_code, state_code, params }
    }
    expect(geo(1)).toEqual({ continent: 'North America', continent_code: 'NA', country_code: 'US', state_code: 'OR', params: 'Portland,OR,US' })
    expect(geo(2)).toMatchObject({ state_code: 'ME', params: 'Portland,ME,US' })
    expect(geo(3)).toEqual({ continent: 'Europe', continent_code: 'EU', country_code: 'GB', state_code: 'ENG', params: 'London,GB' })
    expect(geo(4)).toMatchObject({ continent_code: 'NA', state_code: 'ON', params: 'London,CA' })
    // The territory rule: Puerto Rico is PR, not a US state.
    expect(geo(5)).toEqual({ continent: 'North America', continent_code: 'NA', country_code: 'PR', state_code: null, params: 'San Juan,PR' })
    // MusicBrainz had no country code: it comes from GB-WLS.
    expect(geo(6)).toMatchObject({ country_code: 'GB', state_code: 'WLS', params: 'Cardiff,GB' })
    // UN M49: Russia is in Europe.
    expect(geo(7)).toEqual({ continent: 'Europe', continent_code: 'EU', country_code: 'RU', state_code: null, params: 'Moscow,RU' })
    expect(geo(8).params).toBe('Copenhagen,DK')
    expect(geo(9)).toEqual({ continent: 'Europe', continent_code: 'EU', country_code: 'FR', state_code: null, params: null })
    // [Worldwide]: no country, no continent; MusicBrainz's own code stays.
    expect(geo(10)).toEqual({ continent: null, continent_code: null, country_code: 'XW', state_code: null, params: null })
    for (const row of rows.values()) expect(row.geo_at).toBe('2026-11-01T00:00:00.000Z')
  })

  it('leaves every column the MusicBrainz stage wrote as it was', async () => {
    const seeded = sampleAreas()
    const app = await appWith(seeded)
    const before = byId(await tableRows(app.app, 'mbz_area_hierarchy'))
    await base(app)
    const after = byId(await tableRows(app.app, 'mbz_area_hierarchy'))
    const geoColumns = ['continent', 'continent_code', 'country_code', 'state_code', 'params', 'geo_at']
    const withoutGeo = (row: Record<string, any>) => Object.fromEntries(Object.entries(row).filter(([k]) => !geoColumns.includes(k)))
    expect(after.size).toBe(seeded.length)
    for (const [id, row] of before) expect(withoutGeo(after.get(id)!)).toEqual(withoutGeo(row))
    expect(after.get(mbid(1))!.path).toHaveLength(4)
    expect(after.get(mbid(1))!.county).toBe('Multnomah County')
  })

  it('is idempotent: rows with geography are left alone, and only a new row is done next time', async () => {
    const app = await appWith(sampleAreas())
    await base(app)
    const first = await tableRows(app.app, 'mbz_area_hierarchy')
    expect((await base(app)).body).toEqual({ done: true, processed: 0, remaining: 0, status: 'complete', withoutCity: 0, withoutCountry: 0 })
    expect(await tableRows(app.app, 'mbz_area_hierarchy')).toEqual(first)

    // The MusicBrainz stage adds an area (and, say, re-writes one without its geography).
    await t!.close()
    await seedMusicBrainz(app.dataDir, { areas: [areaRow(20, { city: 'Nashville', subdivision_code: 'US-TN', country_code: 'US' })] })
    t = await buildTestApp({}, {}, app.dataDir)
    const next = await base(t)
    expect(next.body).toMatchObject({ done: true, processed: 1, remaining: 0 })
    const rows = byId(await tableRows(t.app, 'mbz_area_hierarchy'))
    expect(rows.get(mbid(20))!.params).toBe('Nashville,TN,US')
    expect(rows.get(mbid(1))!.geo_at).toBe(first.find((r) => r.area_id === mbid(1))!.geo_at)
  })

  it('works in a time box: stops between chunks and answers done: false', async () => {
    let clock = Date.parse('2026-11-01T00:00:00Z')
    const areas = Array.from({ length: 5001 }, (_, i) => areaRow(1000 + i, { city: `Town ${i}`, country_code: 'SE' }))
    // Each reading of the clock moves it on 10 s: the first chunk outlasts a 1 s box.
    const app = await appWith(areas, () => new Date(clock += 10_000))
    const first = await base(app, { maxSeconds: 1 })
    expect(first.body).toMatchObject({ done: false, processed: 5000, remaining: 1 })
    expect((await base(app, { maxSeconds: 1 })).body).toMatchObject({ done: true, processed: 1, remaining: 0 })
  })

  it('answers an empty lake with nothing to do', async () => {
    const app = await appWith([])
    expect((await base(app)).body).toEqual({ done: true, processed: 0, remaining: 0, status: 'complete', withoutCity: 0, withoutCountry: 0 })
    expect((await base(app, { other: 1 })).status).toBe(400)
  })
})
