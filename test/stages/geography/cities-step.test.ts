import fs from 'node:fs/promises'
import path from 'node:path'
import Bottleneck from 'bottleneck'
import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import { createGazetteer } from '../../../src/stages/geography/gazetteer.ts'
import { createFakeOpenWeather, openWeatherBodies, type FakeOpenWeather } from '../../fakes/fake-openweather.ts'
import { buildTestApp, makeTempDir, type TestApp } from '../../helpers/build-app.ts'
import { runStep, tableRows } from '../../helpers/granular.ts'
import { artistRow, mbid, sampleAreas, seedMusicBrainz } from './seed.ts'

const day = 24 * 60 * 60 * 1000
const gazetteer = createGazetteer()

interface Setup {
  t: TestApp
  clock: { now: number }
  sleeps: number[]
  logs: string[]
  openweather?: FakeOpenWeather
  limiter?: Bottleneck
  /** the number of keys of each pass over the gazetteer, once a test sets it */
  gazetteerPasses?: number[]
}

let current: Setup | undefined

afterEach(async () => {
  if (!current) return
  await current.t.close()
  await fs.rm(current.t.dataDir, { recursive: true, force: true })
  await current.openweather?.close()
  await current.limiter?.stop({ dropWaitingJobs: true })
  current = undefined
})

/** Moscow has three artists, London (England) two, Portland (Oregon) one; every other place none. */
const artists = [artistRow(1, 7), artistRow(2, 7, { area_id: null, begin_area_id: mbid(7) }), artistRow(3, 7), artistRow(4, 3), artistRow(5, 3, { end_area_id: mbid(3) }), artistRow(6, 1)]

async function setup (options: { env?: Record<string, string>, openweather?: boolean } = {}): Promise<Setup> {
  const dir = await makeTempDir()
  await seedMusicBrainz(dir, { areas: sampleAreas(), artists })
  const clock = { now: Date.parse('2026-11-01T00:00:00Z') }
  const sleeps: number[] = []
  const logs: string[] = []
  const openweather = options.openweather ? await createFakeOpenWeather() : undefined
  const limiter = options.openweather ? new Bottleneck({ maxConcurrent: 1 }) : undefined
  const env = openweather ? { GEOCODER: 'openweather', OPENWEATHER_API_KEY: openweather.apiKey, OPENWEATHER_URL: openweather.url, ...options.env } : options.env
  const t = await buildTestApp({ LOG_LEVEL: 'trace', ...env }, {
    now: () => new Date(clock.now),
    sleep: async (ms) => { sleeps.push(ms) },
    logStream: { write: (line) => { logs.push(line) } },
    gazetteer: { lookup: async (queries) => { current?.gazetteerPasses?.push(queries.length); return await gazetteer.lookup(queries) } },
    ...(limiter ? { openWeatherLimiter: limiter } : {}),
  }, dir)
  current = { t, clock, sleeps, logs, openweather, limiter }
  expect((await request(t.app.server).post('/v1/geography/base').send({})).body.processed).toBe(13)
  return current
}

const post = (s: Setup, url: string, body: object = {}) => request(s.t.app.server).post(url).send(body)
const cities = async (s: Setup) => new Map((await tableRows(s.t.app, 'cities_with_lat_long')).map((row) => [row.params, row]))
const failures = async (s: Setup) => (await tableRows(s.t.app, 'enrichment_failures')).filter((f) => f.stage === 'geography')

function near (row: Record<string, any> | undefined, lat: number, lon: number, within = 0.3): void {
  expect(row, `${lat},${lon}`).toBeDefined()
  expect(Math.abs(row!.lat - lat), `${row!.params} lat`).toBeLessThan(within)
  expect(Math.abs(row!.lon - lon), `${row!.params} lon`).toBeLessThan(within)
}

describe('city coordinates with the offline gazetteer (GEOCODER=geonames, the default)', () => {
  it('plans distinct keys most artists first, and puts each shared name on the right place', async () => {
    const s = await setup()
    const plan = await post(s, '/v1/geography/cities/plan', { batchSize: 4 })
    expect(plan.status).toBe(200)
    expect(plan.body.total).toBe(11)
    const progress = (await request(s.t.app.server).get(`/v1/plans/${plan.body.planId}`)).body
    expect(progress.totals.batches).toBe(3)

    const run = await runStep(s.t.app, '/v1/geography/cities', { batchSize: 4 })
    const fetched = run.fetched.flatMap((f) => [...f.records.map((r) => r.params), ...f.failures.map((f) => f.entity_id)])
    // Weights 3, 2, 1, then the rest by key.
    expect(fetched.slice(0, 3)).toEqual(['Moscow,RU', 'London,GB', 'Portland,OR,US'])
    expect(run.fetched.every((f) => f.status === 'complete')).toBe(true)
    expect(run.fetched.reduce((n, f) => n + (f as { calls?: number }).calls!, 0)).toBe(0)

    const rows = await cities(s)
    expect(rows.size).toBe(10)
    near(rows.get('Portland,OR,US'), 45.52, -122.68)
    near(rows.get('Portland,ME,US'), 43.66, -70.26)
    near(rows.get('London,GB'), 51.51, -0.13)
    near(rows.get('London,CA'), 42.98, -81.23)
    near(rows.get('Birmingham,AL,US'), 33.52, -86.8)
    near(rows.get('Valencia,VE'), 10.16, -68.0)
    near(rows.get('San Juan,PR'), 18.47, -66.11)
    near(rows.get('Moscow,RU'), 55.75, 37.62)
    near(rows.get('Copenhagen,DK'), 55.68, 12.57)
    expect(rows.get('Portland,OR,US')).toMatchObject({ city_name: 'Portland', state_code: 'OR', country_code: 'US', provider: 'geonames', matched_name: 'Portland', fetched_at: '2026-11-01T00:00:00.000Z' })
    expect(rows.get('Portland,OR,US')!.population).toBeGreaterThan(500_000)
    expect(rows.get('Moscow,RU')!.matched_name).toBe('Moscow')
  })

  it('reads the gazetteer once for the whole plan, in its first batch', async () => {
    const passes: number[] = []
    const s = await setup()
    s.gazetteerPasses = passes
    const plan = await post(s, '/v1/geography/cities/plan', { batchSize: 4 })
    for (const batch of plan.body.batches) expect((await post(s, '/v1/geography/cities/fetch', batch)).status).toBe(200)
    // The 11 keys of the plan in one pass; the second and third batches read what it found.
    expect(passes).toEqual([11])
    // The plan's last batch let the answers go: a batch fetched again reads the file again, for its own keys.
    expect((await post(s, '/v1/geography/cities/fetch', plan.body.batches[2])).body.records.length).toBeGreaterThan(0)
    expect(passes).toEqual([11, 3])
  })

  it('remembers a miss with its reason and plans it again only after its backoff', async () => {
    const s = await setup()
    await runStep(s.t.app, '/v1/geography/cities')
    const [miss, ...others] = await failures(s)
    expect(others).toEqual([])
    expect(miss).toMatchObject({ resource: 'cities', entity_id: 'Atlantis,GR', attempts: 1, http_status: null, next_attempt_at: '2026-11-02T00:00:00.000Z' })
    expect(miss!.reason).toBe('the GeoNames gazetteer (cities500) knows no place named "Atlantis" in GR')
    expect((await post(s, '/v1/geography/cities/plan')).body.total).toBe(0)
    s.clock.now += day + 1000
    const again = await runStep(s.t.app, '/v1/geography/cities')
    expect(again.total).toBe(1)
    expect((await failures(s))[0]).toMatchObject({ attempts: 2, next_attempt_at: '2026-11-04T00:00:01.000Z' })
  })

  it('keeps coordinates posted by hand: later runs neither plan nor overwrite them', async () => {
    const s = await setup()
    // Planned before the hand-posted rows arrive.
    const plan = await post(s, '/v1/geography/cities/plan', { batchSize: 20 })
    await post(s, '/v1/geography/cities/failures', { failures: [{ entity_id: 'Atlantis,GR', reason: 'not found', failed_at: '2026-10-31T00:00:00Z' }] })
    const manual = await post(s, '/v1/geography/cities/write', { records: [{ params: 'Atlantis,GR', lat: 36.4, lon: 25.43 }, { params: 'London,GB', lat: 51.5, lon: -0.12, provider: 'manual', matched_name: 'my London' }] })
    expect(manual.status).toBe(200)
    expect(manual.body.records).toMatchObject({ inserted: 2, keptManual: 0, failuresCleared: 1 })

    const fetched = await post(s, '/v1/geography/cities/fetch', plan.body.batches[0])
    expect(fetched.body.records.map((r: { params: string }) => r.params)).toContain('London,GB')
    const written = await post(s, '/v1/geography/cities/write', { records: fetched.body.records, failures: fetched.body.failures })
    expect(written.body.records.keptManual).toBe(1)
    const rows = await cities(s)
    expect(rows.get('London,GB')).toMatchObject({ provider: 'manual', lat: 51.5, lon: -0.12, matched_name: 'my London' })
    expect(rows.get('Atlantis,GR')).toMatchObject({ provider: 'manual', city_name: 'Atlantis', country_code: 'GR', state_code: null, lat: 36.4, lon: 25.43, fetched_at: '2026-11-01T00:00:00.000Z' })
    // The gazetteer's miss is remembered (it is true of the gazetteer), but the hand-posted row is what counts.
    expect((await failures(s)).map((f) => f.entity_id)).toEqual(['Atlantis,GR'])
    s.clock.now += 40 * day
    expect((await post(s, '/v1/geography/cities/plan')).body.total).toBe(0)
    // A person may correct a hand-posted row.
    expect((await post(s, '/v1/geography/cities/write', { records: [{ params: 'Atlantis,GR', lat: 36.5, lon: 25.4 }] })).body.records.updated).toBe(1)
  })

  it('refuses a hand-posted row whose key or coordinates cannot be right, naming the field', async () => {
    const s = await setup()
    const badKey = await post(s, '/v1/geography/cities/write', { records: [{ params: 'Atlantis', lat: 1, lon: 2 }] })
    expect(badKey.status).toBe(400)
    expect(badKey.body.details[0].field).toBe('body.records[0].params')
    const noLat = await post(s, '/v1/geography/cities/write', { records: [{ params: 'Atlantis,GR', lat: null, lon: 2 }] })
    expect(noLat.body.details[0].field).toBe('body.records[0].lat')
    const farLon = await post(s, '/v1/geography/cities/write', { records: [{ params: 'Atlantis,GR', lat: 1, lon: 200 }] })
    expect(farLon.body.details[0].field).toBe('body.records[0].lon')
    expect((await cities(s)).size).toBe(0)
  })
})

/** Every place the key could have leaked to: logs, answers, run records, plans, raw files and lake tables. */
async function expectNoKey (s: Setup, key: string, answers: unknown[]): Promise<void> {
  expect(s.logs.length).toBeGreaterThan(0)
  expect(s.logs.join('\n')).not.toContain(key)
  expect(JSON.stringify(answers)).not.toContain(key)
  const files = (await fs.readdir(s.t.dataDir, { recursive: true })).map((f) => path.join(s.t.dataDir, f))
  for (const file of files) {
    if ((await fs.stat(file)).isFile() && !file.endsWith('.parquet')) expect(await fs.readFile(file, 'utf8'), file).not.toContain(key)
  }
  for (const table of (await request(s.t.app.server).get('/v1/tables')).body.tables) {
    expect(JSON.stringify(await tableRows(s.t.app, table.name)), table.name).not.toContain(key)
  }
}

describe('city coordinates from OpenWeather (GEOCODER=openweather)', () => {
  it('takes the place in the asked country and state, never a decoy elsewhere; [] is a miss', async () => {
    const s = await setup({ openweather: true })
    const run = await runStep(s.t.app, '/v1/geography/cities', { batchSize: 50 })
    expect(run.fetched[0]!.status).toBe('complete')
    const calls = s.openweather!.geocodingCalls()
    expect((run.fetched[0] as { calls?: number }).calls).toBe(calls)
    expect(calls).toBe(11)

    const rows = await cities(s)
    expect([...rows.keys()].sort()).toEqual(['Birmingham,AL,US', 'London,CA', 'London,GB', 'Portland,ME,US', 'Portland,OR,US'])
    near(rows.get('Birmingham,AL,US'), 33.52, -86.8, 0.01)
    near(rows.get('Portland,ME,US'), 43.66, -70.26, 0.01)
    near(rows.get('London,GB'), 51.51, -0.13, 0.01)
    expect(rows.get('Portland,OR,US')).toMatchObject({ provider: 'openweather', state_code: 'OR', country_code: 'US', population: null, matched_name: 'Portland' })
    const misses = new Map((await failures(s)).map((f) => [f.entity_id, f]))
    expect(misses.get('Valencia,VE')).toMatchObject({ http_status: 200, reason: 'OpenWeather knows no place for q="Valencia,VE" (it answered 1 place(s) of that name elsewhere)', next_attempt_at: '2026-11-02T00:00:00.000Z' })
    expect(misses.get('Atlantis,GR')!.reason).toBe('OpenWeather knows no place for q="Atlantis,GR"')
    expect(misses.size).toBe(6)
    // The raw answers landed, and a second fetch of the same keys within a day reuses them.
    const again = await post(s, '/v1/geography/cities/fetch', { planId: run.planId, offset: 0 })
    expect(again.body.records).toHaveLength(5)
    expect(s.openweather!.geocodingCalls()).toBe(calls + 6)
    await expectNoKey(s, s.openweather!.apiKey, [run])
  })

  it('401: stops with UPSTREAM_AUTH_FAILED, records nothing, and never shows the key', async () => {
    const s = await setup({ openweather: true, env: { OPENWEATHER_API_KEY: 'revoked-openweather-key-42' } })
    const plan = await post(s, '/v1/geography/cities/plan')
    const fetched = await post(s, '/v1/geography/cities/fetch', plan.body.batches[0])
    expect(fetched.status).toBe(502)
    expect(fetched.body).toMatchObject({ code: 'UPSTREAM_AUTH_FAILED', retryable: false })
    expect(fetched.body.message).toContain('OPENWEATHER_API_KEY')
    expect(s.openweather!.geocodingCalls()).toBe(1)
    expect((await cities(s)).size).toBe(0)
    expect(await failures(s)).toEqual([])
    const progress = (await request(s.t.app.server).get(`/v1/plans/${plan.body.planId}`)).body
    expect(progress.totals).toMatchObject({ failed: 1, failures: 0, records: 0 })
    const runs = (await request(s.t.app.server).get('/v1/runs?step=geography.cities.fetch')).body.runs
    expect(runs[0]).toMatchObject({ status: 'error', httpStatus: 502 })
    await expectNoKey(s, 'revoked-openweather-key-42', [fetched.body, runs])
  })

  it('an OpenWeather that cannot be reached: 502 UPSTREAM_FAILED, retryable, nothing recorded, the key nowhere', async () => {
    const s = await setup({ openweather: true, env: { OPENWEATHER_URL: 'http://127.0.0.1:9' } })
    const plan = await post(s, '/v1/geography/cities/plan')
    const fetched = await post(s, '/v1/geography/cities/fetch', plan.body.batches[0])
    expect(fetched.status).toBe(502)
    expect(fetched.body).toMatchObject({ code: 'UPSTREAM_FAILED', retryable: true })
    expect(fetched.body.message).toContain('appid=%5Bredacted%5D')
    expect(await failures(s)).toEqual([])
    await expectNoKey(s, s.openweather!.apiKey, [fetched.body])
  })

  it('429: waits out a short Retry-After, answers rate_limited past the budget, and records no failure for it', async () => {
    const s = await setup({ openweather: true })
    s.openweather!.server.fault('/geo/1.0/direct', { kind: 'status', status: 429, retryAfter: 2, json: openWeatherBodies.blocked }, 1)
    const plan = await post(s, '/v1/geography/cities/plan', { batchSize: 3 })
    const first = await post(s, '/v1/geography/cities/fetch', plan.body.batches[0])
    expect(first.body).toMatchObject({ status: 'complete', calls: 3 })
    expect(s.sleeps).toContain(2000)

    // OpenWeather's own 429 has no Retry-After: a minute, more than a call may wait.
    s.openweather!.rateLimit(1)
    const second = await post(s, '/v1/geography/cities/fetch', plan.body.batches[1])
    expect(second.body).toMatchObject({ status: 'rate_limited', retryAfterSeconds: 60, records: [], failures: [] })
    // Until the minute is over no call is made.
    const calls = s.openweather!.geocodingCalls()
    expect((await post(s, '/v1/geography/cities/fetch', plan.body.batches[1])).body.status).toBe('rate_limited')
    expect(s.openweather!.geocodingCalls()).toBe(calls)
    await post(s, '/v1/geography/cities/write', { records: [...first.body.records, ...second.body.records], failures: [...first.body.failures, ...second.body.failures] })
    s.clock.now += 61_000
    const progress = (await request(s.t.app.server).get(`/v1/plans/${plan.body.planId}`)).body
    expect(progress.totals).toMatchObject({ rateLimited: 1 })
    // The rate-limited batch's keys are planned again.
    const next = await post(s, '/v1/geography/cities/plan', { batchSize: 50 })
    expect(next.body.total).toBe(11 - 3)
    const third = await post(s, '/v1/geography/cities/fetch', next.body.batches[0])
    expect(third.body.status).toBe('complete')
    expect(third.body.records.length + third.body.failures.length).toBe(8)
  })

  it('without OPENWEATHER_API_KEY answers 503 NOT_CONFIGURED naming it', async () => {
    const s = await setup({ env: { GEOCODER: 'openweather' } })
    const plan = await post(s, '/v1/geography/cities/plan')
    expect(plan.status).toBe(503)
    expect(plan.body).toMatchObject({ code: 'NOT_CONFIGURED', details: [{ field: 'OPENWEATHER_API_KEY', problem: 'is not set' }] })
    expect(plan.body.message).toContain('OPENWEATHER_API_KEY')
    // Base enrichment needs no key; hand-posted coordinates neither.
    expect((await post(s, '/v1/geography/base')).status).toBe(200)
    expect((await post(s, '/v1/geography/cities/write', { records: [{ params: 'Atlantis,GR', lat: 36.4, lon: 25.43 }] })).status).toBe(200)
  })
})
