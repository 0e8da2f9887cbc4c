import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createFakeServer, type FakeRequest, type FakeResponse, type FakeServer } from './fake-server.ts'
import { spotifyId } from './fake-spotify.ts'
import { mulberry32 } from '../helpers/random.ts'

/*
 * MusicBrainz Web Service v2 as documented and as its source (metabrainz/musicbrainz-server) behaves:
 * - /ws/2/url?resource=…: several resources → {url-count, url-offset, urls} sorted by url MBID (not request order),
 *   unknown ones absent, resources past 100 dropped without a word; one resource → the url object, or 404.
 * - /ws/2/{recording,artist,area}?query=…: a Lucene subset (field:term, field:"phrase", AND, OR, NOT, parentheses),
 *   {created, count, offset, <plural>}, limit 1–100 (anything else means 25), paging by offset.
 * - /ws/2/area/{id}?inc=area-rels, /ws/2/artist/{id}, /ws/2/isrc/{isrc}: lookups, 404 when unknown.
 * - /ws/2/genre/all: fmt=json pages of {genre-count, genre-offset, genres} (limit default 25, capped at 100),
 *   fmt=txt the whole list, one name per line (Controller/WS/2/Genre.pm: "If fmt=txt, limit and offset are ignored").
 * - A client (keyed by User-Agent) faster than the rate gets 503 with the real body; no meaningful User-Agent → 403.
 */

const fixture = (name: string): Record<string, any> =>
  JSON.parse(readFileSync(new URL(`../fixtures/musicbrainz/${name}`, import.meta.url), 'utf8'))

export const musicbrainzFixtures = {
  isrcLookup: fixture('musicbrainz-isrc-lookup.json'),
  artistLookupAliases: fixture('musicbrainz-artist-lookup-aliases.json'),
  artistLookupCityArea: fixture('musicbrainz-artist-lookup-city-area.json'),
  areaLookupAreaRels: fixture('musicbrainz-area-lookup-area-rels.json'),
  areaSearch: fixture('musicbrainz-area-search.json'),
  recordingSearch: fixture('musicbrainz-recording-search.json'),
}

/** A deterministic MBID-shaped id. */
export function mbid (seed: string): string {
  const h = createHash('sha256').update(`mbid:${seed}`).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[parseInt(h[16]!, 16) % 4]}${h.slice(17, 20)}-${h.slice(20, 32)}`
}

export const variousArtistsMbid = '89ad4ac3-39f7-470e-963a-56509c546377'
export const rateLimitBody = { error: 'Your requests are exceeding the allowable rate limit. Please see http://wiki.musicbrainz.org/XMLWebService for more information.' }
export const notFoundBody = { error: 'Not Found', help: 'For usage, please see: https://musicbrainz.org/development/mmd' }
export const forbiddenBody = { error: 'You are not authorized to access this resource.', help: 'For usage, please see: https://musicbrainz.org/development/mmd' }

export type AreaType = 'Country' | 'Subdivision' | 'County' | 'Municipality' | 'City' | 'District' | 'Island'
export const areaTypeIds: Record<AreaType, string> = {
  Country: '06dd0ae4-8c74-30bb-b43d-95dcedf961de',
  Subdivision: 'fd3d44c5-80a1-3842-9745-2c4972d35afa',
  City: '6fd8f29a-3d0a-32fc-980d-ea697b69da78',
  Municipality: '17246454-5ac4-36a1-b81a-4753eb2dab20',
  District: '84039871-5e47-38ca-a66a-45e512c8290f',
  Island: '3f8e7b66-058b-369b-9834-ffa5fcba5641',
  County: 'bcecec27-8bdb-3e00-8254-d948dda502fa',
}
const artistTypeIds: Record<string, string> = {
  Person: 'b6e035f4-3ce9-331c-97df-83397230b0df',
  Group: 'e431f5f6-b5d2-343d-8b36-72607fffb74b',
  Other: 'ac897045-5043-3294-969b-187360e45d86',
  Character: '5c1375b0-f18d-3db7-a164-a49d7a63773f',
  Orchestra: 'a0b36c92-3eb1-3839-a4f9-4799823f54a5',
  Choir: '6124967d-7e3a-3eba-b642-c9a2ffb44d94',
}
const genderIds: Record<string, string> = {
  Male: '36d3d30a-839d-3eda-8cb3-29be4384e4a9',
  Female: '93452b5a-a947-30c8-934f-6a4056b151c2',
  Other: '081c0bf5-da60-37b0-95f8-2207a3f7f9d6',
}
const partOfTypeId = 'de7cc874-8b1b-3a05-8272-f3834c968fb7'
const freeStreamingTypeId = '769085a1-c2f7-4c24-a532-2375a77693bd'
const officialStatusId = '4e304316-386d-3409-af2e-78857eec5cfe'
const releaseGroupTypeIds: Record<string, string> = {
  Album: 'f529b476-6e62-324f-b0aa-1f3e33d313fc',
  Single: 'd6038452-8ee0-3f68-affc-2de9a1ede0b9',
}
const compilationTypeId = 'dd2a21e1-0c00-3729-a7a0-de60b84eb5d1'

/** A slice of the real list (about 2,000 names), in MusicBrainz's order (by name). */
export const defaultGenres = [
  'acoustic', 'alternative rock', 'ambient', 'art pop', 'big beat', 'blues', 'bossa nova', 'classical', 'country',
  'dance-pop', 'disco', 'downtempo', 'dream pop', 'drum and bass', 'dubstep', 'electronic', 'electronica', 'emo', 'folk',
  'folk rock', 'funk', 'garage rock', 'glitch', 'gospel', 'grime', 'grunge', 'hard rock', 'heavy metal', 'hip hop',
  'house', 'indie folk', 'indie pop', 'indie rock', 'j-pop', 'jazz', 'k-pop', 'krautrock', 'lo-fi', 'metal',
  'new wave', 'noise rock', 'pop', 'pop rock', 'post-punk', 'post-rock', 'progressive rock', 'psychedelic rock', 'punk',
  'r&b', 'rap', 'reggae', 'rock', 'shoegaze', 'singer-songwriter', 'ska', 'soul', 'synth-pop', 'synthwave', 'techno',
  'trance', 'trip hop',
]

export interface LifeSpan {
  begin: string | null
  end: string | null
  ended: boolean
}

export interface FakeArea {
  id: string
  name: string
  sortName: string
  type: AreaType | null
  disambiguation: string
  iso1: string[]
  iso2: string[]
  /** "part of" parents; `ended` marks a relation that no longer holds (a former country). */
  parents: Array<{ id: string, ended: boolean, begin?: string | null, end?: string | null }>
  lifeSpan: LifeSpan
}

export interface FakeAlias {
  name: string
  sortName: string
  locale: string | null
  type: string | null
  primary: boolean | null
}

export interface FakeArtist {
  id: string
  name: string
  sortName: string
  type: string | null
  gender: string | null
  /** ISO 3166-1 code; by default the code of the area when it is a Country (null for a city, as MusicBrainz does). */
  country: string | null
  disambiguation: string
  areaId: string | null
  beginAreaId: string | null
  endAreaId: string | null
  lifeSpan: LifeSpan
  aliases: FakeAlias[]
  tags: Array<{ name: string, count: number }>
  isnis: string[]
  ipis: string[]
  /** Spotify artist ids whose open.spotify.com URL carries a "free streaming" relation to this artist. */
  spotifyIds: string[]
}

export interface FakeCredit {
  artistId: string
  /** The name credited (may differ from the artist's name). */
  name: string
  joinphrase: string
}

export interface FakeRelease {
  id: string
  title: string
  primaryType: 'Album' | 'Single'
  secondaryTypes: string[]
  date: string
  country: string
  credits: FakeCredit[]
}

export interface FakeRecording {
  id: string
  title: string
  length: number
  isrcs: string[]
  credits: FakeCredit[]
  firstReleaseDate: string
  releases: FakeRelease[]
}

export type CreditInput = FakeArtist | string | { artist: FakeArtist | string, as?: string, joinphrase?: string }

export interface FakeMusicBrainzOptions {
  /** Requests per second a client (User-Agent) may make; Infinity turns the rule off. Default 1. */
  ratePerSec?: number
  /** How much earlier than its slot a request may arrive (network jitter). Default: half the interval. */
  toleranceMs?: number
  /** The fake's clock in ms (inject it to test the rate rule without real time). */
  now?: () => number
  /** Answer the fixture files for their exact URLs. Default true. */
  serveFixtures?: boolean
  genres?: string[]
}

export type FakeEndpoint = 'url' | 'recording' | 'artist' | 'area' | 'genre' | 'isrc'

export interface FakeMusicBrainz {
  server: FakeServer
  readonly url: string
  options: { ratePerSec: number, toleranceMs: number | undefined, now: () => number, serveFixtures: boolean }
  areas: Map<string, FakeArea>
  artists: Map<string, FakeArtist>
  recordings: Map<string, FakeRecording>
  genres: string[]
  /** Requests that reached /ws/2/<endpoint> (all of them when no endpoint is given), whatever the answer. */
  calls (endpoint?: FakeEndpoint): number
  /** 503s served: for going faster than the rate, and by `storm`. */
  readonly served503: number
  readonly rateLimited: number
  readonly forbidden: number
  setRate (perSec: number): void
  /** The next `times` requests (optionally only those whose path contains `match`) answer 503 with the real body. */
  storm (times: number, match?: string): void
  /** Analyses every document for search now, so the first searches after seeding a large world are not slow. */
  warm (): void
  addArea (input: AreaInput): FakeArea
  addArtist (input: ArtistInput): FakeArtist
  addRecording (input: RecordingInput): FakeRecording
  linkSpotify (artist: FakeArtist | string, spotifyArtistId: string): void
  close (): Promise<void>
}

export interface AreaInput {
  id?: string
  name: string
  type: AreaType | null
  sortName?: string
  iso1?: string[]
  iso2?: string[]
  parent?: FakeArea | string
  /** Several parents, or one whose relation has ended. */
  parents?: Array<{ area: FakeArea | string, ended?: boolean, begin?: string, end?: string }>
  lifeSpan?: Partial<LifeSpan>
  disambiguation?: string
}

export interface ArtistInput {
  id?: string
  name: string
  sortName?: string
  type?: string | null
  gender?: string | null
  country?: string | null
  disambiguation?: string
  area?: FakeArea | string | null
  beginArea?: FakeArea | string | null
  endArea?: FakeArea | string | null
  lifeSpan?: Partial<LifeSpan>
  aliases?: Array<string | FakeAlias>
  tags?: Record<string, number>
  spotifyId?: string | string[]
}

export interface RecordingInput {
  id?: string
  title: string
  isrcs?: string[]
  credits: CreditInput[]
  length?: number
  release?: { title?: string, credits?: CreditInput[] | 'various', type?: 'Album' | 'Single' | 'Compilation', date?: string, country?: string }
}

// ---------------------------------------------------------------------------------------------------------------
// A small Lucene: enough for field:term, field:"phrase", field:(…), AND, OR, NOT, -term, parentheses.

type Query =
  | { kind: 'or' | 'and', nodes: Query[] }
  | { kind: 'not', node: Query }
  | { kind: 'term', field: string | null, value: string, lower?: string, tokens?: string[] }

export function parseLucene (input: string): Query {
  let pos = 0
  const skip = (): void => { while (pos < input.length && /\s/.test(input[pos]!)) pos++ }
  const keyword = (word: string): boolean => {
    skip()
    if (input.startsWith(word, pos) && (pos + word.length === input.length || /[\s(]/.test(input[pos + word.length]!))) {
      pos += word.length
      return true
    }
    return false
  }
  const atEnd = (): boolean => { skip(); return pos >= input.length || input[pos] === ')' }
  /** The character at `pos` (a backslash escapes the next one), consumed. */
  const escaped = (): string => {
    if (input[pos] === '\\') pos++
    return input[pos++] ?? ''
  }

  function or (field: string | null): Query {
    const nodes = [and(field)]
    // Juxtaposed clauses are OR, Lucene's default operator.
    while (!atEnd()) {
      keyword('OR') || keyword('||')
      nodes.push(and(field))
    }
    return nodes.length === 1 ? nodes[0]! : { kind: 'or', nodes }
  }
  function and (field: string | null): Query {
    const nodes = [unary(field)]
    while (keyword('AND') || keyword('&&')) nodes.push(unary(field))
    return nodes.length === 1 ? nodes[0]! : { kind: 'and', nodes }
  }
  function unary (field: string | null): Query {
    skip()
    if (keyword('NOT')) return { kind: 'not', node: unary(field) }
    if (input[pos] === '-' || input[pos] === '!') {
      pos++
      return { kind: 'not', node: unary(field) }
    }
    if (input[pos] === '+') pos++
    return primary(field)
  }
  function primary (field: string | null): Query {
    skip()
    if (input[pos] === '(') {
      pos++
      const node = or(field)
      skip()
      if (input[pos] === ')') pos++
      return node
    }
    const named = /^([A-Za-z_-]+):/.exec(input.slice(pos))
    if (named) {
      pos += named[0].length
      return primary(named[1]!.toLowerCase())
    }
    if (input[pos] === '"') {
      pos++
      let value = ''
      while (pos < input.length && input[pos] !== '"') value += escaped()
      pos++
      return { kind: 'term', field, value }
    }
    let value = ''
    while (pos < input.length && !/[\s()]/.test(input[pos]!)) value += escaped()
    if (value.length === 0) throw new Error(`cannot parse query at ${pos}: ${input}`)
    return { kind: 'term', field, value }
  }

  const query = or(null)
  skip()
  if (pos < input.length) throw new Error(`cannot parse query at ${pos}: ${input}`)
  return query
}

const folded: Record<string, string> = { ø: 'o', æ: 'ae', œ: 'oe', ß: 'ss', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i' }

/** Lucene-style analysis: diacritics folded, lower case, split on anything not a letter or digit. */
function tokens (value: string): string[] {
  return value.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase()
    .replace(/[øæœßłđðþı]/g, (c) => folded[c] ?? c)
    .split(/[^\p{L}\p{N}]+/u).filter(Boolean)
}

interface SearchDoc {
  /** Identifier-like fields, matched whole and case-insensitively (isrc, arid, rid, aid): lower-cased values. */
  exact: Record<string, Set<string>>
  /** Text fields, matched as token phrases: each value's tokens. */
  text: Record<string, string[][]>
  defaults: string[]
}

function searchDoc (exact: Record<string, string[]>, text: Record<string, string[]>, defaults: string[]): SearchDoc {
  return {
    exact: Object.fromEntries(Object.entries(exact).map(([k, values]) => [k, new Set(values.map((v) => v.toLowerCase()))])),
    text: Object.fromEntries(Object.entries(text).map(([k, values]) => [k, values.map(tokens)])),
    defaults,
  }
}

function evaluate (query: Query, doc: SearchDoc, whole: { exact: boolean }): boolean {
  switch (query.kind) {
    case 'or': return query.nodes.map((n) => evaluate(n, doc, whole)).some(Boolean)
    case 'and': return query.nodes.every((n) => evaluate(n, doc, whole))
    case 'not': return !evaluate(query.node, doc, { exact: true })
    case 'term': {
      const fields = query.field === null ? doc.defaults : [query.field]
      query.lower ??= query.value.toLowerCase()
      const wanted = (query.tokens ??= tokens(query.value))
      return fields.some((field) => {
        const exact = doc.exact[field]
        if (exact) return exact.has(query.lower!)
        if (wanted.length === 0) return false
        return (doc.text[field] ?? []).some((have) => {
          for (let i = 0; i + wanted.length <= have.length; i++) {
            if (wanted.every((t, j) => have[i + j] === t)) {
              if (have.length !== wanted.length) whole.exact = false
              return true
            }
          }
          return false
        })
      })
    }
  }
}

/**
 * A bulk query (`arid:A OR arid:B …`, `isrc:A OR …`): the values asked for per field, so each document is checked
 * against a set instead of term by term. Undefined for any other query.
 */
function exactLookup (query: Query): Map<string, Set<string>> | undefined {
  const terms = query.kind === 'or' ? query.nodes : [query]
  const byField = new Map<string, Set<string>>()
  for (const term of terms) {
    if (term.kind !== 'term' || term.field === null) return undefined
    const values = byField.get(term.field) ?? new Set<string>()
    values.add(term.value.toLowerCase())
    byField.set(term.field, values)
  }
  return byField
}

/** The same answer `evaluate` gives a bulk query; undefined when a field is not an identifier field of this document. */
function matchesExact (doc: SearchDoc, lookup: Map<string, Set<string>>): boolean | undefined {
  let hit = false
  for (const [field, values] of lookup) {
    const have = doc.exact[field]
    if (!have) return undefined
    for (const value of have) if (values.has(value)) hit = true
  }
  return hit
}

// ---------------------------------------------------------------------------------------------------------------

const genericAgents = /^(java|python-urllib|jakarta commons-httpclient|apache-httpclient|got|node|undici|axios|curl|wget)\b/i

/** "App/1.2.3 ( contact )", the documented format; generic library agents do not count. */
function meaningfulAgent (agent: string | undefined): boolean {
  if (!agent || agent.trim().length === 0 || genericAgents.test(agent.trim())) return false
  return /^[^\s/]+\/\S+\s+\(\s*\S.*\)\s*$/.test(agent.trim())
}

function limitOf (raw: string | null, fallback = 25): number {
  const n = Number(raw)
  return raw !== null && Number.isInteger(n) && n >= 1 && n <= 100 ? n : fallback
}

function offsetOf (raw: string | null): number {
  const n = Number(raw)
  return raw !== null && Number.isInteger(n) && n >= 0 ? n : 0
}

const ref = (value: FakeArea | FakeArtist | string | null | undefined): string | null => (value === null || value === undefined ? null : typeof value === 'string' ? value : value.id)

export async function createFakeMusicBrainz (options: FakeMusicBrainzOptions = {}): Promise<FakeMusicBrainz> {
  const server = await createFakeServer('musicbrainz')
  const opts = {
    ratePerSec: options.ratePerSec ?? 1,
    toleranceMs: options.toleranceMs,
    now: options.now ?? (() => Date.now()),
    serveFixtures: options.serveFixtures ?? true,
  }
  const areas = new Map<string, FakeArea>()
  const artists = new Map<string, FakeArtist>()
  const recordings = new Map<string, FakeRecording>()
  const urlEntries = new Map<string, { id: string, resource: string, artistIds: string[] }>()
  const nextSlot = new Map<string, number>()
  const storms: Array<{ remaining: number, match?: string }> = []
  let rateLimited = 0
  let stormed = 0
  let forbidden = 0

  // --- the world → JSON, in the shapes of the fixtures ---------------------------------------------------------

  function nestedArea (id: string | null, forSearch: boolean): Record<string, unknown> | null {
    const area = id ? areas.get(id) : undefined
    if (!area) return null
    // Artist lookups do not load the area type (type: null), search hits carry it.
    const body: Record<string, unknown> = forSearch
      ? { id: area.id, type: area.type, 'type-id': area.type ? areaTypeIds[area.type] : null, name: area.name, 'sort-name': area.sortName, 'life-span': { ended: null } }
      : { 'type-id': null, name: area.name, id: area.id, 'sort-name': area.sortName, type: null, disambiguation: area.disambiguation }
    if (!forSearch && area.iso1.length > 0) body['iso-3166-1-codes'] = [...area.iso1]
    return body
  }

  function relatedArea (area: FakeArea): Record<string, unknown> {
    const body: Record<string, unknown> = { id: area.id, disambiguation: area.disambiguation, name: area.name, type: area.type, 'type-id': area.type ? areaTypeIds[area.type] : null, 'sort-name': area.sortName }
    if (area.iso1.length > 0) body['iso-3166-1-codes'] = [...area.iso1]
    if (area.iso2.length > 0) body['iso-3166-2-codes'] = [...area.iso2]
    return body
  }

  function partOf (direction: 'forward' | 'backward', area: FakeArea, link: { ended: boolean, begin?: string | null, end?: string | null }): Record<string, unknown> {
    return {
      begin: link.begin ?? null,
      'source-credit': '',
      area: relatedArea(area),
      type: 'part of',
      'target-type': 'area',
      direction,
      'attribute-ids': {},
      'attribute-values': {},
      'type-id': partOfTypeId,
      ended: link.ended,
      attributes: [],
      end: link.end ?? null,
      'target-credit': '',
    }
  }

  function areaJson (area: FakeArea, withRelations: boolean): Record<string, unknown> {
    const body: Record<string, unknown> = {
      type: area.type,
      'life-span': { ...area.lifeSpan },
      id: area.id,
      disambiguation: area.disambiguation,
      'sort-name': area.sortName,
      name: area.name,
      'type-id': area.type ? areaTypeIds[area.type] : null,
    }
    if (area.iso1.length > 0) body['iso-3166-1-codes'] = [...area.iso1]
    if (area.iso2.length > 0) body['iso-3166-2-codes'] = [...area.iso2]
    if (withRelations) {
      const relations: Array<Record<string, unknown>> = []
      for (const link of area.parents) {
        const parent = areas.get(link.id)
        if (parent) relations.push(partOf('backward', parent, link))
      }
      for (const child of areas.values()) {
        const link = child.parents.find((p) => p.id === area.id)
        if (link) relations.push(partOf('forward', child, link))
      }
      body.relations = relations
    }
    return body
  }

  function artistLookupJson (artist: FakeArtist, inc: string[]): Record<string, unknown> {
    const begin = nestedArea(artist.beginAreaId, false)
    const end = nestedArea(artist.endAreaId, false)
    const body: Record<string, unknown> = {
      'type-id': artist.type ? artistTypeIds[artist.type] ?? null : null,
      id: artist.id,
      'life-span': { end: artist.lifeSpan.end, ended: artist.lifeSpan.ended, begin: artist.lifeSpan.begin },
      disambiguation: artist.disambiguation,
      'gender-id': artist.gender ? genderIds[artist.gender] ?? null : null,
      isnis: [...artist.isnis],
      country: artist.country,
      begin_area: begin,
      'sort-name': artist.sortName,
      name: artist.name,
      gender: artist.gender,
      end_area: end,
      area: nestedArea(artist.areaId, false),
      type: artist.type,
      ipis: [...artist.ipis],
      'end-area': end,
      'begin-area': begin,
    }
    if (inc.includes('aliases')) {
      body.aliases = artist.aliases.map((a) => ({ end: null, locale: a.locale, 'sort-name': a.sortName, 'type-id': null, name: a.name, primary: a.primary, begin: null, type: a.type, ended: false }))
    }
    if (inc.includes('tags')) body.tags = artist.tags.map((t) => ({ count: t.count, name: t.name }))
    return body
  }

  function artistHitJson (artist: FakeArtist, score: number): Record<string, unknown> {
    const hit: Record<string, unknown> = { id: artist.id }
    if (artist.type) Object.assign(hit, { type: artist.type, 'type-id': artistTypeIds[artist.type] })
    hit.score = score
    if (artist.gender) Object.assign(hit, { 'gender-id': genderIds[artist.gender], gender: artist.gender.toLowerCase() })
    Object.assign(hit, { name: artist.name, 'sort-name': artist.sortName })
    if (artist.country) hit.country = artist.country
    const area = nestedArea(artist.areaId, true)
    if (area) hit.area = area
    const begin = nestedArea(artist.beginAreaId, true)
    if (begin) hit['begin-area'] = begin
    const end = nestedArea(artist.endAreaId, true)
    if (end) hit['end-area'] = end
    if (artist.disambiguation) hit.disambiguation = artist.disambiguation
    if (artist.isnis.length > 0) hit.isnis = [...artist.isnis]
    const lifeSpan: Record<string, unknown> = {}
    if (artist.lifeSpan.begin) lifeSpan.begin = artist.lifeSpan.begin
    if (artist.lifeSpan.end) lifeSpan.end = artist.lifeSpan.end
    lifeSpan.ended = artist.lifeSpan.ended ? true : null
    hit['life-span'] = lifeSpan
    if (artist.aliases.length > 0) {
      hit.aliases = artist.aliases.map((a) => ({ 'sort-name': a.sortName, name: a.name, locale: a.locale, type: a.type, primary: a.primary, 'begin-date': null, 'end-date': null }))
    }
    if (artist.tags.length > 0) hit.tags = artist.tags.map((t) => ({ count: t.count, name: t.name }))
    return hit
  }

  function creditJson (credits: FakeCredit[]): Array<Record<string, unknown>> {
    return credits.map((c) => {
      const artist = artists.get(c.artistId)
      const body: Record<string, unknown> = { name: c.name }
      if (c.joinphrase) body.joinphrase = c.joinphrase
      const nested: Record<string, unknown> = { id: c.artistId, name: artist?.name ?? c.name, 'sort-name': artist?.sortName ?? c.name }
      if (artist?.disambiguation) nested.disambiguation = artist.disambiguation
      body.artist = nested
      return body
    })
  }

  const sameCredits = (a: FakeCredit[], b: FakeCredit[]): boolean => a.length === b.length && a.every((c, i) => c.artistId === b[i]!.artistId)

  function recordingHitJson (recording: FakeRecording, score: number): Record<string, unknown> {
    const template = musicbrainzFixtures.recordingSearch.recordings[0]
    const hit: Record<string, unknown> = {
      id: recording.id,
      score,
      title: recording.title,
      length: recording.length,
      video: null,
      'artist-credit': creditJson(recording.credits),
      'first-release-date': recording.firstReleaseDate,
      releases: recording.releases.map((release) => {
        const body: Record<string, unknown> = {
          ...structuredClone(template.releases[0]),
          id: release.id,
          'status-id': officialStatusId,
          count: 1,
          title: release.title,
          status: 'Official',
          'release-group': {
            id: mbid(`release-group:${release.id}`),
            'type-id': releaseGroupTypeIds[release.primaryType],
            'primary-type-id': releaseGroupTypeIds[release.primaryType],
            title: release.title,
            'primary-type': release.primaryType,
            ...(release.secondaryTypes.length > 0 ? { 'secondary-types': [...release.secondaryTypes], 'secondary-type-ids': [compilationTypeId] } : {}),
          },
          date: release.date,
          country: release.country,
          'track-count': 10,
          media: [{ position: 1, format: 'Digital Media', track: [{ id: mbid(`track:${release.id}:${recording.id}`), number: '1', title: recording.title, length: recording.length }], 'track-count': 10, 'track-offset': 0 }],
        }
        ;(body['release-events'] as Array<Record<string, any>>)[0]!.date = release.date
        // A release credited otherwise than its recording (a compilation: Various Artists) says so.
        if (!sameCredits(release.credits, recording.credits)) body['artist-credit'] = creditJson(release.credits)
        return body
      }),
    }
    if (recording.isrcs.length > 0) hit.isrcs = recording.isrcs.map((id) => ({ id }))
    return hit
  }

  // --- search ----------------------------------------------------------------------------------------------------

  // Documents are analysed once; any seeding empties the cache (credits read artist names).
  const docs = new Map<object, SearchDoc>()
  const cached = <T extends object>(build: (t: T) => SearchDoc) => (item: T): SearchDoc => {
    let doc = docs.get(item)
    if (!doc) docs.set(item, doc = build(item))
    return doc
  }

  const recordingDoc = cached((recording: FakeRecording) => {
    const credited = recording.credits.flatMap((c) => [c.name, artists.get(c.artistId)?.name ?? c.name])
    return searchDoc(
      { isrc: recording.isrcs, arid: recording.credits.map((c) => c.artistId), rid: [recording.id] },
      { recording: [recording.title], artist: credited, artistname: credited, release: recording.releases.map((r) => r.title) },
      ['recording']
    )
  })

  const artistDoc = cached((artist: FakeArtist) => searchDoc(
    { arid: [artist.id], country: artist.country ? [artist.country] : [], type: artist.type ? [artist.type] : [] },
    { artist: [artist.name], alias: artist.aliases.map((a) => a.name), sortname: [artist.sortName], tag: artist.tags.map((t) => t.name) },
    ['artist', 'alias', 'sortname']
  ))

  const areaDoc = cached((area: FakeArea) => searchDoc(
    { aid: [area.id], iso: [...area.iso1, ...area.iso2], iso1: area.iso1, iso2: area.iso2, type: area.type ? [area.type] : [] },
    { area: [area.name], sortname: [area.sortName] },
    ['area', 'sortname']
  ))

  function search<T extends { id: string }> (request: FakeRequest, all: Iterable<T>, doc: (t: T) => SearchDoc, json: (t: T, score: number) => Record<string, unknown>, plural: string): FakeResponse {
    const raw = request.query.get('query')
    if (!raw) return { status: 400, json: { error: 'Missing required parameter: query', help: notFoundBody.help } }
    let query: Query
    try {
      query = parseLucene(raw)
    } catch (err) {
      return { status: 400, json: { error: (err as Error).message, help: notFoundBody.help } }
    }
    const hits: Array<{ item: T, score: number }> = []
    const lookup = exactLookup(query)
    for (const item of all) {
      const analysed = doc(item)
      const fast = lookup && matchesExact(analysed, lookup)
      if (fast === true) {
        hits.push({ item, score: 100 })
        continue
      }
      if (fast === false) continue
      const whole = { exact: true }
      if (evaluate(query, analysed, whole)) hits.push({ item, score: whole.exact ? 100 : 86 })
    }
    // Ordered by score, then by MBID: never by the order of the terms in the query.
    hits.sort((a, b) => b.score - a.score || a.item.id.localeCompare(b.item.id))
    const limit = limitOf(request.query.get('limit'))
    const offset = offsetOf(request.query.get('offset'))
    return {
      json: {
        created: new Date(opts.now()).toISOString(),
        count: hits.length,
        offset,
        [plural]: hits.slice(offset, offset + limit).map((h) => json(h.item, h.score)),
      },
    }
  }

  // --- the rules every request goes through ----------------------------------------------------------------------

  const fixtureAnswers = new Map<string, unknown>([
    ['/ws/2/isrc/USSUB0200002?inc=isrcs', musicbrainzFixtures.isrcLookup],
    ['/ws/2/artist/f99b7d67-4e63-4678-aa66-4c6ac0f7d24a?inc=aliases', musicbrainzFixtures.artistLookupAliases],
    ['/ws/2/artist/c8da2e40-bd28-4d4e-813a-bd2f51958ba8?', musicbrainzFixtures.artistLookupCityArea],
    ['/ws/2/area/10cb2ebd-1bc7-4c11-b10d-54f60c421d20?inc=area-rels', musicbrainzFixtures.areaLookupAreaRels],
    ['/ws/2/area?limit=5&query=Germany', musicbrainzFixtures.areaSearch],
    ['/ws/2/recording?query=Burn+the+Witch', musicbrainzFixtures.recordingSearch],
  ])

  function fixtureKey (request: FakeRequest): string {
    const params = [...request.query].filter(([k]) => k !== 'fmt').sort(([a], [b]) => a.localeCompare(b))
    return `${request.path}?${new URLSearchParams(params).toString()}`
  }

  /** 403, 503 (storm or too fast), or undefined to go on. */
  function guard (request: FakeRequest): FakeResponse | undefined {
    const agent = request.headers['user-agent']
    if (!meaningfulAgent(agent)) {
      forbidden++
      return { status: 403, json: forbiddenBody }
    }
    const storm = storms.find((s) => s.remaining > 0 && (!s.match || request.path.includes(s.match)))
    if (storm) {
      storm.remaining--
      stormed++
      return { status: 503, json: rateLimitBody }
    }
    if (!Number.isFinite(opts.ratePerSec)) return undefined
    // GCRA: each client has a theoretical arrival time; earlier than it by more than the tolerance is too fast.
    const interval = 1000 / opts.ratePerSec
    const tolerance = opts.toleranceMs ?? interval / 2
    const now = opts.now()
    const slot = nextSlot.get(agent!) ?? now
    if (now < slot - tolerance) {
      rateLimited++
      return { status: 503, json: rateLimitBody }
    }
    nextSlot.set(agent!, Math.max(slot, now) + interval)
    return undefined
  }

  /** fmt wins over Accept; without either MusicBrainz answers XML, which a JSON client cannot read. */
  function wantsJson (request: FakeRequest): boolean {
    const fmt = request.query.get('fmt')
    if (fmt) return fmt === 'json'
    return (request.headers.accept ?? '').includes('application/json')
  }

  function route (path: string, handler: (request: FakeRequest, params: Record<string, string>) => FakeResponse): void {
    server.route('GET', path, (request, params) => {
      const refused = guard(request)
      if (refused) return refused
      if (opts.serveFixtures && fixtureAnswers.has(fixtureKey(request))) return { json: fixtureAnswers.get(fixtureKey(request)) }
      if (request.query.get('fmt') !== 'txt' && !wantsJson(request)) {
        return { status: 200, headers: { 'content-type': 'application/xml; charset=utf-8' }, text: '<?xml version="1.0" encoding="UTF-8"?><metadata xmlns="http://musicbrainz.org/ns/mmd-2.0#"/>' }
      }
      return handler(request, params)
    })
  }

  const incOf = (request: FakeRequest): string[] => (request.query.get('inc') ?? '').split(/[+ ]/).filter(Boolean)

  route('/ws/2/url', (request) => {
    const resources = request.query.getAll('resource')
    if (resources.length === 0) return { status: 400, json: { error: 'Missing required parameter: query or resource', help: notFoundBody.help } }
    const withRelations = incOf(request).includes('artist-rels')
    const urlJson = (entry: { id: string, resource: string, artistIds: string[] }): Record<string, unknown> => {
      const body: Record<string, unknown> = { id: entry.id, resource: entry.resource }
      if (withRelations) {
        body.relations = entry.artistIds.map((id) => artists.get(id)).filter((a): a is FakeArtist => a !== undefined).map((artist) => ({
          'attribute-ids': {},
          'attribute-values': {},
          attributes: [],
          begin: null,
          direction: 'backward',
          end: null,
          ended: false,
          'source-credit': '',
          'target-credit': '',
          'target-type': 'artist',
          type: 'free streaming',
          'type-id': freeStreamingTypeId,
          artist: { id: artist.id, name: artist.name, 'sort-name': artist.sortName, disambiguation: artist.disambiguation, type: artist.type, 'type-id': artist.type ? artistTypeIds[artist.type] ?? null : null, country: artist.country },
        }))
      }
      return body
    }
    if (resources.length === 1) {
      const entry = urlEntries.get(resources[0]!)
      return entry ? { json: urlJson(entry) } : { status: 404, json: notFoundBody }
    }
    // MAX_RESOURCE_PARAMS = 100 in Controller/WS/2/URL.pm: the rest is dropped without a word.
    const found = [...new Set(resources.slice(0, 100))].map((r) => urlEntries.get(r)).filter((e) => e !== undefined)
    found.sort((a, b) => a.id.localeCompare(b.id))
    return { json: { 'url-count': found.length, 'url-offset': 0, urls: found.map(urlJson) } }
  })

  route('/ws/2/recording', (request) => search(request, recordings.values(), recordingDoc, recordingHitJson, 'recordings'))
  route('/ws/2/artist', (request) => search(request, artists.values(), artistDoc, artistHitJson, 'artists'))
  route('/ws/2/area', (request) => search(request, areas.values(), areaDoc, (area, score) => ({ ...areaJson(area, false), score }), 'areas'))

  route('/ws/2/artist/:id', (request, params) => {
    const artist = artists.get(params.id!.toLowerCase())
    return artist ? { json: artistLookupJson(artist, incOf(request)) } : { status: 404, json: notFoundBody }
  })

  route('/ws/2/area/:id', (request, params) => {
    const area = areas.get(params.id!.toLowerCase())
    return area ? { json: areaJson(area, incOf(request).includes('area-rels')) } : { status: 404, json: notFoundBody }
  })

  route('/ws/2/isrc/:isrc', (request, params) => {
    const isrc = params.isrc!.toUpperCase()
    const found = [...recordings.values()].filter((r) => r.isrcs.some((i) => i.toUpperCase() === isrc)).sort((a, b) => a.id.localeCompare(b.id))
    if (found.length === 0) return { status: 404, json: notFoundBody }
    const withCredits = incOf(request).some((i) => i === 'artist-credits' || i === 'artists')
    return {
      json: {
        recordings: found.map((r) => ({
          'first-release-date': r.firstReleaseDate,
          disambiguation: '',
          id: r.id,
          length: r.length,
          isrcs: [...r.isrcs],
          video: false,
          title: r.title,
          ...(withCredits ? { 'artist-credit': creditJson(r.credits) } : {}),
        })),
        isrc,
      },
    }
  })

  route('/ws/2/genre/all', (request) => {
    const sorted = [...fake.genres].sort((a, b) => a.localeCompare(b))
    if (request.query.get('fmt') === 'txt') return { text: sorted.join('\n'), headers: { 'content-type': 'text/plain; charset=utf-8' } }
    // Genre.pm uses _limit_and_offset: no limit → 25, over 100 → 100.
    const raw = Number(request.query.get('limit'))
    const limit = raw >= 1 && Number.isInteger(raw) ? Math.min(raw, 100) : 25
    const offset = offsetOf(request.query.get('offset'))
    return {
      json: {
        'genre-count': sorted.length,
        'genre-offset': offset,
        genres: sorted.slice(offset, offset + limit).map((name) => ({ id: mbid(`genre:${name}`), name, disambiguation: '' })),
      },
    }
  })

  // --- seeding ---------------------------------------------------------------------------------------------------

  function credits (inputs: CreditInput[]): FakeCredit[] {
    return inputs.map((input, i) => {
      const spec: { artist: FakeArtist | string, as?: string, joinphrase?: string } = typeof input === 'string' || 'spotifyIds' in input ? { artist: input } : input
      const id = ref(spec.artist)!
      const artist = artists.get(id)
      if (!artist) throw new Error(`fake MusicBrainz: credit to unknown artist ${id}`)
      const last = i === inputs.length - 1
      return { artistId: id, name: spec.as ?? artist.name, joinphrase: spec.joinphrase ?? (last ? '' : inputs.length - i === 2 ? ' & ' : ', ') }
    })
  }

  const fake: FakeMusicBrainz = {
    server,
    url: server.url,
    options: opts,
    areas,
    artists,
    recordings,
    genres: [...(options.genres ?? defaultGenres)],
    calls: (endpoint) => server.requests.filter((r) => r.path.startsWith(endpoint ? `/ws/2/${endpoint}` : '/ws/2/')).length,
    get served503 () { return rateLimited + stormed },
    get rateLimited () { return rateLimited },
    get forbidden () { return forbidden },
    setRate (perSec) {
      opts.ratePerSec = perSec
      nextSlot.clear()
    },
    storm (times, match) { storms.push({ remaining: times, match }) },
    warm () {
      for (const recording of recordings.values()) recordingDoc(recording)
      for (const artist of artists.values()) artistDoc(artist)
      for (const area of areas.values()) areaDoc(area)
    },

    addArea (input) {
      const id = input.id ?? mbid(`area:${input.name}:${input.type}`)
      const parents = [
        ...(input.parent ? [{ id: ref(input.parent)!, ended: false }] : []),
        ...(input.parents ?? []).map((p) => ({ id: ref(p.area)!, ended: p.ended ?? false, begin: p.begin ?? null, end: p.end ?? null })),
      ]
      const area: FakeArea = {
        id,
        name: input.name,
        sortName: input.sortName ?? input.name,
        type: input.type,
        disambiguation: input.disambiguation ?? '',
        iso1: input.iso1 ?? [],
        iso2: input.iso2 ?? [],
        parents,
        lifeSpan: { begin: null, end: null, ended: false, ...input.lifeSpan },
      }
      areas.set(id, area)
      docs.clear()
      return area
    },

    addArtist (input) {
      const id = input.id ?? mbid(`artist:${input.name}:${input.disambiguation ?? ''}`)
      const areaId = ref(input.area)
      const area = areaId ? areas.get(areaId) : undefined
      const artist: FakeArtist = {
        id,
        name: input.name,
        sortName: input.sortName ?? input.name,
        type: input.type === undefined ? 'Person' : input.type,
        gender: input.gender === undefined ? null : input.gender,
        country: input.country !== undefined ? input.country : area?.type === 'Country' ? area.iso1[0] ?? null : null,
        disambiguation: input.disambiguation ?? '',
        areaId,
        beginAreaId: ref(input.beginArea),
        endAreaId: ref(input.endArea),
        lifeSpan: { begin: null, end: null, ended: false, ...input.lifeSpan },
        aliases: (input.aliases ?? []).map((a) => (typeof a === 'string' ? { name: a, sortName: a, locale: null, type: null, primary: null } : a)),
        tags: Object.entries(input.tags ?? {}).map(([name, count]) => ({ name, count })),
        isnis: [],
        ipis: [],
        spotifyIds: [],
      }
      artists.set(id, artist)
      docs.clear()
      for (const sid of [input.spotifyId ?? []].flat()) fake.linkSpotify(artist, sid)
      return artist
    },

    addRecording (input) {
      const id = input.id ?? mbid(`recording:${input.title}:${(input.isrcs ?? []).join(',')}:${recordings.size}`)
      const recordingCredits = credits(input.credits)
      const release = input.release ?? {}
      const compilation = release.type === 'Compilation' || release.credits === 'various'
      const releaseCredits = release.credits === 'various'
        ? [{ artistId: variousArtistsMbid, name: 'Various Artists', joinphrase: '' }]
        : release.credits ? credits(release.credits) : recordingCredits
      const date = release.date ?? '2024-03-01'
      const recording: FakeRecording = {
        id,
        title: input.title,
        length: input.length ?? 200_000,
        isrcs: [...(input.isrcs ?? [])],
        credits: recordingCredits,
        firstReleaseDate: date,
        releases: [{
          id: mbid(`release:${id}`),
          title: release.title ?? input.title,
          primaryType: release.type === 'Single' ? 'Single' : 'Album',
          secondaryTypes: compilation ? ['Compilation'] : [],
          date,
          country: release.country ?? 'XW',
          credits: releaseCredits,
        }],
      }
      recordings.set(id, recording)
      docs.clear()
      return recording
    },

    linkSpotify (artist, spotifyArtistId) {
      const artistId = ref(artist)!
      const resource = `https://open.spotify.com/artist/${spotifyArtistId}`
      const entry = urlEntries.get(resource) ?? { id: mbid(`url:${resource}`), resource, artistIds: [] }
      if (!entry.artistIds.includes(artistId)) entry.artistIds.push(artistId)
      urlEntries.set(resource, entry)
      artists.get(artistId)?.spotifyIds.push(spotifyArtistId)
    },

    close: () => server.close(),
  }

  fake.addArtist({ id: variousArtistsMbid, name: 'Various Artists', type: 'Other', disambiguation: 'add compilations to this artist' })
  return fake
}

// ---------------------------------------------------------------------------------------------------------------
// Worlds

export interface SpotifySide {
  id: string
  name: string
  isrcs: string[]
  titles: string[]
}

export interface TrapCase {
  spotify: SpotifySide
  /** The right answer: an MBID, or null when no MBID is right. */
  mbid: string | null
  method: 'url-relation' | 'isrc' | 'name' | null
  what: string
}

const spotifySide = (key: string, name: string, isrcs: string[] = [], titles: string[] = []): SpotifySide => ({ id: spotifyId(`mbz-trap-${key}`), name, isrcs, titles })

/** Real places from the fixtures and a few chains around them: every shape a hierarchy walk meets. */
export function seedPlaces (fake: FakeMusicBrainz) {
  const unitedStates = fake.addArea({ id: '489ce91b-6658-3307-9877-795b68554c98', name: 'United States', type: 'Country', iso1: ['US'] })
  const washington = fake.addArea({ name: 'Washington', type: 'Subdivision', iso2: ['US-WA'], parent: unitedStates })
  const seattle = fake.addArea({ id: '10adc6b5-63bf-4b4e-993e-ed83b05c22fc', name: 'Seattle', type: 'City', parent: washington })
  const wisconsin = fake.addArea({ id: '10cb2ebd-1bc7-4c11-b10d-54f60c421d20', name: 'Wisconsin', type: 'Subdivision', iso2: ['US-WI'], parent: unitedStates })
  const milwaukeeCounty = fake.addArea({ name: 'Milwaukee County', type: 'County', parent: wisconsin })
  const milwaukee = fake.addArea({ name: 'Milwaukee', type: 'City', parent: milwaukeeCounty })
  const southKorea = fake.addArea({ id: 'b9f7d640-46e8-313e-b158-ded6d18593b3', name: 'South Korea', type: 'Country', iso1: ['KR'] })
  const seoul = fake.addArea({ name: 'Seoul', type: 'City', parent: southKorea })
  const gangnam = fake.addArea({ id: '1070aa79-4a93-4a56-8290-7a68c44172a1', name: 'Gangnam District', type: 'District', parent: seoul })
  const germany = fake.addArea({ id: '85752fda-13c4-31a3-bee5-0e5cb1f51dad', name: 'Germany', type: 'Country', iso1: ['DE'] })
  const eastGermany = fake.addArea({ id: 'd907b0ac-2956-386f-a246-62d55779aae1', name: 'East Germany', type: 'Country', iso1: ['XG'], lifeSpan: { begin: '1949', end: '1990', ended: true } })
  const saxony = fake.addArea({ name: 'Saxony', type: 'Subdivision', iso2: ['DE-SN'], parent: germany })
  // The ended relation is listed first: a walker must still prefer the current one.
  const leipzig = fake.addArea({ name: 'Leipzig', type: 'City', parents: [{ area: eastGermany, ended: true, begin: '1949', end: '1990-10-03' }, { area: saxony }] })
  const stalinstadt = fake.addArea({ name: 'Stalinstadt', type: 'City', parents: [{ area: eastGermany, ended: true, begin: '1953', end: '1961' }] })
  const bavaria = fake.addArea({ name: 'Bavaria', type: 'Subdivision', iso2: ['DE-BY'], parent: germany })
  const upperBavaria = fake.addArea({ name: 'Upper Bavaria', type: 'Subdivision', parent: bavaria })
  const munich = fake.addArea({ name: 'Munich', type: 'City', parent: upperBavaria })
  const unitedKingdom = fake.addArea({ id: '8a754a16-0027-3a29-b6d7-2b40ea0481ed', name: 'United Kingdom', type: 'Country', iso1: ['GB'] })
  const scotland = fake.addArea({ name: 'Scotland', type: 'Subdivision', iso2: ['GB-SCT'], parent: unitedKingdom })
  const skye = fake.addArea({ name: 'Isle of Skye', type: 'Island', parent: scotland })
  const portree = fake.addArea({ name: 'Portree', type: 'City', parent: skye })
  return { unitedStates, washington, seattle, wisconsin, milwaukeeCounty, milwaukee, southKorea, seoul, gangnam, germany, eastGermany, saxony, leipzig, stalinstadt, bavaria, upperBavaria, munich, unitedKingdom, scotland, skye, portree }
}

export type Places = ReturnType<typeof seedPlaces>

/**
 * Every trap of the MusicBrainz issue in one world, each with the Spotify side (what the lake knows) and the right
 * answer. Places come from `seedPlaces`.
 */
export function seedTraps (fake: FakeMusicBrainz) {
  const places = seedPlaces(fake)
  const va = variousArtistsMbid
  const cases: Record<string, TrapCase> = {}
  const add = (key: string, c: Omit<TrapCase, 'spotify'> & { spotify: SpotifySide }): TrapCase => (cases[key] = c)

  // The fixture artists, linked to Spotify: the url-relation step finds them.
  const psySpotify = spotifySide('psy', 'PSY', ['KRA401200001'], ['Gangnam Style'])
  const psy = fake.addArtist({
    id: 'f99b7d67-4e63-4678-aa66-4c6ac0f7d24a',
    name: 'PSY',
    type: 'Person',
    gender: 'Male',
    country: 'KR',
    disambiguation: 'South Korean singer and rapper',
    area: places.southKorea,
    beginArea: places.gangnam,
    lifeSpan: { begin: '1977-12-31' },
    aliases: ['Psy', '박재상', '싸이'],
    tags: { 'k-pop': 10, pop: 4, korean: 3, 'seen live': 1, 'dance-pop': 0 },
    spotifyId: psySpotify.id,
  })
  add('linked', { spotify: psySpotify, mbid: psy.id, method: 'url-relation', what: 'a Spotify URL relation' })
  const luresSpotify = spotifySide('lures', 'Lures')
  const lures = fake.addArtist({ id: 'c8da2e40-bd28-4d4e-813a-bd2f51958ba8', name: 'Lures', type: 'Group', disambiguation: 'Seattle trio', area: places.seattle, beginArea: places.seattle, lifeSpan: { begin: '2013' }, tags: { 'indie rock': 2, 'dream pop': 1 }, spotifyId: luresSpotify.id })
  add('linkedCity', { spotify: luresSpotify, mbid: lures.id, method: 'url-relation', what: 'a Spotify URL relation; the area is a city (country null)' })

  // Collaboration credited other-first.
  const djOrbit = fake.addArtist({ name: 'DJ Orbit', type: 'Person', area: places.munich })
  const lena = fake.addArtist({ name: 'Lena Marlow', type: 'Person', gender: 'Female', area: places.milwaukee, lifeSpan: { begin: '1994-05' }, tags: { 'synth-pop': 3, electronic: 2 } })
  fake.addRecording({ title: 'Night Drive', isrcs: ['QZLM12400001'], credits: [{ artist: djOrbit, joinphrase: ' feat. ' }, lena] })
  add('collaboration', { spotify: spotifySide('lena', 'Lena Marlow', ['QZLM12400001'], ['Night Drive (feat. Lena Marlow)']), mbid: lena.id, method: 'isrc', what: 'the only recording credits "DJ Orbit feat. Lena Marlow"' })

  // Compilations: a recording credited to Various Artists (sorted first) and the artist's own, same ISRC; and a
  // compilation release credited to Various Artists around the artist's recording.
  const mira = fake.addArtist({ name: 'Mira Solen', type: 'Person', gender: 'Female', beginArea: places.leipzig, area: places.germany, tags: { 'indie pop': 5, 'seen live': 2 } })
  fake.addRecording({ id: '00000000-0000-4000-8000-00000000c001', title: 'Paper Boats', isrcs: ['QZMS12400001'], credits: [va], release: { title: 'Summer Hits 2024', credits: 'various', type: 'Compilation' } })
  fake.addRecording({ title: 'Paper Boats', isrcs: ['QZMS12400001'], credits: [mira], release: { title: 'Harbour' } })
  fake.addRecording({ title: 'Low Tide', isrcs: ['QZMS12400002'], credits: [mira], release: { title: 'Indie Finds Vol. 3', credits: 'various', type: 'Compilation' } })
  add('compilation', { spotify: spotifySide('mira', 'Mira Solen', ['QZMS12400001', 'QZMS12400002'], ['Paper Boats', 'Low Tide']), mbid: mira.id, method: 'isrc', what: 'one ISRC also on a recording credited to Various Artists, one on a Various Artists compilation' })
  fake.addRecording({ title: 'Anthem', isrcs: ['QZKB12400001'], credits: [va], release: { title: 'Stadium Anthems', credits: 'various', type: 'Compilation' } })
  add('variousOnly', { spotify: spotifySide('kai', 'Kai Brandt', ['QZKB12400001'], ['Anthem']), mbid: null, method: null, what: 'the ISRC is only on a recording credited to Various Artists; MusicBrainz does not know the artist' })
  add('variousArtists', { spotify: spotifySide('va', 'Various Artists', ['QZKB12400001'], ['Anthem']), mbid: null, method: null, what: 'the Spotify "Various Artists" itself' })

  // An ISRC MusicBrainz also lists under another artist's recording (sorted first).
  const tomas = fake.addArtist({ name: 'Tomas Greer', type: 'Person', area: places.portree })
  const nora = fake.addArtist({ name: 'Nora Vey', type: 'Person', area: places.stalinstadt })
  fake.addRecording({ id: '00000000-0000-4000-8000-00000000c002', title: 'Glasshouse', isrcs: ['QZNV12400001'], credits: [tomas] })
  fake.addRecording({ title: 'Glasshouse', isrcs: ['QZNV12400001'], credits: [nora] })
  add('sharedIsrc', { spotify: spotifySide('nora', 'Nora Vey', ['QZNV12400001'], ['Glasshouse']), mbid: nora.id, method: 'isrc', what: 'the ISRC is on her recording and on one by Tomas Greer' })
  fake.addRecording({ title: 'Borrowed Time', isrcs: ['QZPH12400001'], credits: [tomas] })
  add('otherArtistIsrc', { spotify: spotifySide('pell', 'Pell Harrow', ['QZPH12400001'], ['Borrowed Time']), mbid: null, method: null, what: 'the ISRC is only on another artist\'s recording; MusicBrainz does not know the artist' })

  // Spelling: lowercase ISRC from Spotify, accents, "The", "&".
  const ida = fake.addArtist({ name: 'Ida Lund', type: 'Person', area: places.munich })
  fake.addRecording({ title: 'Northern', isrcs: ['QZIL12400001'], credits: [ida] })
  add('lowercaseIsrc', { spotify: spotifySide('ida', 'Ida Lund', ['qzil12400001'], ['Northern']), mbid: ida.id, method: 'isrc', what: 'Spotify gives the ISRC in lower case' })
  const zoe = fake.addArtist({ name: 'Zoë Rénard', sortName: 'Rénard, Zoë', type: 'Person', area: places.portree })
  fake.addRecording({ title: 'Été', isrcs: ['QZZR12400001'], credits: [zoe] })
  add('accented', { spotify: spotifySide('zoe', 'Zoe Renard', ['QZZR12400001'], ['Ete']), mbid: zoe.id, method: 'isrc', what: 'MusicBrainz spells the name with accents' })
  const harbour = fake.addArtist({ name: 'The Harbour Lights', sortName: 'Harbour Lights, The', type: 'Group', area: places.munich })
  fake.addRecording({ title: 'Lanterns', isrcs: ['QZHL12400001'], credits: [harbour] })
  add('theName', { spotify: spotifySide('harbour', 'Harbour Lights', ['QZHL12400001'], ['Lanterns']), mbid: harbour.id, method: 'isrc', what: 'MusicBrainz names the group "The Harbour Lights"' })
  const rook = fake.addArtist({ name: 'Rook and Raven', type: 'Group', area: places.milwaukee })
  fake.addRecording({ title: 'Two Birds', isrcs: ['QZRR12400001'], credits: [rook] })
  add('ampersand', { spotify: spotifySide('rook', 'Rook & Raven', ['QZRR12400001'], ['Two Birds']), mbid: rook.id, method: 'isrc', what: 'Spotify writes "&", MusicBrainz "and"' })

  // Same-name artists on the ISRCs: a majority wins, a tie is refused.
  const juno1 = fake.addArtist({ name: 'Juno Hale', type: 'Person', disambiguation: 'singer-songwriter', area: places.seattle })
  const juno2 = fake.addArtist({ name: 'Juno Hale', type: 'Person', disambiguation: 'jazz drummer', area: places.leipzig })
  fake.addRecording({ title: 'First Light', isrcs: ['QZJH12400001'], credits: [juno1] })
  fake.addRecording({ title: 'Second Light', isrcs: ['QZJH12400002'], credits: [juno1] })
  fake.addRecording({ title: 'Third Light', isrcs: ['QZJH12400003'], credits: [juno2] })
  add('isrcMajority', { spotify: spotifySide('juno', 'Juno Hale', ['QZJH12400001', 'QZJH12400002', 'QZJH12400003'], ['First Light']), mbid: juno1.id, method: 'isrc', what: 'two artists named Juno Hale: one on 2 of the ISRCs, one on 1' })
  const marek1 = fake.addArtist({ name: 'Marek', type: 'Person', disambiguation: 'Polish rapper' })
  const marek2 = fake.addArtist({ name: 'Marek', type: 'Person', disambiguation: 'Czech folk singer' })
  fake.addRecording({ title: 'Vistula', isrcs: ['QZMK12400001'], credits: [marek1] })
  fake.addRecording({ title: 'Vltava', isrcs: ['QZMK12400002'], credits: [marek2] })
  add('isrcTie', { spotify: spotifySide('marek', 'Marek', ['QZMK12400001', 'QZMK12400002'], ['Vistula', 'Vltava']), mbid: null, method: null, what: 'two artists named Marek, each on one ISRC; the name search finds both' })

  // Unknown to MusicBrainz: nothing anywhere.
  add('unknown', { spotify: spotifySide('quill', 'Quill Maddox', ['QZQM12400001'], ['Paper Moon']), mbid: null, method: null, what: 'MusicBrainz does not know the artist' })

  // The name step.
  const soren = fake.addArtist({ name: 'Søren Vik', type: 'Person', area: places.stalinstadt, aliases: ['Soren Vik'] })
  fake.addRecording({ title: 'Fjord Lines', credits: [soren] })
  add('nameOnly', { spotify: spotifySide('soren', 'Søren Vik', ['QZSV12400001'], ['Fjord Lines - Remastered 2020']), mbid: soren.id, method: 'name', what: 'no URL relation, ISRC unknown; one artist of that name with a recording of a played title' })
  fake.addArtist({ name: 'Echo Park', type: 'Group', disambiguation: 'US indie band' })
  fake.addArtist({ name: 'Echo Park', type: 'Person', disambiguation: 'UK DJ' })
  add('namesakes', { spotify: spotifySide('echo', 'Echo Park', ['QZEP12400001'], ['Sunset Strip']), mbid: null, method: null, what: 'two artists named Echo Park' })
  const velvet = fake.addArtist({ name: 'Velvet Static', type: 'Group' })
  fake.addRecording({ title: 'Other Song', credits: [velvet] })
  add('nameNoRecording', { spotify: spotifySide('velvet', 'Velvet Static', [], ['Glass Hours']), mbid: null, method: null, what: 'one artist of that name, but none of its recordings is a played title' })

  return { cases, places }
}

/** `count` artists linked to Spotify (for the 100-resource limit): Spotify id and MBID of each. */
export function seedLinkedArtists (fake: FakeMusicBrainz, count: number, prefix = 'linked'): Array<{ spotifyId: string, mbid: string, name: string }> {
  return Array.from({ length: count }, (_, i) => {
    const name = `${prefix} artist ${i}`
    const sid = spotifyId(`mbz-${prefix}-${i}`)
    const artist = fake.addArtist({ name, spotifyId: sid })
    return { spotifyId: sid, mbid: artist.id, name }
  })
}

export interface ScaleArtist {
  spotify: SpotifySide
  mbid: string
  linked: boolean
  /** The artist's area and begin area (when any). */
  areaIds: string[]
}

export interface ScaleWorld {
  artists: ScaleArtist[]
  /** Distinct areas of the artists plus all their ancestors: what a hierarchy walk must fetch, once each. */
  areaIds: Set<string>
}

const scaleCountries: Array<[string, string]> = [
  ['Norway', 'NO'], ['Sweden', 'SE'], ['Iceland', 'IS'], ['France', 'FR'], ['Spain', 'ES'], ['Italy', 'IT'], ['Japan', 'JP'],
  ['Brazil', 'BR'], ['Canada', 'CA'], ['Australia', 'AU'], ['Mexico', 'MX'], ['Nigeria', 'NG'], ['Ireland', 'IE'],
  ['Netherlands', 'NL'], ['Poland', 'PL'], ['Argentina', 'AR'], ['Finland', 'FI'], ['Denmark', 'DK'], ['Belgium', 'BE'],
  ['New Zealand', 'NZ'],
]

/**
 * A world for the bench: `artists` artists of which `linkedShare` carry a Spotify URL relation, the rest found by
 * their ISRCs, living in `places` cities (artists share cities, a few big ones most: as real ones do). Cities sit in
 * subdivisions of 20 countries, some through a county. Each artist has `isrcsPerArtist` recordings with ISRCs and
 * tags, some of them genres.
 */
export function scaleWorld (fake: FakeMusicBrainz, options: { artists: number, linkedShare: number, places: number, isrcsPerArtist?: number, seed?: number }): ScaleWorld {
  const random = mulberry32(options.seed ?? 42)
  const countries = scaleCountries.map(([name, code]) => fake.addArea({ id: mbid(`scale-country:${code}`), name, type: 'Country', iso1: [code] }))
  const subdivisions = countries.flatMap((country, c) => Array.from({ length: 3 }, (_, s) =>
    fake.addArea({ id: mbid(`scale-subdivision:${c}:${s}`), name: `${country.name} Region ${s + 1}`, type: 'Subdivision', iso2: [`${country.iso1[0]}-R${s + 1}`], parent: country })))
  const cities = Array.from({ length: options.places }, (_, p) => {
    const subdivision = subdivisions[p % subdivisions.length]!
    const parent = p % 5 === 0
      ? fake.addArea({ id: mbid(`scale-county:${p}`), name: `County ${p}`, type: 'County', parent: subdivision })
      : subdivision
    return fake.addArea({ id: mbid(`scale-city:${p}`), name: `City ${p}`, type: 'City', parent })
  })
  const pickCity = (): string => cities[Math.floor(options.places * random() ** 2)]!.id
  const isrcsPerArtist = options.isrcsPerArtist ?? 2
  const linkedEvery = Math.round(options.linkedShare * 10)
  const artists: ScaleArtist[] = []
  const areaIds = new Set<string>()
  for (let i = 0; i < options.artists; i++) {
    const name = `Scale Artist ${i}`
    const sid = spotifyId(`mbz-scale-${i}`)
    const linked = i % 10 < linkedEvery
    const area = pickCity()
    const beginArea = random() < 0.3 ? pickCity() : null
    const artist = fake.addArtist({
      id: mbid(`scale-artist:${i}`),
      name,
      type: i % 3 === 0 ? 'Group' : 'Person',
      area,
      beginArea,
      lifeSpan: { begin: String(1960 + (i % 60)) },
      tags: { [defaultGenres[i % defaultGenres.length]!]: 1 + (i % 7), [defaultGenres[(i * 7) % defaultGenres.length]!]: 1 + (i % 3), 'seen live': 1 },
      spotifyId: linked ? sid : undefined,
    })
    const isrcs: string[] = []
    const titles: string[] = []
    for (let t = 0; t < isrcsPerArtist; t++) {
      const isrc = `QZSC${t % 10}${String(i).padStart(7, '0')}`
      const title = `Song ${i}.${t}`
      fake.addRecording({ id: mbid(`scale-recording:${i}:${t}`), title, isrcs: [isrc], credits: [artist] })
      isrcs.push(isrc)
      titles.push(title)
    }
    const own = [area, ...(beginArea ? [beginArea] : [])]
    for (const id of own) {
      for (let at: string | undefined = id; at && !areaIds.has(at); at = fake.areas.get(at)?.parents[0]?.id) areaIds.add(at)
    }
    artists.push({ spotify: { id: sid, name, isrcs, titles }, mbid: artist.id, linked, areaIds: own })
  }
  return { artists, areaIds }
}
