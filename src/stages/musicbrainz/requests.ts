import { normaliseIsrcs } from './normalise.ts'

/** `/ws/2/url` reads at most this many `resource` parameters and silently drops the rest. */
export const maxUrlResources = 100
/** Search `limit` is 1–100 (out of range means 25). */
export const maxSearchLimit = 100
/** ISRCs per recording search: one ISRC can carry several recordings, so 40 ISRCs rarely need a second page. */
export const isrcsPerQuery = 40
/** `arid:` terms per artist search: 100 hits fit one page, and the query stays about 4.5 KB. */
export const aridsPerQuery = 100
/** Played titles put in one "has recordings" check. */
export const titlesPerCheck = 5

export interface UrlLookupChunk {
  spotifyIds: string[]
  searchParams: URLSearchParams
}

export interface SearchChunk<T> {
  /** What the query asks for (ISRCs, MBIDs), to map the hits back by content. */
  terms: T[]
  query: string
}

export function spotifyArtistUrl (spotifyId: string): string {
  return `https://open.spotify.com/artist/${spotifyId}`
}

/** The Spotify artist id of an `open.spotify.com/artist/…` URL (any scheme, trailing slash or query), else null. */
export function spotifyIdFromResource (resource: string): string | null {
  return /^(?:https?:\/\/)?open\.spotify\.com\/(?:intl-[a-z-]+\/)?artist\/([0-9A-Za-z]{22})(?:[/?#].*)?$/.exec(resource)?.[1] ?? null
}

function distinct<T> (values: Iterable<T>): T[] {
  return [...new Set(values)]
}

/** Splits `values` into chunks of at most `size`, as even as possible (101 → 51 + 50, never 100 + 1). */
export function evenChunks<T> (values: readonly T[], size: number): T[][] {
  if (values.length === 0) return []
  const count = Math.ceil(values.length / size)
  const base = Math.floor(values.length / count)
  const extra = values.length % count
  const chunks: T[][] = []
  let start = 0
  for (let i = 0; i < count; i++) {
    const length = base + (i < extra ? 1 : 0)
    chunks.push(values.slice(start, start + length))
    start += length
  }
  return chunks
}

/**
 * `/ws/2/url` requests for these Spotify artists: at most 100 resources each (more would be dropped without a word),
 * spread evenly so that no chunk has a single resource unless only one artist is asked for — a single resource
 * answers another shape (a plain url object, or 404), which the client also handles.
 */
export function urlLookupChunks (spotifyIds: Iterable<string>): UrlLookupChunk[] {
  return evenChunks(distinct(spotifyIds), maxUrlResources).map((ids) => {
    const searchParams = new URLSearchParams()
    for (const id of ids) searchParams.append('resource', spotifyArtistUrl(id))
    searchParams.set('inc', 'artist-rels')
    return { spotifyIds: ids, searchParams }
  })
}

/** Lucene phrase: the text in double quotes, with `\` and `"` escaped. */
export function phrase (text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`
}

/** `isrc:A OR isrc:B …` queries over the valid, distinct, upper-cased ISRCs (invalid ones are left out). */
export function isrcQueries (isrcs: Iterable<string>, perQuery = isrcsPerQuery): Array<SearchChunk<string>> {
  return evenChunks(normaliseIsrcs(isrcs), perQuery).map((terms) => ({ terms, query: terms.map((isrc) => `isrc:${isrc}`).join(' OR ') }))
}

const mbidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export function isMbid (value: string): boolean {
  return mbidPattern.test(value)
}

/** `arid:X OR arid:Y …` queries, 100 MBIDs each (strings that are not MBIDs are left out). */
export function aridQueries (mbids: Iterable<string>, perQuery = aridsPerQuery): Array<SearchChunk<string>> {
  const valid = distinct([...mbids].map((m) => m.toLowerCase())).filter(isMbid)
  return evenChunks(valid, perQuery).map((terms) => ({ terms, query: terms.map((mbid) => `arid:${mbid}`).join(' OR ') }))
}

/** Artist search by name: the name as a phrase in the name and alias fields. */
export function artistNameQuery (name: string): string {
  const quoted = phrase(name.trim())
  return `artist:${quoted} OR alias:${quoted}`
}

/**
 * The played title as MusicBrainz most likely spells the recording: Spotify's " - Remastered 2011" style suffixes and
 * bracketed notes ("(feat. X)", "[Live]") cut off. Empty when nothing is left.
 */
export function searchableTitle (title: string): string {
  return title.replace(/\s+-\s+.*$/, '').replace(/\s*[([].*?[)\]]/g, '').trim()
}

/**
 * The recording search that proves a name-matched artist is the one played: a recording by that MBID titled like one
 * of the played tracks (`arid:X AND (recording:"t1" OR …)`, `limit=1`: only the count is read). Without titles it
 * only proves the artist has recordings at all (`arid:X`).
 */
export function recordingCheckQuery (mbid: string, titles: Iterable<string>): { query: string, titles: string[] } {
  const usable = distinct([...titles].map(searchableTitle).filter((t) => t.length > 0)).slice(0, titlesPerCheck)
  if (usable.length === 0) return { query: `arid:${mbid}`, titles: [] }
  return { query: `arid:${mbid} AND (${usable.map((t) => `recording:${phrase(t)}`).join(' OR ')})`, titles: usable }
}
