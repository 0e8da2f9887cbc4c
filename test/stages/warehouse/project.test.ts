import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { catalog } from '../../../src/catalog.ts'
import { buildVars } from '../../../src/stages/warehouse/build.ts'
import { defaultProjectDir, layers, loadProject, render } from '../../../src/stages/warehouse/project.ts'
import { seeds } from '../../../src/stages/warehouse/service.ts'
import { makeTempDir } from '../../helpers/build-app.ts'

const sources = [...catalog.map((t) => t.name), ...Object.keys(seeds)]
const options = { sources, vars: buildVars }

const dirs: string[] = []
afterEach(async () => {
  for (const dir of dirs.splice(0)) await fs.rm(dir, { recursive: true, force: true })
})

/** A project from file contents; the staging model stg_a reading tracks_played is there unless replaced. */
async function project (files: Record<string, string>): Promise<string> {
  const dir = await makeTempDir('tracklake-project-')
  dirs.push(dir)
  const all = { 'models/staging/stg_a.sql': "-- sources: tracks_played\nSELECT play_id FROM {{ source('tracks_played') }}", ...files }
  for (const [file, text] of Object.entries(all)) {
    await fs.mkdir(path.dirname(path.join(dir, file)), { recursive: true })
    await fs.writeFile(path.join(dir, file), text)
  }
  return dir
}

describe('the warehouse project', () => {
  it('loads: every model after what it reads, each layer reading only lower ones, every mart keyed or a view', async () => {
    const loaded = await loadProject(defaultProjectDir(), options)
    const position = new Map(loaded.models.map((m, i) => [m.name, i]))
    for (const model of loaded.models) {
      for (const ref of model.refs) expect(position.get(ref), `${model.name} after ${ref}`).toBeLessThan(position.get(model.name)!)
      expect(model.description, model.name).not.toBe('')
      if (model.layer === 'marts' && model.materialized === 'table') expect(model.key.length, model.name).toBeGreaterThan(0)
    }
    expect(loaded.models.filter((m) => m.layer === 'marts').map((m) => m.name).sort()).toEqual([
      'bridge_artist_genre', 'dim_album', 'dim_artist', 'dim_date', 'dim_genre', 'dim_time', 'dim_track', 'fact_artist_genre', 'fact_track_played', 'rpt_artists', 'rpt_ingests', 'rpt_plays', 'rpt_tracks',
    ])
    expect(loaded.sources).toEqual(expect.arrayContaining(['tracks_played', 'mbz_area_hierarchy', 'cities_with_lat_long', 'mask_artists']))
    const fact = loaded.tests.filter((t) => t.model === 'fact_track_played' && t.kind === 'relationships').map((t) => t.name)
    expect(fact.sort()).toEqual(['album_id__dim_album', 'artist_id__dim_artist', 'date__dim_date', 'minute_of_day__dim_time', 'track_id__dim_track']
      .map((rel) => `relationships_fact_track_played_${rel}`))
    expect(layers).toEqual(['staging', 'intermediate', 'marts'])
  })

  it('renders refs, sources and vars', () => {
    const sql = "SELECT * FROM {{ ref('a') }} JOIN {{source('b')}} ON {{ var('timezone') }} = 'x'"
    expect(render(sql, { ref: (n) => `R.${n}`, source: (n) => `S.${n}`, var: (n) => `V(${n})` })).toBe("SELECT * FROM R.a JOIN S.b ON V(timezone) = 'x'")
  })

  const broken: Array<[string, Record<string, string>, RegExp]> = [
    ['an unknown model', { 'models/intermediate/int_b.sql': "-- depends_on: stg_nope\nSELECT * FROM {{ ref('stg_nope') }}" }, /int_b\.sql: depends on unknown model 'stg_nope'/],
    ['a cycle', {
      'models/intermediate/int_b.sql': "-- depends_on: int_c\nSELECT * FROM {{ ref('int_c') }}",
      'models/intermediate/int_c.sql': "-- depends_on: int_b\nSELECT * FROM {{ ref('int_b') }}",
    }, /cyclic dependency: int_b -> int_c -> int_b/],
    ['a ref the header does not declare', { 'models/intermediate/int_b.sql': "SELECT * FROM {{ ref('stg_a') }}" }, /depends_on says \[\] but the SQL reads ref \[stg_a\]/],
    ['a declared dependency the SQL does not read', { 'models/intermediate/int_b.sql': '-- depends_on: stg_a\nSELECT 1' }, /depends_on says \[stg_a\] but the SQL reads ref \[\]/],
    ['an unknown source', { 'models/staging/stg_b.sql': "-- sources: nope\nSELECT * FROM {{ source('nope') }}" }, /unknown source 'nope'/],
    ['a source read outside staging', { 'models/intermediate/int_b.sql': "-- sources: tracks_played\nSELECT * FROM {{ source('tracks_played') }}" }, /only staging models read sources/],
    ['a lower layer reading a higher one', {
      'models/marts/dim_b.sql': "-- depends_on: stg_a\n-- key: play_id\nSELECT * FROM {{ ref('stg_a') }}",
      'models/intermediate/int_b.sql': "-- depends_on: dim_b\nSELECT * FROM {{ ref('dim_b') }}",
    }, /a model of the intermediate layer cannot read dim_b of the marts layer/],
    ['a mart view reading what the warehouse does not keep', { 'models/marts/v.sql': "-- materialized: view\n-- depends_on: stg_a\nSELECT * FROM {{ ref('stg_a') }}" }, /a mart view can only read marts/],
    ['an unknown header key', { 'models/intermediate/int_b.sql': "-- depend_on: stg_a\nSELECT * FROM {{ ref('stg_a') }}" }, /unknown header key "depend_on"/],
    ['an unknown var', { 'models/intermediate/int_b.sql': "-- depends_on: stg_a\nSELECT {{ var('nope') }} FROM {{ ref('stg_a') }}" }, /unknown var\('nope'\)/],
    ['an unknown template', { 'models/intermediate/int_b.sql': "-- depends_on: stg_a\nSELECT {{ config('x') }} FROM {{ ref('stg_a') }}" }, /unknown template \{\{ config\('x'\) \}\}/],
    ['a relationship to an unknown model', { 'models/marts/dim_b.sql': "-- depends_on: stg_a\n-- key: play_id\n-- relationships: play_id -> nope.play_id\nSELECT * FROM {{ ref('stg_a') }}" }, /relationships name unknown model 'nope'/],
    ['a malformed relationship', { 'models/marts/dim_b.sql': "-- depends_on: stg_a\n-- relationships: play_id to nope\nSELECT * FROM {{ ref('stg_a') }}" }, /must read column -> model\.column/],
    ['a data test on an unknown model', { 'data-tests/t.sql': "-- depends_on: nope\nSELECT * FROM {{ ref('nope') }}" }, /t\.sql: depends on unknown model 'nope'/],
    ['two models of one name', { 'models/intermediate/stg_a.sql': 'SELECT 1' }, /a model named stg_a exists already/],
    ['a model without SQL', { 'models/intermediate/int_b.sql': '-- description: nothing' }, /no SQL after the header/],
  ]

  for (const [what, files, message] of broken) {
    it(`fails loudly on ${what}`, async () => {
      await expect(loadProject(await project(files), options)).rejects.toThrow(message)
    })
  }

  it('turns key, not_null and relationships headers into tests that must return no rows', async () => {
    const loaded = await loadProject(await project({
      'models/marts/dim_b.sql': "-- description: b\n-- depends_on: stg_a\n-- key: play_id\n-- not_null: x\nSELECT play_id, 1 AS x FROM {{ ref('stg_a') }}",
      'models/marts/fact_c.sql': "-- depends_on: stg_a\n-- key: play_id\n-- relationships: play_id -> dim_b.play_id\nSELECT play_id FROM {{ ref('stg_a') }}",
    }), options)
    expect(loaded.tests.map((t) => [t.name, t.kind, t.refs])).toEqual([
      ['unique_dim_b_play_id', 'unique', ['dim_b']],
      ['not_null_dim_b_play_id', 'not_null', ['dim_b']],
      ['not_null_dim_b_x', 'not_null', ['dim_b']],
      ['unique_fact_c_play_id', 'unique', ['fact_c']],
      ['not_null_fact_c_play_id', 'not_null', ['fact_c']],
      ['relationships_fact_c_play_id__dim_b', 'relationships', ['fact_c', 'dim_b']],
    ])
    expect(loaded.models.find((m) => m.name === 'dim_b')!.description).toBe('b')
  })
})
