import { describe, expect, it } from 'vitest'
import { column as c, defineTable, required } from '../../../src/lake/table.ts'
import { checkAreaTables } from '../../../src/stages/geography/areas.ts'
import { mbzAreaHierarchy, mbzArtistInfo } from '../../../src/stages/musicbrainz/tables.ts'

const artists = { table: mbzArtistInfo, id: 'id', areaColumns: ['area_id', 'begin_area_id', 'end_area_id'] }

describe('checkAreaTables', () => {
  it('accepts the MusicBrainz stage\'s tables as declared', () => {
    expect(() => checkAreaTables({ hierarchy: mbzAreaHierarchy, artists })).not.toThrow()
  })

  it('stops the app naming a column the geography stage relies on', () => {
    const renamed = defineTable({ name: 'mbz_area_hierarchy', description: 'x', key: ['area_id'], columns: { area_id: required(c.varchar('id')), city: c.varchar('city') } })
    expect(() => checkAreaTables({ hierarchy: renamed, artists })).toThrow(/needs mbz_area_hierarchy\.area_type, .*mbz_area_hierarchy\.geo_at/)
    expect(() => checkAreaTables({ hierarchy: mbzAreaHierarchy, artists: { ...artists, areaColumns: ['home_area'] } })).toThrow('needs mbz_artist_info.home_area')
  })
})
