import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../helpers/build-app.ts'

describe('GET /v1/tables/{name}', () => {
  let t: TestApp

  beforeAll(async () => { t = await buildTestApp() })
  afterAll(async () => { await t.close() })

  it('answers 400 naming the field for query numbers that are not finite integers in range', async () => {
    const cases: Array<[string, string]> = [
      ['offset=1e20', 'query.offset'],
      ['offset=-Infinity', 'query.offset'],
      ['offset=Infinity', 'query.offset'],
      ['offset=9007199254740993', 'query.offset'],
      ['limit=1e400', 'query.limit'],
      ['limit=Infinity', 'query.limit'],
      ['limit=-Infinity', 'query.limit'],
    ]
    for (const [query, field] of cases) {
      const res = await request(t.app.server).get(`/v1/tables/tracks_played?${query}`)
      expect(res.status, query).toBe(400)
      expect(res.body, query).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field }] })
    }
    const runs = await request(t.app.server).get('/v1/runs?limit=-Infinity')
    expect(runs.status).toBe(400)
    expect(runs.body.details[0].field).toBe('query.limit')
  })

  it('still reads with the largest offset it accepts', async () => {
    const res = await request(t.app.server).get(`/v1/tables/tracks_played?offset=${Number.MAX_SAFE_INTEGER}&limit=5000`)
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ total: 0, limit: 1000, offset: Number.MAX_SAFE_INTEGER, rows: [] })
  })
})
