import fs from 'node:fs/promises'
import path from 'node:path'
import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import type { AppDeps } from '../../../src/app.ts'
import { defaultProjectDir } from '../../../src/stages/warehouse/project.ts'
import { memoryLimitsFrom } from '../../../src/stages/warehouse/service.ts'
import { createWarehouseReader, type WarehouseReader } from '../../../src/stages/warehouse/reader.ts'
import { buildTestApp, makeTempDir, type TestApp } from '../../helpers/build-app.ts'
import { seedSmallLake, timezone } from './small-lake.ts'

interface Setup {
  t: TestApp
  reader: WarehouseReader
  file: string
  clock: { now: number }
  build (): Promise<request.Response>
}

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

/** `tickMs`: every reading of the clock moves it on (a build that takes "long"). */
async function setup (warehouse: AppDeps['warehouse'] = {}, tickMs = 0, seed = true): Promise<Setup> {
  const dir = await makeTempDir()
  if (seed) await seedSmallLake(dir)
  const clock = { now: Date.parse('2026-02-15T12:00:00Z') }
  const now = (): Date => new Date(clock.now += tickMs)
  const t = await buildTestApp({ TRACKLAKE_TIMEZONE: timezone }, { now, warehouse }, dir)
  const file = path.join(dir, 'warehouse.duckdb')
  const reader = createWarehouseReader({ file })
  cleanup.push(async () => {
    await reader.close()
    await t.close()
    await fs.rm(dir, { recursive: true, force: true })
  })
  // then(): supertest sends a request only once it is awaited; a build started and awaited later must go out now.
  return { t, reader, file, clock, build: () => request(t.app.server).post('/v1/warehouse/build').then((res) => res) }
}

/** A copy of the warehouse project that a test may break. */
async function copyProject (): Promise<string> {
  const dir = await makeTempDir('tracklake-project-')
  await fs.cp(defaultProjectDir(), dir, { recursive: true })
  cleanup.push(() => fs.rm(dir, { recursive: true, force: true }))
  return dir
}

const builtAt = async (s: Setup): Promise<unknown> => (await s.reader.query('SELECT built_at FROM meta.build'))[0]?.built_at

async function leftovers (s: Setup): Promise<string[]> {
  const beside = (await fs.readdir(s.t.dataDir)).filter((f) => f.includes('.partial'))
  const work = (await fs.readdir(path.join(s.t.dataDir, 'tmp'))).filter((f) => f.startsWith('warehouse-'))
  return [...beside, ...work]
}

function gate () {
  let open!: () => void
  let reached!: () => void
  const opened = new Promise<void>((resolve) => { open = resolve })
  const arrived = new Promise<void>((resolve) => { reached = resolve })
  return { opened, arrived, open, reached }
}

describe('replacing the warehouse', () => {
  it('a failing model test keeps the previous warehouse and answers an error naming the test', async () => {
    const project = await copyProject()
    const s = await setup({ projectDir: project })
    expect((await s.build()).status).toBe(200)
    const before = await fs.stat(s.file)
    const first = await builtAt(s)

    await fs.writeFile(path.join(project, 'data-tests', 'no_plays_on_30_march.sql'),
      "-- description: a test that fails on purpose\n-- depends_on: fact_track_played\nSELECT play_id FROM {{ ref('fact_track_played') }} WHERE date = DATE '2025-03-30'\n")
    s.clock.now += 3_600_000
    const failed = await s.build()
    expect(failed.status).toBe(500)
    expect(failed.body).toMatchObject({ code: 'WAREHOUSE_TESTS_FAILED', retryable: false })
    expect(failed.body.message).toContain('no_plays_on_30_march (2 rows)')
    expect(failed.body.message).toContain('the previous warehouse is kept')
    expect(failed.body.details).toEqual([{ field: 'no_plays_on_30_march', problem: expect.stringMatching(/^a test that fails on purpose: 2 rows returned, e\.g\. \{"play_id":"p0[12]"\}$/) }])

    const after = await fs.stat(s.file)
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs])
    expect(await builtAt(s)).toBe(first)
    expect(await leftovers(s)).toEqual([])
    const status = (await request(s.t.app.server).get('/v1/warehouse')).body
    expect(status).toMatchObject({
      built: true,
      builtAt: first,
      lastBuild: { status: 'failed', error: { code: 'WAREHOUSE_TESTS_FAILED' }, tests: { failed: 1, failing: [{ name: 'no_plays_on_30_march', failures: 2 }] } },
    })
    expect(status.tests.failed).toBe(0)
  }, 60_000)

  it('a model that fails is named, and the previous warehouse stays', async () => {
    const project = await copyProject()
    const s = await setup({ projectDir: project })
    expect((await s.build()).status).toBe(200)
    const first = await builtAt(s)
    await fs.writeFile(path.join(project, 'models', 'marts', 'dim_time.sql'), '-- key: minute_of_day\nSELECT no_such_column AS minute_of_day FROM range(3)\n')
    s.clock.now += 3_600_000
    const failed = await s.build()
    expect(failed.status).toBe(500)
    expect(failed.body.code).toBe('WAREHOUSE_BUILD_FAILED')
    expect(failed.body.message).toMatch(/^model dim_time \(models\/marts\/dim_time\.sql\) failed: .*no_such_column.*; the previous warehouse is kept$/)
    expect(await builtAt(s)).toBe(first)
    expect(await leftovers(s)).toEqual([])
  }, 60_000)

  it('an invalid project fails before anything is built', async () => {
    const project = await copyProject()
    const s = await setup({ projectDir: project })
    const model = path.join(project, 'models', 'staging', 'stg_spotify_tracks.sql')
    await fs.writeFile(model, (await fs.readFile(model, 'utf8')).replace('-- sources: spotify_tracks', '-- sources: spotify_tracks\n-- depends_on: dim_track'))
    const failed = await s.build()
    expect(failed.status).toBe(500)
    expect(failed.body.message).toContain('depends_on says [dim_track] but the SQL reads ref []')
    expect((await request(s.t.app.server).get('/v1/warehouse')).body).toMatchObject({ built: false, lastBuild: { status: 'failed' } })
  }, 30_000)

  it('readers are never blocked and never see a half-built warehouse (W17)', async () => {
    const held: { pause?: ReturnType<typeof gate> } = {}
    const s = await setup({ hooks: { beforeCommit: async () => { if (held.pause) { held.pause.reached(); await held.pause.opened } } } })
    expect((await s.build()).status).toBe(200)
    const first = await builtAt(s)
    const before = await fs.stat(s.file)

    const pause = held.pause = gate()
    s.clock.now += 3_600_000
    const second = s.build()
    await pause.arrived
    // Built and tested beside the old file, not yet in its place: readers get the old one at once.
    expect(await builtAt(s)).toBe(first)
    expect((await fs.readdir(s.t.dataDir)).some((f) => f.startsWith('.warehouse.duckdb.') && f.endsWith('.partial'))).toBe(true)
    expect((await fs.stat(s.file)).ino).toBe(before.ino)
    expect((await request(s.t.app.server).get('/v1/warehouse')).body.builtAt).toBe(first)

    pause.open()
    expect((await second).status).toBe(200)
    expect(await builtAt(s)).toBe(new Date(s.clock.now).toISOString())
    expect((await fs.stat(s.file)).ino).not.toBe(before.ino)
    expect(await leftovers(s)).toEqual([])
  }, 60_000)

  it('a reader keeps working across rebuilds and stays read-only', async () => {
    const s = await setup()
    await expect(s.reader.query('SELECT 1')).rejects.toMatchObject({ code: 'WAREHOUSE_NOT_BUILT' })
    expect((await request(s.t.app.server).get('/v1/warehouse')).body).toMatchObject({ built: false, builtAt: null, models: [], tests: null, lastBuild: null })
    for (let i = 0; i < 3; i++) {
      s.clock.now += 60_000
      expect((await s.build()).status).toBe(200)
      expect(await builtAt(s)).toBe(new Date(s.clock.now).toISOString())
      const [row] = await s.reader.query('SELECT count(*) AS n FROM fact_track_played WHERE date >= $from', { from: '2025-01-01' })
      expect(row!.n).toBeGreaterThan(0)
    }
    await expect(s.reader.query('CREATE TABLE x AS SELECT 1')).rejects.toThrow(/read-only/)
  }, 60_000)

  it('an empty lake builds an empty warehouse with its unknown members', async () => {
    const s = await setup({}, 0, false)
    const res = await s.build()
    expect(res.status).toBe(200)
    expect(res.body.tests.failed).toBe(0)
    const rows = Object.fromEntries(res.body.models.filter((m: { inWarehouse: boolean }) => m.inWarehouse).map((m: { name: string, rows: number | null }) => [m.name, m.rows]))
    expect(rows).toMatchObject({ fact_track_played: 0, dim_artist: 1, dim_track: 1, dim_album: 1, dim_time: 1440, dim_date: 730 })
  }, 60_000)

  it('a build still running after maxSeconds is ended and answers a retryable 503; the previous warehouse stays', async () => {
    const s = await setup({}, 60_000)
    const res = await request(s.t.app.server).post('/v1/warehouse/build').send({ maxSeconds: 30 })
    expect(res.status).toBe(503)
    expect(res.body).toMatchObject({ code: 'WAREHOUSE_BUILD_TIMED_OUT', retryable: true, message: 'the build took longer than maxSeconds and was ended; the previous warehouse is kept' })
    expect(await s.reader.exists()).toBe(false)
    expect(await leftovers(s)).toEqual([])
  }, 60_000)

  it('builds asked for at once run one after the other; leftovers of a crashed build are removed', async () => {
    const s = await setup()
    await fs.writeFile(path.join(s.t.dataDir, '.warehouse.duckdb.deadbeef.partial'), 'half')
    await fs.writeFile(path.join(s.t.dataDir, '.warehouse.duckdb.deadbeef.partial.wal'), 'half')
    const [a, b] = await Promise.all([s.build(), s.build()])
    expect([a.status, b.status]).toEqual([200, 200])
    expect(await leftovers(s)).toEqual([])
  }, 60_000)
  it('a build that runs out of memory runs again with twice the limit, and says which limit it finished with', async () => {
    const s = await setup({ memoryLimit: '1MB' })
    const res = await s.build()
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.memoryLimit).not.toBe('1MB')
    expect(memoryLimitsFrom('1MB')).toContain(res.body.memoryLimit)
    expect(await leftovers(s)).toEqual([])
  }, 60_000)

  it('the limits a build tries: twice the last, up to 1024MB', () => {
    expect(memoryLimitsFrom('96MB')).toEqual(['96MB', '192MB', '384MB', '768MB', '1024MB'])
    expect(memoryLimitsFrom('1GB')).toEqual(['1GB'])
    expect(memoryLimitsFrom('lots')).toEqual(['lots'])
  })
})
