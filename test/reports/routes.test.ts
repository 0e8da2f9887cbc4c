import fs from 'node:fs/promises'
import path from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeTempDir, type TestApp } from '../helpers/build-app.ts'
import { countingPlays } from '../stages/warehouse/small-lake.ts'
import { addPlays, artists, maskedAlpha, playsAfterBuild, recentPlays, reportApp, seedReportLake } from './report-lake.ts'

/** Plays that count in the warehouse: the small lake's and the three recent ones. */
const warehousePlays = countingPlays + recentPlays.length

describe('the reports without a warehouse', () => {
  let t: TestApp
  let dir: string

  beforeAll(async () => {
    dir = await makeTempDir()
    await seedReportLake(dir)
    t = (await reportApp(dir)).t
  })
  afterAll(async () => {
    await t?.close()
    await fs.rm(dir, { recursive: true, force: true })
  })

  it('GET /v1/reports says there is none, how to build it, and how many plays the lake holds', async () => {
    const res = await request(t.app.server).get('/v1/reports')
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ built: false, builtAt: null, plays: 0, lakePlays: warehousePlays })
    expect(res.body.howToBuild).toContain('POST /v1/warehouse/build')
  })

  it('every report answers 404 WAREHOUSE_NOT_BUILT', async () => {
    for (const path of ['/v1/reports/recent', '/v1/reports/time', '/v1/reports/genres', '/v1/reports/places']) {
      const res = await request(t.app.server).get(path)
      expect(res.status, path).toBe(404)
      expect(res.body.code, path).toBe('WAREHOUSE_NOT_BUILT')
    }
  })
})

describe('the reports on a warehouse built before the report marts', () => {
  it('reads as not built yet, saying how to build it, rather than failing', async () => {
    const dir = await makeTempDir()
    try {
      await seedReportLake(dir)
      const first = await reportApp(dir)
      await first.build()
      await first.t.close()
      // What an older tracklake built: the same warehouse without rpt_*.
      const instance = await DuckDBInstance.create(path.join(dir, 'warehouse.duckdb'))
      const conn = await instance.connect()
      for (const table of ['rpt_plays', 'rpt_artists', 'rpt_tracks', 'rpt_ingests']) await conn.run(`DROP TABLE ${table}`)
      conn.closeSync()
      instance.closeSync()
      const { t } = await reportApp(dir)
      try {
        const overview = await request(t.app.server).get('/v1/reports')
        expect(overview.status).toBe(200)
        expect(overview.body).toMatchObject({ built: false, lakePlays: warehousePlays })
        const time = await request(t.app.server).get('/v1/reports/time')
        expect(time.status).toBe(404)
        expect(time.body).toMatchObject({ code: 'WAREHOUSE_NOT_BUILT' })
        expect(time.body.message).toContain('POST /v1/warehouse/build')
      } finally {
        await t.close()
      }
    } finally {
      await fs.rm(dir, { recursive: true, force: true })
    }
  }, 60_000)
})

describe('the reports on the small warehouse (Europe/Berlin), with plays that arrived after the build', () => {
  let t: TestApp
  let dir: string
  const get = async (path: string) => {
    const res = await request(t.app.server).get(path)
    expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(200)
    return res.body
  }

  beforeAll(async () => {
    dir = await makeTempDir()
    await seedReportLake(dir)
    const first = await reportApp(dir)
    await first.build()
    await first.t.close()
    await addPlays(dir, playsAfterBuild)
    t = (await reportApp(dir)).t
  }, 60_000)
  afterAll(async () => {
    await t?.close()
    await fs.rm(dir, { recursive: true, force: true })
  })

  it('GET /v1/reports: when it was built, its plays and dates, and the lake\'s plays since', async () => {
    expect(await get('/v1/reports')).toMatchObject({
      built: true,
      builtAt: '2026-02-15T12:00:00.000Z',
      timezone: 'Europe/Berlin',
      plays: warehousePlays,
      firstDate: '2019-06-01',
      lastDate: '2026-02-15',
      lakePlays: warehousePlays + playsAfterBuild.length,
    })
  })

  describe('recent', () => {
    it('the last 24 hours: the warehouse\'s plays and the lake\'s newer ones, distinct tracks (not plays), masked names', async () => {
      const body = await get('/v1/reports/recent')
      expect(body.window).toEqual({
        kind: 'rolling', hours: 24, start: '2026-02-14T12:00:00.000Z', end: '2026-02-15T12:00:00.000Z', from: null, to: null, timezone: 'Europe/Berlin',
      })
      // r01 (4 min) and r02 (2.5 min) from the warehouse; n01 (3 min) and n02 (no length known) from the lake.
      expect(body.totals).toEqual({ plays: 4, minutes: 9.5, artists: 3, tracks: 3 })
      expect(body.newSinceBuild).toBe(2)
      expect(body.topArtists).toEqual([
        { artistId: artists.alpha, name: maskedAlpha, plays: 2, minutes: 7, tracks: 1 },
        { artistId: artists.beta, name: 'Beta', plays: 1, minutes: 2.5, tracks: 1 },
        { artistId: 'name:newcomer', name: 'Newcomer', plays: 1, minutes: 0, tracks: 1 },
      ])
      expect(body.topTracks[0]).toMatchObject({ name: 'Song A', artist: maskedAlpha, plays: 2, minutes: 7 })
      expect(body.latest.map((p: { track: string }) => p.track)).toEqual(['Fresh Song', 'Song A', 'Song A', 'Song B'])
      expect(body.latest[0]).toMatchObject({ local: '2026-02-15 12:30', artist: 'Newcomer', minutes: null, source: 'listenbrainz', playedAt: '2026-02-15T11:30:00.000Z' })
      expect(body.latest[1]).toMatchObject({ artist: maskedAlpha, album: 'Album A', minutes: 3, source: 'spotify-api' })
    })

    it('a timeline of every local hour of the window, empty hours included', async () => {
      const { timeline } = await get('/v1/reports/recent')
      expect(timeline.unit).toBe('hour')
      expect(timeline.points).toHaveLength(24)
      expect(timeline.points[0]).toEqual({ start: '2026-02-14 13:00', plays: 0, minutes: 0 })
      expect(timeline.points.at(-1)).toEqual({ start: '2026-02-15 12:00', plays: 2, minutes: 3 })
      expect(timeline.points.find((p: { start: string }) => p.start === '2026-02-15 09:00')).toEqual({ start: '2026-02-15 09:00', plays: 1, minutes: 4 })
      expect(timeline.points.reduce((n: number, p: { plays: number }) => n + p.plays, 0)).toBe(4)
    })

    it('hours narrows the window; from/to takes local dates instead', async () => {
      expect((await get('/v1/reports/recent?hours=1')).totals.plays).toBe(2)
      const day = await get('/v1/reports/recent?from=2026-02-14&to=2026-02-14')
      expect(day.window).toMatchObject({ kind: 'dates', hours: null, start: null, from: '2026-02-14', to: '2026-02-14' })
      expect(day.totals).toEqual({ plays: 2, minutes: 5, artists: 1, tracks: 1 })
      expect(day.timeline).toEqual({ unit: 'day', points: [{ start: '2026-02-14', plays: 2, minutes: 5 }] })
      const all = await get('/v1/reports/recent?from=2019-01-01&limit=2')
      expect(all.totals.plays).toBe(warehousePlays + playsAfterBuild.length)
      expect(all.topArtists).toHaveLength(2)
      expect(all.timeline.unit).toBe('month')
    })
  })

  describe('time', () => {
    it('plays and minutes by year, month, weekday and hour, every bucket present, adding up', async () => {
      const body = await get('/v1/reports/time')
      expect(body.range).toEqual({ from: null, to: null, timezone: 'Europe/Berlin' })
      expect(body.totals).toMatchObject({ plays: warehousePlays, firstDate: '2019-06-01', lastDate: '2026-02-15' })
      expect(body.byYear.map((y: { year: number }) => y.year)).toEqual([2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026])
      expect(body.byYear.find((y: { year: number }) => y.year === 2020).plays).toBe(0)
      expect(body.byMonth[0].month).toBe('2019-06')
      expect(body.byMonth.at(-1).month).toBe('2026-02')
      expect(body.byMonthOfYear).toHaveLength(12)
      expect(body.byWeekday.map((d: { name: string }) => d.name)).toEqual(['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'])
      expect(body.byHour).toHaveLength(24)
      expect(body.byWeekdayHour).toHaveLength(168)
      for (const list of ['byYear', 'byMonth', 'byMonthOfYear', 'byWeekday', 'byHour', 'byTimeOfDay', 'byWeekdayHour']) {
        expect(body[list].reduce((n: number, b: { plays: number }) => n + b.plays, 0), list).toBe(warehousePlays)
      }
      expect(body.byTimeOfDay.map((p: { timeOfDay: string }) => p.timeOfDay)).toEqual(['Morning', 'Afternoon', 'Evening', 'Night'])
      // Both plays of 2025-10-26 started at 02:30 local, an hour apart in UTC (the clocks went back): Sunday, 2 a.m.
      expect(body.byWeekdayHour.find((c: { weekday: number, hour: number }) => c.weekday === 7 && c.hour === 2).plays).toBe(2)
      expect(body.byHour[2]).toMatchObject({ hour: 2, timeOfDay: 'Night' })
    })

    it('the date range and the continent and country filters narrow it', async () => {
      expect((await get('/v1/reports/time?from=2025-11-01&to=2025-11-30')).totals.plays).toBe(8)
      expect((await get('/v1/reports/time?country=GB')).totals.plays).toBe(8)
      expect((await get('/v1/reports/time?continent=EU')).totals.plays).toBe(9)
      expect((await get('/v1/reports/time?continent=EU&country=SE')).totals.plays).toBe(1)
      const none = await get('/v1/reports/time?country=US')
      expect(none.totals).toMatchObject({ plays: 0, firstDate: null })
      expect(none.byYear).toEqual([])
      expect(none.byHour).toHaveLength(24)
    })
  })

  describe('genres', () => {
    it('plays by primary genre (adding up to the plays with a genre) and by every genre of the artist', async () => {
      const body = await get('/v1/reports/genres')
      expect(body.totals).toEqual({ plays: warehousePlays, minutes: expect.any(Number), withoutGenre: 5, genres: 5 })
      expect(body.genres.map((g: { genre: string }) => g.genre)).toEqual(['trip hop', 'pop', 'folk', 'indie rock', 'rock'])
      expect(body.genres[0]).toEqual({ genre: 'trip hop', plays: 7, minutes: expect.any(Number), artists: 1, taggedPlays: 7, taggedArtists: 1, topArtist: maskedAlpha })
      expect(body.genres[1]).toMatchObject({ genre: 'pop', plays: 4, taggedPlays: 5, taggedArtists: 2, topArtist: 'Beta' })
      expect(body.genres[3]).toMatchObject({ genre: 'indie rock', plays: 0, taggedPlays: 7, topArtist: null })
      const primary = body.genres.reduce((n: number, g: { plays: number }) => n + g.plays, 0)
      expect(primary + body.totals.withoutGenre).toBe(warehousePlays)
      expect(body.selection).toMatchObject({ genres: [], plays: warehousePlays })
      expect(body.topArtists[0]).toMatchObject({ name: maskedAlpha, plays: 7, primaryGenre: 'trip hop', genres: ['trip hop', 'rock', 'indie rock'] })
    })

    it('the top artists within the chosen genres, with the chosen genres they have', async () => {
      const body = await get('/v1/reports/genres?genre=pop&genre=folk')
      // Beta: two plays in October 2025, two in February 2026; Eta: one in November 2025.
      expect(body.selection).toMatchObject({ genres: ['pop', 'folk'], plays: 5, artists: 2, byYear: [{ year: 2025, plays: 3, minutes: expect.any(Number) }, { year: 2026, plays: 2, minutes: expect.any(Number) }] })
      expect(body.topArtists.map((a: { name: string, genres: string[] }) => [a.name, a.genres])).toEqual([['Beta', ['pop']], ['Eta', ['folk', 'pop']]])
      expect((await get('/v1/reports/genres?genre=no%20such%20genre')).topArtists).toEqual([])
      expect((await get('/v1/reports/genres?limit=2&artists=1')).genres).toHaveLength(2)
      expect((await get('/v1/reports/genres?from=2026-02-14')).genres.map((g: { genre: string }) => g.genre)).toEqual(['pop', 'trip hop', 'indie rock', 'rock'])
    })
  })

  describe('places', () => {
    it('plays per city with coordinates, per country and per continent; unknown origins counted apart', async () => {
      const body = await get('/v1/reports/places')
      expect(body.totals).toEqual({ plays: warehousePlays, minutes: expect.any(Number), withCountry: 9, withCoordinates: 8, unknownPlace: warehousePlays - 9 })
      expect(body.continents).toEqual([{ code: 'EU', name: 'Europe', lat: 51, lon: 14, plays: 9, minutes: expect.any(Number), artists: 3, topArtist: maskedAlpha, countries: 2 }])
      expect(body.countries.map((c: { code: string, plays: number }) => [c.code, c.plays])).toEqual([['GB', 8], ['SE', 1]])
      // Sweden has no city: its bubble sits in the middle of the country.
      expect(body.countries[1]).toMatchObject({ name: 'Sweden', cities: 0, lat: expect.closeTo(62.8, 0), lon: expect.closeTo(16.7, 0) })
      expect(body.cities).toEqual([
        { name: 'Bristol', state: 'England', countryCode: 'GB', country: 'United Kingdom', continentCode: 'EU', continent: 'Europe', lat: 51.4545, lon: -2.5879, plays: 7, minutes: expect.any(Number), artists: 1, topArtist: maskedAlpha },
        { name: 'London', state: 'England', countryCode: 'GB', country: 'United Kingdom', continentCode: 'EU', continent: 'Europe', lat: 51.5085, lon: -0.1257, plays: 1, minutes: expect.any(Number), artists: 1, topArtist: 'Eta' },
      ])
      expect(body.options).toEqual({
        continents: [{ code: 'EU', name: 'Europe', plays: 9 }],
        countries: [{ code: 'SE', name: 'Sweden', continentCode: 'EU', plays: 1 }, { code: 'GB', name: 'United Kingdom', continentCode: 'EU', plays: 8 }],
      })
    })

    it('the continent and country filters narrow every list but the options', async () => {
      const sweden = await get('/v1/reports/places?continent=EU&country=SE')
      expect(sweden.totals).toMatchObject({ plays: 1, withCoordinates: 0 })
      expect(sweden.countries.map((c: { code: string }) => c.code)).toEqual(['SE'])
      expect(sweden.cities).toEqual([])
      expect(sweden.options.countries).toHaveLength(2)
      const elsewhere = await get('/v1/reports/places?continent=AS')
      expect(elsewhere).toMatchObject({ continents: [], countries: [], cities: [], options: { countries: [] } })
      expect(elsewhere.options.continents).toHaveLength(1)
      expect((await get('/v1/reports/places?limit=1')).cities).toHaveLength(1)
      expect((await get('/v1/reports/places?from=2026-01-01')).totals).toMatchObject({ plays: 4, withCountry: 1 })
    })
  })

  it('answers 400 naming the field for a bad range or filter', async () => {
    const cases: Array<[string, string]> = [
      ['/v1/reports/time?from=2025-02-01&to=2025-01-31', 'query.to'],
      ['/v1/reports/time?from=2025-02-30', 'query.from'],
      ['/v1/reports/recent?hours=24&from=2025-01-01', 'query.hours'],
      ['/v1/reports/recent?hours=0', 'query.hours'],
      ['/v1/reports/places?continent=XX', 'query.continent[0]'],
      ['/v1/reports/places?country=gb', 'query.country[0]'],
      ['/v1/reports/genres?limit=0', 'query.limit'],
      ['/v1/reports/genres?genre=', 'query.genre[0]'],
      ['/v1/reports/places?contient=EU', 'query.contient'],
    ]
    for (const [path, field] of cases) {
      const res = await request(t.app.server).get(path)
      expect(res.status, path).toBe(400)
      expect(res.body.code, path).toBe('VALIDATION_FAILED')
      expect(res.body.details?.map((d: { field: string }) => d.field), path).toContain(field)
    }
  })
})

describe('the reports behind the token', () => {
  it('/v1/reports needs the bearer token', async () => {
    const dir = await makeTempDir()
    const { t } = await reportApp(dir, { TRACKLAKE_API_TOKEN: 'secret-token' })
    try {
      for (const path of ['/v1/reports', '/v1/reports/recent', '/v1/reports/places']) {
        expect((await request(t.app.server).get(path)).status, path).toBe(401)
      }
      const res = await request(t.app.server).get('/v1/reports').set('authorization', 'Bearer secret-token')
      expect(res.status).toBe(200)
      expect(res.body).toMatchObject({ built: false, lakePlays: 0 })
    } finally {
      await t.close()
      await fs.rm(dir, { recursive: true, force: true })
    }
  })
})
