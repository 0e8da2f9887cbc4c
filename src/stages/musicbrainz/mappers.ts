/**
 * MusicBrainz JSON (search hits, lookups, replayed raw answers) → lake rows. Pure: the caller gives the fetch time.
 * Empty strings are null; lists are never null.
 */
import { list, obj, text } from './parse.ts'
import type { AreaHierarchyRow, AreaRow, ArtistGenreRow, ArtistInfoRow } from './tables.ts'
import { compareText } from '../../compare-text.ts'

/** A tag as stored, its count always known. */
export type Tag = NonNullable<ArtistInfoRow['tags']>[number] & { count: number }
export type AreaPathEntry = NonNullable<AreaHierarchyRow['path']>[number]

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v.length > 0) : [])

/** Search answers give genders in lower case ("male"), lookups capitalised ("Male"): the row always has the latter. */
function gender (value: unknown): string | null {
  const g = text(value)
  return g ? g.charAt(0).toUpperCase() + g.slice(1) : null
}

function areaRef (value: unknown): { id: string | null, name: string | null } {
  const area = obj(value)
  return { id: text(area?.id), name: text(area?.name) }
}

/** Every tag as given (votes may be 0 or negative), highest count first, ties by name; a count given as text is read as a number. */
export function tagsOf (value: unknown): Tag[] {
  const tags = new Map<string, number>()
  for (const tag of list(value)) {
    const name = text(tag.name)?.trim()
    const count = Number(tag.count)
    if (!name || !Number.isFinite(count)) continue
    tags.set(name, Math.max(tags.get(name) ?? Number.NEGATIVE_INFINITY, count))
  }
  return [...tags].map(([name, count]) => ({ name, count })).sort((a, b) => b.count - a.count || compareText(a.name, b.name))
}

/**
 * A `mbz_artist_info` row from an artist search hit or lookup (either has what the row needs; lookups also carry the
 * legacy `begin_area`/`end_area` duplicates, read when the hyphenated keys are absent). Undefined without an id.
 */
export function artistInfoRow (artist: unknown, spotifyId: string | null, fetchedAt: string): ArtistInfoRow | undefined {
  const a = obj(artist)
  const id = text(a?.id)
  if (!a || !id) return undefined
  const area = areaRef(a.area)
  const begin = areaRef(a['begin-area'] ?? a.begin_area)
  const end = areaRef(a['end-area'] ?? a.end_area)
  const lifeSpan = obj(a['life-span']) ?? {}
  const lifeEnd = text(lifeSpan.end)
  return {
    id,
    spotify_id: spotifyId,
    name: text(a.name) ?? '',
    sort_name: text(a['sort-name']),
    type: text(a.type),
    gender: gender(a.gender),
    country: text(a.country),
    disambiguation: text(a.disambiguation),
    area_id: area.id,
    area_name: area.name,
    begin_area_id: begin.id,
    begin_area_name: begin.name,
    end_area_id: end.id,
    end_area_name: end.name,
    life_span_begin: text(lifeSpan.begin),
    life_span_end: lifeEnd,
    // Search answers say `ended: null` for "not ended"; an end date means ended whatever the flag says.
    life_span_ended: lifeSpan.ended === true || lifeEnd !== null,
    tags: tagsOf(a.tags),
    fetched_at: fetchedAt,
  }
}

/**
 * `mbz_artist_genre` rows: the artist's tags (and, from a lookup with `inc=genres`, its genres) that are in the
 * MusicBrainz genre list, compared case-insensitively and named as the list spells them; count > 0 only.
 */
export function artistGenreRows (artist: unknown, genreList: Iterable<string>): ArtistGenreRow[] {
  const a = obj(artist)
  const id = text(a?.id)
  if (!a || !id) return []
  const genres = new Map<string, string>()
  for (const name of genreList) genres.set(name.trim().toLowerCase(), name.trim())
  const counts = new Map<string, number>()
  for (const tag of [...tagsOf(a.tags), ...tagsOf(a.genres)]) {
    const genre = genres.get(tag.name.toLowerCase())
    if (!genre || tag.count <= 0) continue
    counts.set(genre, Math.max(counts.get(genre) ?? 0, tag.count))
  }
  return [...counts].map(([genre, count]) => ({ artist_mbid: id, genre, count })).sort((x, y) => y.count - x.count || compareText(x.genre, y.genre))
}

/** Nearer levels first: a parent of a nearer level keeps more of the chain (a city's county leads to its state too). */
const levelRank: Record<string, number> = { District: 1, City: 2, Municipality: 3, Island: 4, County: 5, Subdivision: 6, Country: 7 }

interface ParentRelation { id: string, type: string | null, ended: boolean, order: number }

/**
 * The parent of an area: the target of a backward "part of" relation. A current relation wins over an ended one (an
 * ended one is used only when there is no other); among several, the nearest level, then the first listed.
 */
export function parentOf (area: unknown): string | null {
  const parents: ParentRelation[] = []
  list(obj(area)?.relations).forEach((relation, order) => {
    if (relation.type !== 'part of' || relation.direction !== 'backward') return
    const target = obj(relation.area)
    const id = text(target?.id)
    if (id) parents.push({ id, type: text(target?.type), ended: relation.ended === true || text(relation.end) !== null, order })
  })
  const rank = (p: ParentRelation): number => levelRank[p.type ?? ''] ?? 4.5
  parents.sort((a, b) => Number(a.ended) - Number(b.ended) || rank(a) - rank(b) || a.order - b.order)
  return parents[0]?.id ?? null
}

/** A `mbz_areas` row from an area lookup with `inc=area-rels`. Undefined without an id. */
export function areaRow (area: unknown, fetchedAt: string): AreaRow | undefined {
  const a = obj(area)
  const id = text(a?.id)
  if (!a || !id) return undefined
  return {
    id,
    type: text(a.type),
    name: text(a.name) ?? '',
    sort_name: text(a['sort-name']),
    iso_3166_1: strings(a['iso-3166-1-codes']),
    iso_3166_2: strings(a['iso-3166-2-codes']),
    parent_id: parentOf(a),
    fetched_at: fetchedAt,
  }
}

export type AreaChain =
  | { complete: true, chain: AreaRow[] }
  | { complete: false, chain: AreaRow[], missingId: string }

/** How far a chain may climb; real ones have 1–4 hops. */
export const maxAreaDepth = 12

/**
 * The area and its ancestors, nearest first, following `parent_id` up to the first Country (or an area without a
 * parent, a loop, or `maxAreaDepth`). Incomplete, naming the first area not known yet, when `getArea` lacks one:
 * the caller fetches it and walks again — no hierarchy row is built from a half chain.
 */
export function walkAreaChain (areaId: string, getArea: (id: string) => AreaRow | undefined): AreaChain {
  const chain: AreaRow[] = []
  const seen = new Set<string>()
  let id: string | null = areaId
  while (id && !seen.has(id) && chain.length < maxAreaDepth) {
    const area = getArea(id)
    if (!area) return { complete: false, chain, missingId: id }
    chain.push(area)
    seen.add(id)
    if (area.type === 'Country') break
    id = area.parent_id
  }
  return { complete: true, chain }
}

type FlatColumn = 'city' | 'municipality' | 'district' | 'county' | 'subdivision' | 'country' | 'island'

const flatColumn: Record<string, FlatColumn> = {
  City: 'city', Municipality: 'municipality', District: 'district', County: 'county', Subdivision: 'subdivision', Country: 'country', Island: 'island',
}

/**
 * The `mbz_area_hierarchy` row of a complete chain (area first). `path` keeps every area of the chain, so two ancestors
 * of one type (a Subdivision inside a Subdivision) both survive there; in the flat columns the nearest one wins.
 * `subdivision_code` is the first ISO 3166-2 code of the nearest Subdivision that has one, `country_code` the first
 * ISO 3166-1 code of the Country.
 */
export function hierarchyRow (chain: readonly AreaRow[]): AreaHierarchyRow | undefined {
  const area = chain[0]
  if (!area) return undefined
  const flat: Record<FlatColumn, string | null> = { city: null, municipality: null, district: null, county: null, subdivision: null, country: null, island: null }
  let subdivisionCode: string | null = null
  let countryCode: string | null = null
  for (const a of chain) {
    const column = flatColumn[a.type ?? '']
    if (column && flat[column] === null) flat[column] = a.name
    if (a.type === 'Subdivision' && subdivisionCode === null) subdivisionCode = a.iso_3166_2?.[0] ?? null
    if (a.type === 'Country' && countryCode === null) countryCode = a.iso_3166_1?.[0] ?? null
  }
  return {
    area_id: area.id,
    area_type: area.type,
    area_name: area.name,
    path: chain.map((a) => ({ id: a.id, type: a.type, name: a.name, iso_3166_1: [...a.iso_3166_1 ?? []], iso_3166_2: [...a.iso_3166_2 ?? []] })),
    ...flat,
    subdivision_code: subdivisionCode,
    country_code: countryCode,
    // The geography stage's columns.
    continent: null,
    continent_code: null,
    state_code: null,
    params: null,
    geo_at: null,
  }
}
