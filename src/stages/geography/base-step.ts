import { quotedIdentifier as qi } from '@duckdb/node-api'
import { Type } from 'typebox'
import type { SimpleStep } from '../../batch/simple-step.ts'
import type { Lake } from '../../lake/lake.ts'
import { column as c, defineTable, required } from '../../lake/table.ts'
import { hierarchyGeoColumns, hierarchyReadColumns, type AreaTables } from './areas.ts'
import { geographyBase, type AreaHierarchyRow } from './base.ts'

/** Rows read, computed and written under one lock; a time box is checked between chunks. */
const chunkRows = 5000

/** The geography columns of a chunk, staged (never stored) and joined onto the hierarchy's rows by area_id. */
const baseUpdates = defineTable({
  name: 'geography_base_update',
  description: 'staging only: the geography columns of mbz_area_hierarchy rows',
  key: ['area_id'],
  columns: {
    area_id: required(c.varchar('area')),
    continent: c.varchar('continent'),
    continent_code: c.varchar('continent code'),
    country_code: c.varchar('country code'),
    state_code: c.varchar('state code'),
    params: c.varchar('geocoding key'),
    geo_at: c.timestamp('when'),
  },
})

const body = {}
const result = {
  withoutCity: Type.Integer({ description: 'rows done by this call that name no city, municipality or district: no params' }),
  withoutCountry: Type.Integer({ description: 'rows done by this call whose country code is unknown (no params, maybe no continent)' }),
}

export type BaseStep = SimpleStep<typeof body, typeof result>

const hasText = (value: string | null | undefined): boolean => typeof value === 'string' && value.trim().length > 0

/**
 * POST /v1/geography/base: continent, continent code, country code, state code and the geocoding key of every
 * mbz_area_hierarchy row that has none yet (geo_at null). No network.
 */
export function createBaseStep (deps: { lake: Lake, now: () => Date, areas: AreaTables }): BaseStep {
  const { lake, now } = deps
  const { hierarchy } = deps.areas
  const table = qi(hierarchy.name)
  const geo = new Set<string>(hierarchyGeoColumns)
  // The row as stored, with the geography columns of the chunk's rows replaced. Country code: the rules' code (which
  // starts from MusicBrainz's own), else what MusicBrainz stored (XE "Europe" stays, as no country).
  const merged = hierarchy.columns.map(({ name }) => {
    if (!geo.has(name)) return `h.${qi(name)}`
    if (name === 'country_code') return `coalesce(u.${qi(name)}, h.${qi(name)}) AS ${qi(name)}`
    return `CASE WHEN u.area_id IS NULL THEN h.${qi(name)} ELSE u.${qi(name)} END AS ${qi(name)}`
  }).join(', ')

  /** One chunk, read and written under the table's lock: what the MusicBrainz stage wrote meanwhile is kept. */
  async function chunk (): Promise<{ processed: number, withoutCity: number, withoutCountry: number }> {
    return lake.write([hierarchy], async (tx) => {
      const rows = await tx.query(`SELECT ${hierarchyReadColumns.map((name) => qi(name)).join(', ')} FROM ${table}
        WHERE geo_at IS NULL ORDER BY area_id LIMIT $limit`, { limit: chunkRows })
      if (rows.length === 0) return { processed: 0, withoutCity: 0, withoutCountry: 0 }
      const geoAt = now().toISOString()
      let withoutCity = 0
      let withoutCountry = 0
      const updates = rows.map((stored) => {
        const row = stored as unknown as AreaHierarchyRow
        const base = geographyBase(row)
        if (![row.city, row.municipality, row.district].some(hasText)) withoutCity++
        if (base.country_code === null) withoutCountry++
        return { area_id: row.area_id, ...base, geo_at: geoAt }
      })
      const staged = await tx.stage(baseUpdates, updates)
      await tx.replaceWith(hierarchy, `SELECT ${merged} FROM ${table} h LEFT JOIN ${staged.name} u ON u.area_id = h.area_id`)
      return { processed: rows.length, withoutCity, withoutCountry }
    })
  }

  async function remaining (): Promise<number> {
    const [row] = await lake.query(`SELECT count(*)::INTEGER AS n FROM ${table} WHERE geo_at IS NULL`)
    return Number(row?.n ?? 0)
  }

  return {
    name: 'geography.base',
    tag: 'geography',
    summary: 'Geography base: continent, country and state codes and the geocoding key of every new MusicBrainz area',
    description: 'For every mbz_area_hierarchy row without geography yet (geo_at null): continent and continent_code ' +
      '(countries-list; transcontinental countries as the UN M49 geoscheme has them), country_code (MusicBrainz\'s ' +
      'ISO 3166-1 code first; territories keep their own), state_code (after the dash of the ISO 3166-2 code) and ' +
      'params (City,CC or City,ST,US). No network; the other columns are left as the MusicBrainz stage wrote them.',
    body,
    result,
    errors: ['LAKE_WRITE_FAILED'],
    defaultMaxSeconds: 120,
    async run (_body, { timeUp }) {
      const total = { processed: 0, withoutCity: 0, withoutCountry: 0 }
      for (;;) {
        const done = await chunk()
        total.processed += done.processed
        total.withoutCity += done.withoutCity
        total.withoutCountry += done.withoutCountry
        if (done.processed < chunkRows || timeUp()) break
      }
      return { ...total, remaining: await remaining(), status: 'complete' }
    },
  }
}
