import { openLake } from '../../helpers/lake.ts'
import { mbzAreaHierarchy, mbzArtistInfo, type AreaHierarchyRow, type ArtistInfoRow } from '../../../src/stages/musicbrainz/tables.ts'

/** A MusicBrainz-shaped id for test area or artist n. */
export const mbid = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`

type PathEntry = NonNullable<AreaHierarchyRow['path']>[number]

export const pathEntry = (n: number, type: string, name: string, codes: { iso1?: string[], iso2?: string[] } = {}): PathEntry =>
  ({ id: mbid(n), type, name, iso_3166_1: codes.iso1 ?? [], iso_3166_2: codes.iso2 ?? [] })

/** An mbz_area_hierarchy row as the MusicBrainz stage writes it: no geography columns yet. */
export function areaRow (n: number, fields: Partial<AreaHierarchyRow>): Partial<AreaHierarchyRow> & { area_id: string } {
  return { area_id: mbid(n), area_type: 'City', area_name: fields.city ?? null, ...fields }
}

export function artistRow (n: number, areaN: number, fields: Partial<ArtistInfoRow> = {}): Partial<ArtistInfoRow> & { id: string, name: string } {
  return { id: mbid(100_000 + n), name: `Artist ${n}`, area_id: mbid(areaN), ...fields }
}

/** Writes MusicBrainz stage rows straight to the lake of `dataDir`, as if its steps had run; the app is built after. */
export async function seedMusicBrainz (dataDir: string, rows: { areas?: Array<Record<string, unknown>>, artists?: Array<Record<string, unknown>> }): Promise<void> {
  const lake = await openLake(dataDir)
  try {
    if (rows.areas) await lake.merge(mbzAreaHierarchy, rows.areas)
    if (rows.artists) await lake.merge(mbzArtistInfo, rows.artists)
  } finally {
    await lake.close()
  }
}

const unitedStates = (n: number) => pathEntry(n, 'Country', 'United States', { iso1: ['US'] })

/** A small world: shared names, a territory, codes MusicBrainz lacks, rows without a city or a country. */
export function sampleAreas (): Array<Partial<AreaHierarchyRow> & { area_id: string }> {
  return [
    areaRow(1, {
      city: 'Portland',
      county: 'Multnomah County',
      subdivision: 'Oregon',
      subdivision_code: 'US-OR',
      country: 'United States',
      country_code: 'US',
      path: [pathEntry(1, 'City', 'Portland'), pathEntry(901, 'County', 'Multnomah County'), pathEntry(902, 'Subdivision', 'Oregon', { iso2: ['US-OR'] }), unitedStates(900)]
    }),
    areaRow(2, { city: 'Portland', subdivision: 'Maine', subdivision_code: 'US-ME', country: 'United States', country_code: 'US' }),
    areaRow(3, { city: 'London', subdivision: 'England', subdivision_code: 'GB-ENG', country: 'United Kingdom', country_code: 'GB' }),
    areaRow(4, { city: 'London', subdivision: 'Ontario', subdivision_code: 'CA-ON', country: 'Canada', country_code: 'CA' }),
    // Puerto Rico reached as a subdivision of the United States: a territory keeps its own code.
    areaRow(5, { city: 'San Juan', subdivision: 'Puerto Rico', subdivision_code: 'US-PR', country: 'United States', country_code: 'US' }),
    // MusicBrainz gives no country code: from the subdivision's ISO 3166-2 code.
    areaRow(6, { city: 'Cardiff', subdivision: 'Wales', subdivision_code: 'GB-WLS', country: 'United Kingdom' }),
    areaRow(7, { city: 'Moscow', country: 'Russia', country_code: 'RU' }),
    areaRow(8, { area_type: 'Municipality', area_name: 'Copenhagen Municipality', municipality: 'Copenhagen Municipality', country: 'Denmark', country_code: 'DK' }),
    // No city: a country alone.
    areaRow(9, { area_type: 'Country', area_name: 'France', country: 'France', country_code: 'FR' }),
    // No country: MusicBrainz's "[Worldwide]".
    areaRow(10, { area_type: 'Country', area_name: '[Worldwide]', country: '[Worldwide]', country_code: 'XW' }),
    // A place no geocoder knows.
    areaRow(11, { city: 'Atlantis', country: 'Greece', country_code: 'GR' }),
    areaRow(12, { city: 'Birmingham', subdivision: 'Alabama', subdivision_code: 'US-AL', country: 'United States', country_code: 'US' }),
    areaRow(13, { city: 'Valencia', subdivision: 'Carabobo', subdivision_code: 'VE-G', country: 'Venezuela', country_code: 'VE' }),
  ]
}
