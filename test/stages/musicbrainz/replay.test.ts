import fs from 'node:fs/promises'
import path from 'node:path'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Lake } from '../../../src/lake/lake.ts'
import type { TableDef } from '../../../src/lake/table.ts'
import { mbzAreaHierarchy, mbzAreas, mbzArtistGenre, mbzArtistInfo } from '../../../src/stages/musicbrainz/tables.ts'
import { runStep, tableRows } from '../../helpers/granular.ts'
import { buildTestApp } from '../../helpers/build-app.ts'
import { openLake } from '../../helpers/lake.ts'
import { musicbrainzEnv, trapWorld } from './world.ts'

type World = Awaited<ReturnType<typeof trapWorld>>

const rebuilt = ['mbz_artist_info', 'mbz_artist_genre', 'mbz_areas', 'mbz_area_hierarchy']

describe('POST /v1/musicbrainz/parse', () => {
  let w: World
  let app: World['t']['app']
  let before: Record<string, string[]>

  const parse = (body: object = {}) => request(app.server).post('/v1/musicbrainz/parse').send(body)
  const snapshot = async (): Promise<Record<string, string[]>> =>
    Object.fromEntries(await Promise.all(rebuilt.map(async (name) => [name, (await tableRows(app, name)).map((r) => JSON.stringify(r)).sort()])))

  /** Stops the service, edits the lake by hand, starts it again on the same data. */
  async function offline (edit: (lake: Lake) => Promise<void>): Promise<void> {
    await app.close()
    const lake = await openLake(w.t.dir)
    await edit(lake)
    await lake.close()
    app = (await buildTestApp(musicbrainzEnv(w.fake.url), {}, w.t.dir)).app
  }
  const empty = (lake: Lake, table: TableDef) => lake.write([table], (tx) => tx.replaceWith(table, `SELECT * FROM ${table.name} WHERE false`))

  beforeAll(async () => {
    w = await trapWorld()
    app = w.t.app
    await runStep(app, '/v1/musicbrainz/artists')
    expect((await request(app.server).post('/v1/musicbrainz/areas/hierarchy').send({})).body.done).toBe(true)
    before = await snapshot()
    expect(before.mbz_artist_info!.length).toBeGreaterThan(5)
    expect(before.mbz_artist_genre!.length).toBeGreaterThan(3)
  })
  afterAll(async () => {
    await app.close()
    await fs.rm(w.t.dir, { recursive: true, force: true })
    await w.fake.close()
  })

  it('by default reads only the files not parsed yet (the areas the hierarchy landed), and changes nothing they already gave', async () => {
    const first = await parse()
    expect(first.status).toBe(200)
    expect(first.body).toMatchObject({ done: true, full: false, artists: 0, genres: 0, areas: 0, hierarchy: 0 })
    expect(first.body.processed).toBe((await fs.readdir(path.join(w.t.dir, 'raw', 'musicbrainz', 'areas'))).length)
    expect((await parse()).body).toMatchObject({ done: true, processed: 0 })
    expect(await snapshot()).toEqual(before)
  })

  it('rebuilds the typed tables from raw/ alone, without calling MusicBrainz', async () => {
    const calls = w.fake.calls()
    await offline(async (lake) => {
      for (const table of [mbzArtistInfo, mbzArtistGenre, mbzAreas, mbzAreaHierarchy]) await empty(lake, table)
    })
    // Everything was parsed already: an incremental parse reads nothing; full reads every file.
    expect((await parse()).body).toMatchObject({ processed: 0, artists: 0 })
    const full = await parse({ full: true })
    expect(full.body).toMatchObject({ done: true, full: true })
    expect(full.body.artists).toBe(before.mbz_artist_info!.length)
    expect(full.body.areas).toBe(before.mbz_areas!.length)
    const after = await snapshot()
    expect(after.mbz_artist_info).toEqual(before.mbz_artist_info)
    expect(after.mbz_artist_genre).toEqual(before.mbz_artist_genre)
    expect(after.mbz_areas).toEqual(before.mbz_areas)
    // The hierarchy rows are the hierarchy step's to create; parse refreshes the ones that exist.
    expect(after.mbz_area_hierarchy).toEqual([])
    expect(w.fake.calls()).toBe(calls)
  })

  it('is idempotent: a second full parse changes nothing', async () => {
    expect((await parse({ full: true })).body).toMatchObject({ artists: 0, genres: 0, areas: 0, hierarchy: 0 })
  })

  it('replays a changed raw file and refreshes the hierarchy, keeping geography columns only where the chain is unchanged', async () => {
    expect((await request(app.server).post('/v1/musicbrainz/areas/hierarchy').send({})).body.done).toBe(true)
    const { seattle, milwaukee, wisconsin } = w.places
    await offline(async (lake) => {
      await lake.write([mbzAreaHierarchy], (tx) => tx.replaceWith(mbzAreaHierarchy,
        'SELECT * REPLACE (\'North America\' AS continent, \'NA\' AS continent_code, now() AS geo_at) FROM mbz_area_hierarchy'))
    })
    // A "parser fix": Wisconsin's landed answer now names it differently.
    const file = path.join(w.t.dir, 'raw', 'musicbrainz', 'areas', `${wisconsin.id}.json`)
    const record = JSON.parse(await fs.readFile(file, 'utf8'))
    record.body.name = 'State of Wisconsin'
    await fs.writeFile(file, JSON.stringify(record))

    const answer = await parse()
    expect(answer.body).toMatchObject({ processed: 1, areas: 1, hierarchy: 1 })
    const rows = new Map((await tableRows(app, 'mbz_area_hierarchy')).map((r) => [r.area_id, r]))
    expect(rows.get(milwaukee.id)).toMatchObject({ subdivision: 'State of Wisconsin', continent: null, continent_code: null, geo_at: null })
    expect(rows.get(seattle.id)).toMatchObject({ subdivision: 'Washington', continent: 'North America', continent_code: 'NA' })
  })
})
