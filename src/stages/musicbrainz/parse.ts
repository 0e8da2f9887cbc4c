/**
 * Reading MusicBrainz answers (as received, or replayed from raw/) into the few facts matching needs. Unknown fields are
 * ignored and malformed entries skipped, never thrown on: one odd hit must not lose the rest of a page.
 */
import { normaliseIsrc } from './normalise.ts'
import { spotifyIdFromResource } from './requests.ts'

export type Json = Record<string, unknown>

export const obj = (value: unknown): Json | undefined => (value && typeof value === 'object' && !Array.isArray(value) ? value as Json : undefined)
export const list = (value: unknown): Json[] => (Array.isArray(value) ? value.map(obj).filter((v): v is Json => v !== undefined) : [])
export const text = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : null)

export interface LinkedArtist {
  id: string
  name: string
  sortName: string | null
  /** The relationship type ("free streaming"). */
  relation: string
  ended: boolean
}

export interface UrlEntry {
  resource: string
  /** Null when the resource is not a Spotify artist URL. */
  spotifyId: string | null
  artists: LinkedArtist[]
}

export interface CreditedArtist {
  id: string
  /** The artist's own name. */
  name: string
  sortName: string | null
  /** The name the recording credits the artist as (often the same). */
  creditedAs: string
  joinphrase: string
  aliases: string[]
}

export interface RecordingHit {
  id: string
  title: string
  /** Upper-cased. Search answers list `[{id}]`, lookups plain strings: both are read. */
  isrcs: string[]
  credits: CreditedArtist[]
}

export interface SearchPage<T> {
  count: number
  offset: number
  hits: T[]
}

export interface ArtistHit {
  id: string
  name: string
  sortName: string | null
  score: number | null
  aliases: string[]
  /** The hit as received, for the mappers. */
  raw: Json
}

function urlEntry (url: Json): UrlEntry | undefined {
  const resource = text(url.resource)
  if (!resource) return undefined
  const artists: LinkedArtist[] = []
  for (const relation of list(url.relations)) {
    const artist = obj(relation.artist)
    const id = text(artist?.id)
    if (!artist || !id) continue
    artists.push({ id, name: text(artist.name) ?? '', sortName: text(artist['sort-name']), relation: text(relation.type) ?? '', ended: relation.ended === true })
  }
  return { resource, spotifyId: spotifyIdFromResource(resource), artists }
}

/** Both shapes of `/ws/2/url?resource=…`: `{urls:[…]}` for several resources, a plain url object for one. */
export function parseUrlAnswer (body: unknown): UrlEntry[] {
  const answer = obj(body)
  if (!answer) return []
  const entries = Array.isArray(answer.urls) ? list(answer.urls) : [answer]
  return entries.map(urlEntry).filter((e): e is UrlEntry => e !== undefined)
}

function aliasNames (value: unknown): string[] {
  return list(value).map((a) => text(a.name)).filter((n): n is string => n !== null)
}

function credit (entry: Json): CreditedArtist | undefined {
  const artist = obj(entry.artist)
  const id = text(artist?.id)
  if (!artist || !id) return undefined
  const name = text(artist.name) ?? text(entry.name) ?? ''
  return {
    id,
    name,
    sortName: text(artist['sort-name']),
    creditedAs: text(entry.name) ?? name,
    joinphrase: typeof entry.joinphrase === 'string' ? entry.joinphrase : '',
    aliases: aliasNames(artist.aliases),
  }
}

export function recordingHit (recording: Json): RecordingHit | undefined {
  const id = text(recording.id)
  if (!id) return undefined
  const isrcs = new Set<string>()
  for (const value of Array.isArray(recording.isrcs) ? recording.isrcs : []) {
    const isrc = normaliseIsrc(typeof value === 'string' ? value : text(obj(value)?.id))
    if (isrc) isrcs.add(isrc)
  }
  return {
    id,
    title: text(recording.title) ?? '',
    isrcs: [...isrcs],
    credits: list(recording['artist-credit']).map(credit).filter((c): c is CreditedArtist => c !== undefined),
  }
}

function page<T> (body: unknown, key: string, map: (entry: Json) => T | undefined): SearchPage<T> {
  const answer = obj(body) ?? {}
  const hits = list(answer[key]).map(map).filter((h): h is T => h !== undefined)
  const count = typeof answer.count === 'number' ? answer.count : hits.length
  const offset = typeof answer.offset === 'number' ? answer.offset : 0
  return { count, offset, hits }
}

/** A page of `/ws/2/recording?query=…`. */
export function parseRecordingSearch (body: unknown): SearchPage<RecordingHit> {
  return page(body, 'recordings', recordingHit)
}

/** `/ws/2/isrc/{isrc}` lookups answer `{isrc, recordings:[…]}` with plain-string ISRCs. */
export function parseIsrcLookup (body: unknown): RecordingHit[] {
  return list(obj(body)?.recordings).map(recordingHit).filter((h): h is RecordingHit => h !== undefined)
}

export function artistHit (artist: Json): ArtistHit | undefined {
  const id = text(artist.id)
  if (!id) return undefined
  return {
    id,
    name: text(artist.name) ?? '',
    sortName: text(artist['sort-name']),
    score: typeof artist.score === 'number' ? artist.score : null,
    aliases: aliasNames(artist.aliases),
    raw: artist,
  }
}

/** A page of `/ws/2/artist?query=…`. */
export function parseArtistSearch (body: unknown): SearchPage<ArtistHit> {
  return page(body, 'artists', artistHit)
}

/**
 * `/ws/2/genre/all`: with `fmt=txt` one name per line (the whole list in one call), with `fmt=json` a page of
 * `{genre-count, genre-offset, genres:[{id,name,disambiguation}]}`. Names are returned trimmed, without repeats.
 */
export function parseGenreList (body: unknown): string[] {
  const names = typeof body === 'string'
    ? body.split(/\r?\n/)
    : list(obj(body)?.genres).map((g) => text(g.name) ?? '')
  return [...new Set(names.map((n) => n.trim()).filter((n) => n.length > 0))]
}
