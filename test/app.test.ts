import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './helpers/build-app.ts'

describe('app', () => {
  let t: TestApp

  beforeAll(async () => { t = await buildTestApp() })
  afterAll(async () => { await t.close() })

  it('answers unknown routes with a JSON 404', async () => {
    const res = await request(t.app.server).get('/v1/nothing-here')
    expect(res.status).toBe(404)
    expect(res.body).toMatchObject({ statusCode: 404, code: 'ROUTE_NOT_FOUND' })
    expect(res.body.message).toContain('/v1/nothing-here')
    const long = await request(t.app.server).get(`/v1/${'x'.repeat(10_000)}`)
    expect(long.status).toBe(404)
    expect(long.body.message.length).toBeLessThan(400)
  })

  it('answers a bad body with 400 naming the field', async () => {
    const res = await request(t.app.server).post('/v1/spotify/artists/fetch').send({ offset: -1 })
    expect(res.status).toBe(400)
    expect(res.body.code).toBe('VALIDATION_FAILED')
    expect(res.body.details[0].field).toMatch(/^body\.(planId|offset)$/)
    expect(res.body.message).toContain(res.body.details[0].field)
  })

  it('takes only what the lake can store: integers within the column type, strict date-times, lone surrogates repaired', async () => {
    const own = await buildTestApp()
    const artist = { artist_id: '0OdUWJ0sBjDrqHygGUXeCF', artist_name: 'Band of Horses' }
    const write = (record: Record<string, unknown>) => request(own.app.server).post('/v1/spotify/artists/write').send({ records: [{ ...artist, ...record }] })
    for (const [field, value] of [['followers', 2 ** 63], ['popularity', 101], ['fetched_at', '2016-12-31T23:59:60Z'], ['fetched_at', '2024-02-30T00:00:00Z'], ['fetched_at', '0000-01-01T00:00:00Z']] as const) {
      const res = await write({ [field]: value })
      expect(res.status, `${field} ${value}`).toBe(400)
      expect(res.body.details[0].field).toBe(`body.records[0].${field}`)
    }
    const album = await request(own.app.server).post('/v1/spotify/albums/write').send({ records: [{ album_id: '4OHNH3sDzIxnmUADXzv2kT', album_name: 'X', total_tracks: 2 ** 31 }] })
    expect(album.body.details[0].field).toBe('body.records[0].total_tracks')
    const repaired = await write({ artist_name: 'Band \ud800 of Horses' })
    expect(repaired.status).toBe(200)
    expect(repaired.body.records).toMatchObject({ inserted: 1, repaired: 1 })
    const [row] = (await request(own.app.server).get('/v1/tables/spotify_artists')).body.rows
    expect(row.artist_name).toBe('Band \ufffd of Horses')
    await own.close()
  })

  it('names nested fields with their index', async () => {
    const res = await request(t.app.server).post('/v1/spotify/artists/write').send({ records: [{ artist_id: 'short', artist_name: 'X' }] })
    expect(res.status).toBe(400)
    expect(res.body.details[0]).toEqual({ field: 'body.records[0].artist_id', problem: expect.stringContaining('pattern') })
  })

  it('answers malformed JSON with 400', async () => {
    const res = await request(t.app.server).post('/v1/spotify/artists/plan').set('content-type', 'application/json').send('{"limit": ')
    expect(res.status).toBe(400)
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'body' }] })
    expect(res.body.message).toMatch(/not valid JSON/)
  })

  it('answers a bad query string with 400 naming the parameter', async () => {
    const res = await request(t.app.server).get('/v1/tables/tracks_played?limit=abc')
    expect(res.status).toBe(400)
    expect(res.body.details[0].field).toBe('query.limit')
    const zero = await request(t.app.server).get('/v1/tables/tracks_played?limit=0')
    expect(zero.status).toBe(400)
    expect(zero.body.message).toContain('query.limit')
    const capped = await request(t.app.server).get('/v1/tables/tracks_played?limit=5000')
    expect(capped.status).toBe(200)
    expect(capped.body.limit).toBe(1000)
  })

  it('is alive and ready', async () => {
    expect((await request(t.app.server).get('/health')).body.status).toBe('ok')
    const ready = await request(t.app.server).get('/ready')
    expect(ready.status).toBe(200)
    expect(ready.body.checks).toEqual({ lakeWritable: { ok: true }, duckdb: { ok: true } })
  })

  it('lists the lake tables and reads one, 404 for an unknown one', async () => {
    const list = await request(t.app.server).get('/v1/tables')
    expect(list.body.tables.map((x: { name: string }) => x.name)).toContain('tracks_played')
    expect(list.body.tables[0]).toMatchObject({ rowCount: 0, bytes: expect.any(Number), lastWriteAt: null })
    const rows = await request(t.app.server).get('/v1/tables/spotify_artists?limit=10&offset=0')
    expect(rows.body).toEqual({ table: 'spotify_artists', total: 0, limit: 10, offset: 0, rows: [] })
    const missing = await request(t.app.server).get('/v1/tables/secrets')
    expect(missing.status).toBe(404)
    expect(missing.body.code).toBe('TABLE_NOT_FOUND')
  })

  it('answers 503 naming the variables for a step that is not configured, and records the run', async () => {
    const res = await request(t.app.server).post('/v1/spotify/albums/plan').send({})
    expect(res.status).toBe(503)
    expect(res.body.message).toContain('SPOTIFY_CLIENT_ID')
    const runs = await request(t.app.server).get('/v1/runs?limit=5')
    expect(runs.body.runs[0]).toMatchObject({ step: 'spotify.albums.plan', status: 'error', httpStatus: 503, error: expect.stringContaining('SPOTIFY_CLIENT_ID') })
  })

  it('answers 404 for an unknown plan', async () => {
    const res = await request(t.app.server).get('/v1/plans/spotify-artists-nope')
    expect(res.status).toBe(404)
    expect(res.body.code).toBe('PLAN_NOT_FOUND')
  })

  it('serves Swagger UI at /docs', async () => {
    const res = await request(t.app.server).get('/docs').redirects(2)
    expect(res.status).toBe(200)
    expect(res.text.toLowerCase()).toContain('swagger')
  })
})

describe('bearer token', () => {
  let t: TestApp
  const token = 'a-long-enough-test-token'

  beforeAll(async () => { t = await buildTestApp({ TRACKLAKE_API_TOKEN: token }) })
  afterAll(async () => { await t.close() })

  it('needs the token on /v1 routes', async () => {
    const missing = await request(t.app.server).get('/v1/tables')
    expect(missing.status).toBe(401)
    expect(missing.headers['www-authenticate']).toContain('Bearer')
    expect(missing.body).toMatchObject({ code: 'UNAUTHORIZED', details: [{ field: 'headers.authorization', problem: 'is missing' }] })
    const wrong = await request(t.app.server).get('/v1/tables').set('authorization', 'Bearer wrong-token')
    expect(wrong.status).toBe(401)
    expect(JSON.stringify(wrong.body)).not.toContain(token)
    const right = await request(t.app.server).get('/v1/tables').set('authorization', `Bearer ${token}`)
    expect(right.status).toBe(200)
  })

  it('cannot be bypassed by percent-encoding the path', async () => {
    for (const url of ['/%761/tables', '/v%31/tables', '/%76%31/runs', '/v1/%74ables']) {
      const res = await request(t.app.server).get(url)
      expect(res.status, url).toBe(401)
    }
    const post = await request(t.app.server).post('/%761/ingest/listenbrainz')
    expect(post.status).toBe(401)
  })

  it('answers 401, not 404, for paths that match no route', async () => {
    expect((await request(t.app.server).get('/v2/secret')).status).toBe(401)
    const res = await request(t.app.server).get('/v2/secret').set('authorization', `Bearer ${token}`)
    expect(res.status).toBe(404)
  })

  it('keeps /health, /ready and /docs open', async () => {
    expect((await request(t.app.server).get('/docs')).status).toBeLessThan(400)
    expect((await request(t.app.server).get('/docs/static/swagger-initializer.js')).status).toBe(200)
    expect((await request(t.app.server).get('/health')).status).toBe(200)
    expect((await request(t.app.server).get('/ready')).status).toBe(200)
    expect((await request(t.app.server).get('/docs/json')).status).toBe(200)
  })

  it('checks the token before validating the body', async () => {
    const res = await request(t.app.server).post('/v1/spotify/artists/fetch').send({})
    expect(res.status).toBe(401)
  })
})
