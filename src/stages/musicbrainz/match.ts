/**
 * Choosing the MusicBrainz artist for a Spotify artist, one step at a time, each step only for the artists the previous
 * one left: (a) the Spotify URL relation, (b) the credits of the recordings that carry the played ISRCs, (c) a strict
 * name search confirmed by a recording. A wrong MBID is worse than none: every step refuses rather than guesses, and
 * says what it saw so that a miss can be explained.
 *
 * Confidence (0–1) says how much evidence the match rests on:
 * - url-relation: 1.0 when the linked artist's name matches the Spotify name, 0.9 when it does not (the link is still
 *   curated by MusicBrainz editors for exactly this Spotify artist).
 * - isrc: (0.7 + 0.25 × min(k, 3) / 3) × k / (k + c), where k is the number of played ISRCs whose recordings credit the
 *   chosen artist under the Spotify name, and c the number that credit another artist of the same name: 0.78 for one
 *   ISRC, 0.87 for two, 0.95 for three or more, less when a namesake competes.
 * - name: 0.7 when a recording by the artist is titled like a played track, 0.5 when only "has recordings" could be
 *   checked (no usable played title); 0.1 less when the name matched an alias rather than the name.
 */
import { nameKey, normaliseIsrcs } from './normalise.ts'
import type { ArtistHit, LinkedArtist, RecordingHit, UrlEntry } from './parse.ts'

export const variousArtistsMbid = '89ad4ac3-39f7-470e-963a-56509c546377'

/** MusicBrainz's special-purpose artists (Various Artists, [unknown], [anonymous], …): never anyone's identity. */
export const specialPurposeArtists: ReadonlySet<string> = new Set([
  variousArtistsMbid,
  'f731ccc4-e22a-43af-a747-64213329e088', // [anonymous]
  '33cf029c-63b0-41a0-9855-be2a3665fb3b', // [data]
  '314e1c25-dde7-4e4d-b2f4-0a7b9f7c56dc', // [dialogue]
  'eec63d3c-3b81-4ad4-b1e4-7c147d4d2b61', // [no artist]
  '9be7f096-97ec-4615-8957-8d40b5dcbc41', // [traditional]
  '125ec42a-7229-4250-afc5-e057484327fe', // [unknown]
])

export type MatchMethod = 'url-relation' | 'isrc' | 'name'

export interface SpotifyArtist {
  id: string
  name: string
  /** ISRCs of the artist's played tracks, as Spotify gave them (any case, possibly invalid). */
  isrcs: readonly string[]
  /** Titles of the artist's played tracks, for the name step's recording check. */
  titles?: readonly string[]
}

export interface ArtistMatch {
  spotifyId: string
  mbid: string
  method: MatchMethod
  confidence: number
  /** The MusicBrainz name of the chosen artist. */
  mbName: string
  /** One line on why: "Spotify URL relation", "3 of 4 played ISRCs credit …", … */
  evidence: string
}

export type StepResult =
  | { matched: true, match: ArtistMatch }
  | { matched: false, note: string }

const round = (x: number): number => Math.round(x * 100) / 100
const miss = (note: string): StepResult => ({ matched: false, note })
const quoted = (names: Iterable<string>, max = 8): string => {
  const all = [...new Set(names)]
  const shown = all.slice(0, max).join(', ')
  return all.length > max ? `${shown} and ${all.length - max} more` : shown
}

/** The Spotify "Various Artists" (and the like) is nobody: no step may give it an MBID. */
export function refusedName (artist: Pick<SpotifyArtist, 'name'>): string | undefined {
  return nameKey(artist.name) === nameKey('Various Artists') ? 'a "Various Artists" credit is never matched' : undefined
}

/** The linked artists of each Spotify artist in a `/ws/2/url` answer (either shape), keyed by Spotify id. */
export function linkedArtistsBySpotifyId (entries: Iterable<UrlEntry>): Map<string, LinkedArtist[]> {
  const bySpotifyId = new Map<string, LinkedArtist[]>()
  for (const entry of entries) {
    if (!entry.spotifyId) continue
    bySpotifyId.set(entry.spotifyId, [...(bySpotifyId.get(entry.spotifyId) ?? []), ...entry.artists])
  }
  return bySpotifyId
}

/** Step (a): the artist MusicBrainz links to the Spotify artist URL. `linked` is undefined or empty when none is. */
export function matchByUrlRelation (artist: SpotifyArtist, linked: readonly LinkedArtist[] | undefined): StepResult {
  const refused = refusedName(artist)
  if (refused) return miss(refused)
  const usable = (linked ?? []).filter((a) => !a.ended && !specialPurposeArtists.has(a.id))
  const byId = new Map(usable.map((a) => [a.id, a]))
  if (byId.size === 0) {
    return miss((linked ?? []).length === 0 ? 'no Spotify URL relation' : `Spotify URL relation only to ${quoted((linked ?? []).map((a) => a.name))} (ended or special-purpose)`)
  }
  const key = nameKey(artist.name)
  const candidates = [...byId.values()]
  const named = candidates.filter((a) => nameKey(a.name) === key)
  let chosen: LinkedArtist | undefined
  let confidence = 0.9
  if (candidates.length === 1) {
    chosen = candidates[0]!
    if (named.length === 1) confidence = 1
  } else if (named.length === 1) {
    chosen = named[0]!
  }
  if (!chosen) {
    return miss(`Spotify URL linked to ${candidates.length} MusicBrainz artists (${quoted(candidates.map((a) => a.name))}), ${named.length === 0 ? 'none' : 'several'} named ${artist.name}`)
  }
  return {
    matched: true,
    match: { spotifyId: artist.id, mbid: chosen.id, method: 'url-relation', confidence, mbName: chosen.name, evidence: `Spotify URL relation (${chosen.relation || 'url'})` },
  }
}

/**
 * Step (b): among the credits of the recordings carrying the artist's played ISRCs (compared upper-cased), the
 * artist whose name (or credited name, or alias) matches the Spotify name — never simply the first credit, never a
 * special-purpose artist. Several same-name artists: the one on more of the played ISRCs; a tie is refused.
 * `recordings` may hold the hits of a whole batch: only those carrying this artist's ISRCs are read.
 */
export function matchByIsrc (artist: SpotifyArtist, recordings: Iterable<RecordingHit>): StepResult {
  const refused = refusedName(artist)
  if (refused) return miss(refused)
  const isrcs = new Set(normaliseIsrcs(artist.isrcs))
  if (isrcs.size === 0) return miss('no valid ISRC among the played tracks')
  const key = nameKey(artist.name)
  const support = new Map<string, { name: string, isrcs: Set<string> }>()
  const creditNames: string[] = []
  const seenRecordings = new Set<string>()
  for (const recording of recordings) {
    const carried = recording.isrcs.filter((isrc) => isrcs.has(isrc))
    if (carried.length === 0 || seenRecordings.has(recording.id)) continue
    seenRecordings.add(recording.id)
    for (const credit of recording.credits) {
      creditNames.push(credit.creditedAs)
      if (specialPurposeArtists.has(credit.id)) continue
      const names = [credit.name, credit.creditedAs, ...credit.aliases]
      if (!names.some((n) => nameKey(n) === key)) continue
      const entry = support.get(credit.id) ?? { name: credit.name, isrcs: new Set<string>() }
      for (const isrc of carried) entry.isrcs.add(isrc)
      support.set(credit.id, entry)
    }
  }
  const searched = `${isrcs.size} ISRC${isrcs.size === 1 ? '' : 's'} searched`
  if (seenRecordings.size === 0) return miss(`${searched}, none on a MusicBrainz recording`)
  if (support.size === 0) {
    return miss(`${searched}, ${seenRecordings.size} recording${seenRecordings.size === 1 ? '' : 's'} found, credits named ${quoted(creditNames)}, none named ${artist.name}`)
  }
  const ranked = [...support.entries()].sort((a, b) => b[1].isrcs.size - a[1].isrcs.size)
  const [bestId, best] = ranked[0]!
  const runnerUp = ranked[1]
  if (runnerUp && runnerUp[1].isrcs.size === best.isrcs.size) {
    const tied = ranked.filter(([, s]) => s.isrcs.size === best.isrcs.size).map(([id, s]) => `${s.name} (${id})`)
    return miss(`${searched}, ambiguous: ${quoted(tied)} are each credited on ${best.isrcs.size} of them; not guessing`)
  }
  const k = best.isrcs.size
  const competing = ranked.slice(1).reduce((sum, [, s]) => sum + s.isrcs.size, 0)
  const confidence = round((0.7 + 0.25 * Math.min(k, 3) / 3) * k / (k + competing))
  return {
    matched: true,
    match: { spotifyId: artist.id, mbid: bestId, method: 'isrc', confidence, mbName: best.name, evidence: `${k} of ${isrcs.size} played ISRCs credit ${best.name}` },
  }
}

export interface NameCandidate {
  mbid: string
  name: string
  viaAlias: boolean
}

/**
 * Step (c), first half: the artist search hits whose name (or an alias) matches the Spotify name. Exactly one such
 * artist is a candidate, to be confirmed by `confirmNameMatch`; none or several is a miss.
 */
export function nameCandidate (artist: SpotifyArtist, hits: readonly ArtistHit[]): { candidate: NameCandidate } | { note: string } {
  const refused = refusedName(artist)
  if (refused) return { note: refused }
  const key = nameKey(artist.name)
  const matching = new Map<string, NameCandidate>()
  for (const hit of hits) {
    if (specialPurposeArtists.has(hit.id)) continue
    if (nameKey(hit.name) === key) matching.set(hit.id, { mbid: hit.id, name: hit.name, viaAlias: false })
    else if (!matching.has(hit.id) && hit.aliases.some((a) => nameKey(a) === key)) matching.set(hit.id, { mbid: hit.id, name: hit.name, viaAlias: true })
  }
  if (hits.length === 0) return { note: 'name search: 0 hits' }
  if (matching.size === 0) return { note: `name search: ${hits.length} hit${hits.length === 1 ? '' : 's'} (${quoted(hits.map((h) => h.name), 5)}), none named ${artist.name}` }
  if (matching.size > 1) return { note: `name search: ${matching.size} artists named ${artist.name}; not guessing` }
  return { candidate: [...matching.values()][0]! }
}

/**
 * Step (c), second half: the candidate is accepted only when the recording check (`recordingCheckQuery`) found a
 * recording — titled like a played track when `titles` were checked, any recording otherwise.
 */
export function confirmNameMatch (artist: SpotifyArtist, candidate: NameCandidate, check: { count: number, titles: readonly string[] }): StepResult {
  const who = `1 artist named ${artist.name} (${candidate.name}, ${candidate.mbid})`
  if (check.count <= 0) {
    return miss(check.titles.length > 0
      ? `name search: ${who}, but none of its recordings is titled like the ${check.titles.length} played track${check.titles.length === 1 ? '' : 's'} checked`
      : `name search: ${who}, but it has no recordings`)
  }
  const confidence = round((check.titles.length > 0 ? 0.7 : 0.5) - (candidate.viaAlias ? 0.1 : 0))
  return {
    matched: true,
    match: {
      spotifyId: artist.id,
      mbid: candidate.mbid,
      method: 'name',
      confidence,
      mbName: candidate.name,
      evidence: `only artist named ${artist.name}${candidate.viaAlias ? ' (by alias)' : ''}, ${check.titles.length > 0 ? 'with a recording titled like a played track' : 'with recordings'}`,
    },
  }
}

/** The reason stored for a miss: what each step tried, in order. */
export function missReason (notes: readonly string[]): string {
  return notes.length > 0 ? notes.join('; ') : 'no step tried'
}
