import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JsonRow } from '../../../src/lake/rows.ts'
import { createWarehouseReader, type WarehouseReader } from '../../../src/stages/warehouse/reader.ts'
import { buildTestApp, closeAndRemove, makeTempDir, type TestApp } from '../../helpers/build-app.ts'
import { sid } from './rows.ts'
import { artists, countingPlays, isrcA, mbids, now, seedSmallLake, timezone } from './small-lake.ts'

let t: TestApp
let reader: WarehouseReader
let build: request.Response

beforeAll(async () => {
  const dir = await makeTempDir()
  await seedSmallLake(dir)
  t = await buildTestApp({ TRACKLAKE_TIMEZONE: timezone }, { now: () => now }, dir)
  build = await request(t.app.server).post('/v1/warehouse/build')
  reader = createWarehouseReader({ file: path.join(dir, 'warehouse.duckdb') })
}, 60_000)

afterAll(async () => {
  await reader?.close()
  await closeAndRemove(t)
})

const one = async (sql: string, params?: Record<string, string | number>) => (await reader.query(sql, params))[0]!

describe('the warehouse build on a small lake (Europe/Berlin)', () => {
  it('builds every model in dependency order and passes every model test', () => {
    expect(build.status).toBe(200)
    const body = build.body
    expect(body).toMatchObject({ done: true, remaining: 0, status: 'complete', builtAt: now.toISOString() })
    const names: string[] = body.models.map((m: { name: string }) => m.name)
    for (const [before, after] of [['stg_tracks_played', 'int_plays'], ['int_plays', 'fact_track_played'], ['int_artists', 'dim_artist'], ['bridge_artist_genre', 'dim_genre'], ['fact_track_played', 'fact_artist_genre']]) {
      expect(names.indexOf(before!), `${before} before ${after}`).toBeLessThan(names.indexOf(after!))
    }
    const marts = body.models.filter((m: { inWarehouse: boolean }) => m.inWarehouse).map((m: { name: string, rows: number | null }) => [m.name, m.rows])
    expect(Object.fromEntries(marts)).toMatchObject({ fact_track_played: countingPlays, dim_time: 1440, fact_artist_genre: null })
    expect(body.tests.failed).toBe(0)
    expect(body.tests.passed).toBe(body.tests.results.length)
    const kinds = new Set(body.tests.results.map((r: { kind: string }) => r.kind))
    expect(kinds).toEqual(new Set(['unique', 'not_null', 'relationships', 'data']))
    expect(body.tests.results.map((r: { name: string }) => r.name)).toEqual(expect.arrayContaining([
      'unique_fact_track_played_play_id',
      'relationships_fact_track_played_artist_id__dim_artist',
      'fact_track_played_reconciles_with_tracks_played',
      'every_played_artist_has_a_dim_artist_row',
    ]))
    expect(body.peakRssBytes).toBeGreaterThan(0)
  })

  it('holds only the marts and the meta schema', async () => {
    const tables = await reader.query("SELECT table_schema || '.' || table_name AS name FROM information_schema.tables ORDER BY 1")
    expect(tables.map((r) => r.name)).toEqual([
      'main.bridge_artist_genre', 'main.dim_album', 'main.dim_artist', 'main.dim_date', 'main.dim_genre', 'main.dim_time',
      'main.dim_track', 'main.fact_artist_genre', 'main.fact_track_played', 'main.rpt_artists', 'main.rpt_ingests', 'main.rpt_plays', 'main.rpt_tracks',
      'meta.build', 'meta.models', 'meta.tests',
    ])
  })

  it('rpt_plays: every play of fact_track_played once, by integer keys that lead back to its artist and track', async () => {
    const rows = await reader.query(`SELECT count(*) AS n FROM rpt_plays r
      JOIN rpt_artists a USING (artist_key) JOIN rpt_tracks t USING (track_key)
      JOIN fact_track_played f ON f.play_id = r.play_id AND f.artist_id = a.artist_id AND f.track_id = t.track_id
        AND f.date = r.date AND f.minute_of_day // 60 = r.hour AND f.played_at = r.played_at AND f.minutes_played IS NOT DISTINCT FROM r.minutes`)
    expect(rows[0]!.n).toBe(countingPlays)
  })

  it('fact_track_played: plays that count, local date and minute across both DST changes, minutes played', async () => {
    const rows = await reader.query(`SELECT play_id, strftime(date, '%Y-%m-%d') AS date, minute_of_day, strftime(played_at_local, '%Y-%m-%d %H:%M') AS local,
      minutes_played, source FROM fact_track_played ORDER BY play_id`)
    const byId = Object.fromEntries(rows.map((r) => [r.play_id, r]))
    expect(rows).toHaveLength(countingPlays)
    expect(byId.p06).toBeUndefined()
    expect(byId.p15).toBeUndefined()
    expect(byId.p01).toMatchObject({ date: '2025-03-30', minute_of_day: 90, local: '2025-03-30 01:30' })
    expect(byId.p02).toMatchObject({ date: '2025-03-30', minute_of_day: 210, local: '2025-03-30 03:30' })
    // Two plays an hour apart in UTC, both at 02:30 local when the clocks went back.
    expect(byId.p03).toMatchObject({ date: '2025-10-26', minute_of_day: 150 })
    expect(byId.p04).toMatchObject({ date: '2025-10-26', minute_of_day: 150 })
    expect(byId.p05).toMatchObject({ date: '2026-01-01', minute_of_day: 30, minutes_played: 3, source: 'spotify-api' })
    expect(byId.p01!.minutes_played).toBeCloseTo(200_000 / 60_000)
    expect(byId.p07!.minutes_played).toBeNull()
  })

  it('every fact row joins every dimension', async () => {
    const orphans = await one(`SELECT count(*) AS n FROM fact_track_played f
      LEFT JOIN dim_date d ON d.date = f.date LEFT JOIN dim_time t ON t.minute_of_day = f.minute_of_day
      LEFT JOIN dim_track tr ON tr.track_id = f.track_id LEFT JOIN dim_album al ON al.album_id = f.album_id
      LEFT JOIN dim_artist ar ON ar.artist_id = f.artist_id
      WHERE d.date IS NULL OR t.minute_of_day IS NULL OR tr.track_id IS NULL OR al.album_id IS NULL OR ar.artist_id IS NULL`)
    expect(orphans.n).toBe(0)
    const genreOrphans = await one(`SELECT count(*) AS n FROM fact_artist_genre g LEFT JOIN dim_genre d ON d.genre = g.genre
      LEFT JOIN dim_artist a ON a.artist_id = g.artist_id WHERE d.genre IS NULL OR a.artist_id IS NULL`)
    expect(genreOrphans.n).toBe(0)
  })

  it('resolves plays without Spotify ids: by ISRC, by MBID, by a unique name, else a synthetic key', async () => {
    const keys = Object.fromEntries((await reader.query('SELECT play_id, track_id, album_id, artist_id FROM fact_track_played')).map((r) => [r.play_id, r]))
    expect(keys.p08).toMatchObject({ track_id: sid('Song A'), album_id: sid('Album A'), artist_id: artists.alpha })
    expect(keys.p09!.artist_id).toBe(artists.alpha)
    expect(keys.p09!.track_id).toMatch(/^name:[0-9a-f]{32}$/)
    expect(keys.p09!.album_id).toBe('unknown')
    expect(keys.p10!.artist_id).toBe(artists.gamma)
    expect(keys.p07!.artist_id).toMatch(/^name:[0-9a-f]{32}$/)
    expect(keys.p12).toMatchObject({ track_id: 'unknown', album_id: 'unknown', artist_id: 'unknown' })
  })

  it('a synthetic key is name: and the md5 of the normalised names under their artist key', async () => {
    const nameKey = (...parts: string[]): string => `name:${createHash('md5').update(parts.join('\x1f')).digest('hex')}`
    const keys = Object.fromEntries((await reader.query("SELECT play_id, track_id, album_id, artist_id FROM fact_track_played WHERE play_id IN ('p07', 'p09')")).map((r) => [r.play_id, r]))
    // p09 names its artist "  alpha " (found by name) and its track "Other Song"; p07's artist "Delta" has no Spotify id.
    expect(keys.p09).toMatchObject({ artist_id: artists.alpha, track_id: nameKey(artists.alpha, 'other song') })
    const delta = nameKey('delta')
    expect(keys.p07).toEqual({ play_id: 'p07', artist_id: delta, track_id: nameKey(delta, 'delta song'), album_id: nameKey(delta, 'delta album') })
  })

  it('dim_artist: every played artist, enriched or not, with genre, location and popularity', async () => {
    const rows = await reader.query('SELECT * FROM dim_artist')
    const byName = Object.fromEntries(rows.map((r) => [r.artist_name, r]))
    expect(rows).toHaveLength(8)
    expect(byName.Alpha).toMatchObject({
      artist_id: artists.alpha,
      artist_key_type: 'spotify',
      artist_mbid: mbids.alpha,
      artist_type: 'Group',
      popularity: 72,
      popularity_group: 'Very Popular',
      primary_genre: 'trip hop',
      primary_genre_source: 'musicbrainz',
      area_source: 'area',
      city: 'Bristol',
      state: 'England',
      state_code: 'ENG',
      country: 'United Kingdom',
      country_code: 'GB',
      continent: 'Europe',
      continent_code: 'EU',
      lat: 51.4545,
      lon: -2.5879,
    })
    expect(byName.Beta).toMatchObject({ popularity: null, popularity_group: 'No Popularity Data', primary_genre: 'pop', primary_genre_source: 'spotify', country: null })
    // Never enriched: the name its Spotify plays give (not the listen's "Gamma Live"), the MBID of its match.
    expect(byName.Gamma).toMatchObject({ artist_id: artists.gamma, artist_mbid: mbids.gamma, primary_genre: 'no genre defined', primary_genre_source: null })
    expect(byName.Delta).toMatchObject({ artist_key_type: 'synthetic', artist_mbid: mbids.delta })
    expect(byName.Zeta).toMatchObject({ artist_id: sid('Zeta'), artist_key_type: 'spotify' })
    // A country-level area gives way to a finer begin area in the same country; a tie in votes goes by name.
    expect(byName.Eta).toMatchObject({ area_source: 'begin_area', city: 'London', country_code: 'GB', lat: 51.5085, primary_genre: 'folk', gender: 'Female' })
    expect(byName.Theta).toMatchObject({ area_source: 'country', country: 'Sweden', country_code: 'SE', continent: 'Europe', city: null, lat: null })
    expect(byName['Unknown artist']).toMatchObject({ artist_id: 'unknown', artist_key_type: 'unknown' })
  })

  it('dim_track and dim_album: Spotify attributes, synthetic and unknown members', async () => {
    const tracks: Record<string, JsonRow> = Object.fromEntries((await reader.query('SELECT * FROM dim_track')).map((r) => [String(r.track_id), r]))
    expect(tracks[sid('Song A')]).toMatchObject({ track_name: 'Song A', artist_name: 'Alpha', artist_track: 'Alpha - Song A', isrc: isrcA, duration_ms: 215_000, duration_label: '3:35', track_length: 'Average', album_id: sid('Album A'), album_name: 'Album A' })
    expect(tracks[sid('Song B')]).toMatchObject({ track_length: 'Very Short', track_length_sort: 1 })
    expect(tracks.unknown).toMatchObject({ track_name: 'Unknown track', artist_id: 'unknown', album_id: 'unknown', track_length: 'Unknown' })
    const delta = Object.values(tracks).find((r) => r.track_name === 'Delta Song')!
    expect(delta).toMatchObject({ track_key_type: 'synthetic', artist_name: 'Delta' })

    const albums: Record<string, JsonRow> = Object.fromEntries((await reader.query("SELECT *, strftime(release_date, '%Y-%m-%d') AS released FROM dim_album")).map((r) => [String(r.album_id), r]))
    expect(albums[sid('Album A')]).toMatchObject({ album_name: 'Album A', album_type: 'album', released: '1998-01-01', release_year: 1998, release_decade: 1990, release_decade_label: '1990s', total_tracks: 10, artist_album: 'Alpha - Album A' })
    expect(albums[sid('Album B')]).toMatchObject({ released: '2024-05-01', release_date_precision: 'month', album_type: 'single' })
    expect(albums.unknown).toMatchObject({ album_name: 'Unknown album' })
    expect(Object.values(albums).find((r) => r.album_name === 'Delta Album')).toMatchObject({ album_key_type: 'synthetic' })
  })

  it('dim_date and dim_time', async () => {
    const range = await one("SELECT strftime(min(date), '%Y-%m-%d') AS first, strftime(max(date), '%Y-%m-%d') AS last, count(*) AS days FROM dim_date")
    expect(range).toEqual({ first: '2019-01-01', last: '2027-12-31', days: 3287 })
    expect(await one("SELECT year, quarter, quarter_name, month, month_name, iso_week, day_of_week, day_name, is_weekend, day_of_month, day_of_year, year_month FROM dim_date WHERE date = DATE '2025-03-30'"))
      .toEqual({ year: 2025, quarter: 1, quarter_name: 'Q1', month: 3, month_name: 'March', iso_week: 13, day_of_week: 7, day_name: 'Sunday', is_weekend: true, day_of_month: 30, day_of_year: 89, year_month: '2025-03' })
    const times = await reader.query('SELECT minute_of_day, hour, minute, time_label, time_of_day, time_of_day_sort FROM dim_time WHERE minute_of_day IN (90, 390, 720, 1439) ORDER BY 1')
    expect(times).toEqual([
      { minute_of_day: 90, hour: 1, minute: 30, time_label: '01:30', time_of_day: 'Night', time_of_day_sort: 4 },
      { minute_of_day: 390, hour: 6, minute: 30, time_label: '06:30', time_of_day: 'Morning', time_of_day_sort: 1 },
      { minute_of_day: 720, hour: 12, minute: 0, time_label: '12:00', time_of_day: 'Afternoon', time_of_day_sort: 2 },
      { minute_of_day: 1439, hour: 23, minute: 59, time_label: '23:59', time_of_day: 'Evening', time_of_day_sort: 3 },
    ])
  })

  it('genres: the bridge, fact_artist_genre, dim_genre with whole-number groups (W16)', async () => {
    const alpha = await reader.query('SELECT genre, genre_source, genre_rank FROM bridge_artist_genre WHERE artist_id = $id ORDER BY genre_rank', { id: artists.alpha })
    expect(alpha).toEqual([
      { genre: 'trip hop', genre_source: 'musicbrainz', genre_rank: 1 },
      { genre: 'rock', genre_source: 'musicbrainz', genre_rank: 2 },
      { genre: 'indie rock', genre_source: 'spotify', genre_rank: 3 },
    ])
    const alphaPlays = await one('SELECT count(*) AS n FROM fact_track_played WHERE artist_id = $id', { id: artists.alpha })
    expect(await one('SELECT count(*) AS n FROM fact_artist_genre WHERE artist_id = $id', { id: artists.alpha })).toEqual({ n: Number(alphaPlays.n) * 3 })
    const genres: Record<string, JsonRow> = Object.fromEntries((await reader.query('SELECT * FROM dim_genre')).map((r) => [String(r.genre), r]))
    expect(Object.keys(genres).sort()).toEqual(['folk', 'indie rock', 'no genre defined', 'pop', 'rock', 'trip hop'])
    // Alpha's three genres tie on plays and minutes: ranked by name.
    expect(genres['indie rock']).toMatchObject({ plays: alphaPlays.n, plays_rank: 1, plays_group: 1, plays_group_label: 'Group 1 (Most Played Genres)' })
    expect(genres['trip hop']).toMatchObject({ plays: alphaPlays.n, plays_rank: 3, plays_group: 3, top_artist_name: 'Alpha', most_popular_artist_name: 'Alpha' })
    expect(genres.folk).toMatchObject({ plays: 1, plays_rank: 5, plays_group: 5, plays_group_label: 'Group 5 (Least Played Genres)', top_artist_name: 'Eta' })
    expect(genres['no genre defined']).toMatchObject({ plays_rank: null, plays_group: null })
    for (const genre of Object.values(genres)) {
      if (genre.plays_group !== null) expect(Number.isInteger(genre.plays_group)).toBe(true)
    }
    // Plays whose artist has no genre stay countable under 'no genre defined'.
    const noGenre = await one("SELECT count(*) AS n FROM fact_artist_genre WHERE genre = 'no genre defined'")
    expect(genres['no genre defined']!.plays).toBe(noGenre.n)
  })

  it('GET /v1/warehouse says when it was built, what it holds and how the tests went', async () => {
    const res = await request(t.app.server).get('/v1/warehouse')
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ built: true, builtAt: now.toISOString(), timezone, lastBuild: { status: 'succeeded', startedAt: now.toISOString() } })
    // Where the files are, relative to the data directory: no answer shows a host path.
    expect(res.body).toMatchObject({ file: 'warehouse.duckdb', maskFile: path.join('seeds', 'mask_artists.csv') })
    expect(res.body.models.map((m: { name: string }) => m.name)).toEqual(['bridge_artist_genre', 'dim_album', 'dim_artist', 'dim_date', 'dim_genre', 'dim_time', 'dim_track', 'fact_artist_genre', 'fact_track_played', 'rpt_artists', 'rpt_ingests', 'rpt_plays', 'rpt_tracks'])
    expect(res.body.models.find((m: { name: string }) => m.name === 'fact_track_played').rows).toBe(countingPlays)
    expect(res.body.tests).toMatchObject({ passed: build.body.tests.passed, failed: 0 })
    expect(res.body.bytes).toBeGreaterThan(0)
  })

  it('the mask file is created with its header, and masks names on the next build', async () => {
    const mask = path.join(t.dataDir, 'seeds', 'mask_artists.csv')
    expect(await fs.readFile(mask, 'utf8')).toBe('artist_id,mask_name\n')
    await fs.writeFile(mask, `artist_id,mask_name\n${artists.beta},Someone\n${artists.beta},"  B., masked "\n`)
    expect((await request(t.app.server).post('/v1/warehouse/build')).status).toBe(200)
    expect(await one('SELECT artist_name, is_masked FROM dim_artist WHERE artist_id = $id', { id: artists.beta })).toEqual({ artist_name: 'B., masked', is_masked: true })
    expect(await one('SELECT artist_name FROM dim_track WHERE track_id = $id', { id: sid('Song B') })).toEqual({ artist_name: 'B., masked' })
    await fs.writeFile(mask, 'artist_id,mask_name\n')
  }, 30_000)
})
