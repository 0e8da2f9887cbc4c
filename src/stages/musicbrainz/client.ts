/**
 * The MusicBrainz calls the stage makes, over an injected transport: `send` owns the base URL, the User-Agent, the one
 * global rate budget and the 503 slow-down-and-retry. This client builds requests, follows paging, tells "unknown"
 * (a result) from failure (an error), and hands back every raw answer for raw/musicbrainz/.
 */
import { AppError } from '../../errors.ts'
import { linkedArtistsBySpotifyId, type NameCandidate } from './match.ts'
import {
  parseArtistSearch, parseGenreList, parseRecordingSearch, parseUrlAnswer,
  type ArtistHit, type Json, type LinkedArtist, type RecordingHit, type SearchPage,
} from './parse.ts'
import { aridQueries, isrcQueries, maxSearchLimit, recordingCheckQuery, urlLookupChunks } from './requests.ts'

export interface MusicBrainzRequest {
  /** From the host root: `/ws/2/url`. */
  path: string
  searchParams: URLSearchParams | Record<string, string>
}

export interface MusicBrainzResponse {
  status: number
  /** Parsed JSON, or undefined when the body is not JSON. */
  json: unknown
  url: string
  text: string
}

export type MusicBrainzSend = (request: MusicBrainzRequest) => Promise<MusicBrainzResponse>

export type Endpoint = 'url' | 'recording' | 'artist' | 'area' | 'genre'

/** One answer as received, for raw/musicbrainz/: JSON bodies parsed, the genre list as its text. */
export interface RawAnswer {
  endpoint: Endpoint
  url: string
  status: number
  body: unknown
}

export interface Answer<T> {
  result: T
  raw: RawAnswer[]
  /** Requests sent (each counts against the rate budget). */
  calls: number
}

export interface UrlRelations {
  /** Spotify id → the artists its URL is linked to (as MusicBrainz lists them; `matchByUrlRelation` chooses). */
  linked: Map<string, LinkedArtist[]>
  /** Spotify ids MusicBrainz has no URL entry (or no artist relation) for. */
  unlinked: string[]
}

export interface IsrcSearch {
  /** Every recording found, once each. */
  recordings: RecordingHit[]
  /** Upper-cased ISRC → the recordings carrying it. ISRCs without any are absent. */
  byIsrc: Map<string, RecordingHit[]>
  /** The valid, distinct ISRCs searched. */
  searched: string[]
  /** Queries that hit `maxPages` before the end: their ISRCs may have more recordings than returned. */
  truncated: string[]
}

export interface ArtistDetails {
  /** MBID → the search hit as received (for `artistInfoRow` / `artistGenreRows`). */
  found: Map<string, Json>
  /** MBIDs the search did not return (merged or deleted artists). */
  missing: string[]
}

export type AreaAnswer = { kind: 'area', id: string, area: Json } | { kind: 'unknown-area', id: string }

export interface MusicBrainzClient {
  /** `/ws/2/url` for Spotify artist URLs, up to 100 per call; both answer shapes; a single-resource 404 is "unlinked". */
  urlRelations (spotifyArtistIds: Iterable<string>): Promise<Answer<UrlRelations>>
  /** `isrc:A OR isrc:B …` recording searches (40 ISRCs, limit 100 per call), following `offset` while count > seen. */
  searchRecordingsByIsrc (isrcs: Iterable<string>, options?: { perQuery?: number, maxPages?: number }): Promise<Answer<IsrcSearch>>
  /** One page of any recording search. */
  searchRecordings (query: string, options?: { limit?: number, offset?: number }): Promise<Answer<SearchPage<RecordingHit>>>
  /** The name step's proof: how many recordings by `mbid` are titled like the played `titles` (one call, limit 1). */
  countRecordings (candidate: Pick<NameCandidate, 'mbid'>, titles: Iterable<string>): Promise<Answer<{ count: number, titles: string[] }>>
  /** One page of any artist search (the name step: `artistNameQuery(name)`). */
  searchArtists (query: string, options?: { limit?: number, offset?: number }): Promise<Answer<SearchPage<ArtistHit>>>
  /** Artist details in bulk: `arid:X OR arid:Y …`, 100 per call. */
  artistsByMbid (mbids: Iterable<string>): Promise<Answer<ArtistDetails>>
  /** `/ws/2/area/{id}?inc=area-rels`; 404 is an `unknown-area` result. */
  area (id: string): Promise<Answer<AreaAnswer>>
  /** The whole genre list in one call (`/ws/2/genre/all?fmt=txt`, one name per line). */
  genres (): Promise<Answer<string[]>>
}

/** MusicBrainz did not answer usefully (5xx or 429 after the transport's retries, or a body that is not JSON): retry later. */
export class MusicBrainzUnavailable extends AppError {
  readonly status: number
  readonly url: string

  constructor (status: number, url: string, detail: string) {
    super('UPSTREAM_FAILED', `MusicBrainz is unavailable: ${detail} (${status} for ${url}); nothing was recorded as a miss`)
    this.name = 'MusicBrainzUnavailable'
    this.status = status
    this.url = url
  }
}

/** MusicBrainz refused the request itself (400 bad query, 403 User-Agent, an unexpected 404): retrying will not help. */
export class MusicBrainzRejected extends AppError {
  readonly status: number
  readonly url: string

  constructor (status: number, url: string, detail: string) {
    super('UPSTREAM_FAILED', `MusicBrainz refused the request: ${detail} (${status} for ${url})`)
    this.name = 'MusicBrainzRejected'
    this.status = status
    this.url = url
  }
}

function describe (response: MusicBrainzResponse): string {
  const error = (response.json as { error?: unknown } | undefined)?.error
  if (typeof error === 'string') return error
  return response.text.length === 0 ? 'empty body' : `non-JSON body of ${response.text.length} bytes`
}

export function createMusicBrainzClient (deps: { send: MusicBrainzSend, prefix?: string }): MusicBrainzClient {
  const prefix = deps.prefix ?? '/ws/2'

  /** One call. 200 with JSON → the body; 404 → undefined when `notFoundIsResult`; anything else throws. */
  async function call (endpoint: Endpoint, path: string, params: URLSearchParams, raw: RawAnswer[], options: { notFoundIsResult?: boolean, text?: boolean } = {}): Promise<unknown> {
    if (!params.has('fmt')) params.set('fmt', 'json')
    const response = await deps.send({ path: `${prefix}${path}`, searchParams: params })
    const body = options.text ? response.text : response.json
    raw.push({ endpoint, url: response.url, status: response.status, body: body ?? response.text })
    if (response.status === 200) {
      if (!options.text && response.json === undefined) throw new MusicBrainzUnavailable(200, response.url, `the answer is not JSON (${response.text.length} bytes)`)
      return body
    }
    if (response.status === 404 && options.notFoundIsResult) return undefined
    if (response.status === 429 || response.status >= 500) throw new MusicBrainzUnavailable(response.status, response.url, describe(response))
    throw new MusicBrainzRejected(response.status, response.url, describe(response))
  }

  function searchParams (query: string, limit: number, offset: number): URLSearchParams {
    return new URLSearchParams({ query, limit: String(limit), offset: String(offset) })
  }

  async function recordingPage (query: string, limit: number, offset: number, raw: RawAnswer[]): Promise<SearchPage<RecordingHit>> {
    return parseRecordingSearch(await call('recording', '/recording', searchParams(query, limit, offset), raw))
  }

  return {
    async urlRelations (spotifyArtistIds) {
      const raw: RawAnswer[] = []
      const linked = new Map<string, LinkedArtist[]>()
      const unlinked: string[] = []
      for (const chunk of urlLookupChunks(spotifyArtistIds)) {
        const body = await call('url', '/url', chunk.searchParams, raw, { notFoundIsResult: chunk.spotifyIds.length === 1 })
        const found = linkedArtistsBySpotifyId(body === undefined ? [] : parseUrlAnswer(body))
        for (const id of chunk.spotifyIds) {
          const artists = found.get(id) ?? []
          if (artists.length > 0) linked.set(id, artists)
          else unlinked.push(id)
        }
      }
      return { result: { linked, unlinked }, raw, calls: raw.length }
    },

    async searchRecordingsByIsrc (isrcs, options = {}) {
      const raw: RawAnswer[] = []
      const maxPages = options.maxPages ?? 10
      const recordings = new Map<string, RecordingHit>()
      const searched: string[] = []
      const truncated: string[] = []
      for (const chunk of isrcQueries(isrcs, options.perQuery)) {
        searched.push(...chunk.terms)
        let offset = 0
        for (let pages = 0; ; pages++) {
          if (pages === maxPages) {
            truncated.push(chunk.query)
            break
          }
          const page = await recordingPage(chunk.query, maxSearchLimit, offset, raw)
          for (const hit of page.hits) recordings.set(hit.id, hit)
          offset += page.hits.length
          if (page.hits.length === 0 || offset >= page.count) break
        }
      }
      const wanted = new Set(searched)
      const byIsrc = new Map<string, RecordingHit[]>()
      for (const recording of recordings.values()) {
        for (const isrc of recording.isrcs) {
          if (wanted.has(isrc)) byIsrc.set(isrc, [...(byIsrc.get(isrc) ?? []), recording])
        }
      }
      return { result: { recordings: [...recordings.values()], byIsrc, searched, truncated }, raw, calls: raw.length }
    },

    async searchRecordings (query, options = {}) {
      const raw: RawAnswer[] = []
      const result = await recordingPage(query, options.limit ?? 25, options.offset ?? 0, raw)
      return { result, raw, calls: raw.length }
    },

    async countRecordings (candidate, titles) {
      const raw: RawAnswer[] = []
      const check = recordingCheckQuery(candidate.mbid, titles)
      const page = await recordingPage(check.query, 1, 0, raw)
      return { result: { count: page.count, titles: check.titles }, raw, calls: raw.length }
    },

    async searchArtists (query, options = {}) {
      const raw: RawAnswer[] = []
      const result = parseArtistSearch(await call('artist', '/artist', searchParams(query, options.limit ?? 25, options.offset ?? 0), raw))
      return { result, raw, calls: raw.length }
    },

    async artistsByMbid (mbids) {
      const raw: RawAnswer[] = []
      const found = new Map<string, Json>()
      const missing: string[] = []
      for (const chunk of aridQueries(mbids)) {
        const page = parseArtistSearch(await call('artist', '/artist', searchParams(chunk.query, maxSearchLimit, 0), raw))
        // Hits are ordered by score, not by the query: map them back by id.
        const byId = new Map(page.hits.map((h) => [h.id.toLowerCase(), h.raw]))
        for (const mbid of chunk.terms) {
          const hit = byId.get(mbid)
          if (hit) found.set(mbid, hit)
          else missing.push(mbid)
        }
      }
      return { result: { found, missing }, raw, calls: raw.length }
    },

    async area (id) {
      const raw: RawAnswer[] = []
      const body = await call('area', `/area/${encodeURIComponent(id)}`, new URLSearchParams({ inc: 'area-rels' }), raw, { notFoundIsResult: true })
      const area = body as Json | undefined
      const result: AreaAnswer = area && typeof area === 'object' ? { kind: 'area', id, area } : { kind: 'unknown-area', id }
      return { result, raw, calls: raw.length }
    },

    async genres () {
      const raw: RawAnswer[] = []
      const body = await call('genre', '/genre/all', new URLSearchParams({ fmt: 'txt' }), raw, { text: true })
      const names = parseGenreList(body)
      // The list has about 2,000 names; an empty one is a broken answer, not a fact to keep.
      if (names.length === 0) throw new MusicBrainzUnavailable(200, raw[0]?.url ?? '/genre/all', 'the genre list is empty')
      return { result: names, raw, calls: raw.length }
    },
  }
}
