import type { TableDef } from '../../lake/table.ts'

/**
 * What the geography stage reads and fills of the MusicBrainz stage's tables, handed over by app.ts (a stage never
 * imports another). The column names are the contract; createGeographySteps checks them when the app is built.
 */
export interface AreaTables {
  /** mbz_area_hierarchy: one row per area, with the columns the base step reads and the ones it fills */
  hierarchy: TableDef
  /** mbz_artist_info: `id` is the artist, `areaColumns` name the areas an artist is from, begins or ends in */
  artists: { table: TableDef, id: string, areaColumns: string[] }
}

/** The columns of mbz_area_hierarchy the base rules read (AreaHierarchyRow in base.ts). */
export const hierarchyReadColumns = [
  'area_id', 'area_type', 'area_name', 'path', 'city', 'municipality', 'district', 'county', 'subdivision',
  'subdivision_code', 'country', 'country_code', 'island',
] as const

/** The columns of mbz_area_hierarchy the base step fills; every other column is the MusicBrainz stage's. */
export const hierarchyGeoColumns = ['continent', 'continent_code', 'country_code', 'state_code', 'params', 'geo_at'] as const

function requireColumns (table: TableDef, columns: readonly string[]): void {
  const missing = columns.filter((name) => !table.columns.some((c) => c.name === name))
  if (missing.length > 0) throw new Error(`the geography stage needs ${table.name}.${missing.join(`, ${table.name}.`)}`)
}

/** Fails the app's start, not a request, when the MusicBrainz tables lack a column the geography stage relies on. */
export function checkAreaTables (areas: AreaTables): void {
  requireColumns(areas.hierarchy, [...hierarchyReadColumns, ...hierarchyGeoColumns])
  requireColumns(areas.artists.table, [areas.artists.id, ...areas.artists.areaColumns])
  if (areas.hierarchy.key.join() !== 'area_id') throw new Error(`the geography stage expects ${areas.hierarchy.name} keyed by area_id`)
}
