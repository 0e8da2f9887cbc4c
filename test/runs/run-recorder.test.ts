import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../helpers/build-app.ts'

describe('run records', () => {
  let t: TestApp

  beforeAll(async () => { t = await buildTestApp() })
  afterAll(async () => { await t.close() })

  it('keep a short line whatever the request carried', async () => {
    await request(t.app.server).post('/v1/spotify/artists/fetch').send({ planId: 'p'.repeat(100_000), offset: 0 })
    await request(t.app.server).post('/v1/ingest/listenbrainz').send({ planId: 'q'.repeat(100_000) })
    const runs = await request(t.app.server).get('/v1/runs?limit=2')
    expect(runs.body.runs).toHaveLength(2)
    for (const run of runs.body.runs) expect(JSON.stringify(run).length).toBeLessThan(1000)
  })
})
