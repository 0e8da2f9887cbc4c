import type { FastifyBaseLogger } from 'fastify'
import type { FetchOutcome } from '../../batch/fetch-batch.ts'
import type { GranularStep } from '../../batch/granular.ts'
import { planKeys } from '../../batch/plan-query.ts'
import { AppError } from '../../errors.ts'
import { createWaitBudget, RateLimited } from '../../http/rate-limited.ts'
import type { Lake } from '../../lake/lake.ts'
import { recordSchema, type TableDef } from '../../lake/table.ts'
import { MusicBrainzRejected, type Answer, type MusicBrainzClient } from './client.ts'
import {
  confirmNameMatch, matchByIsrc, matchByUrlRelation, missReason, nameCandidate, refusedName,
  type ArtistMatch, type SpotifyArtist, type StepResult,
} from './match.ts'
import { parseGenreList } from './parse.ts'
import { backgroundWrites, type RawAnswers, type RawKind } from './raw-answers.ts'
import { artistNameQuery } from './requests.ts'
import { loadSpotifyArtists, playedArtistsSql } from './spotify-side.ts'
import { mbzArtistMatch, type MatchRow } from './tables.ts'
import type { MusicBrainzTransport } from './transport.ts'

export const MatchRecordSchema = recordSchema(mbzArtistMatch, {
  $id: 'MbzArtistMatch',
  required: ['spotify_id'],
  description: 'a mbz_artist_match row; posted by hand with mbid null it says "this artist has no MBID" and is not planned again',
})

/** A record as the write route takes it: the Spotify id, the rest optional. */
export type MatchRecord = Pick<MatchRow, 'spotify_id'> & Partial<MatchRow>

export type ArtistsStep = GranularStep<MatchRecord>

/**
 * Matching one batch of Spotify artists, each step only for the artists the previous one left: URL relations (one
 * call per 100), ISRC searches (40 ISRCs a call), a strict name search (two calls an artist), then the details of every
 * matched artist (100 a call) and the genre list (once ever). A record is answered only once its details are landed;
 * a miss only once every step has been tried. Whatever a rate limit interrupts stays pending for the next plan.
 */
export function createArtistsStep (deps: {
  lake: Lake
  plays: TableDef
  /** Imported plays get their artist ids and ISRCs from a refill a moment after a track write: planned once it is done. */
  settlePlays: () => Promise<void>
  transport: MusicBrainzTransport
  answers: RawAnswers
  now: () => Date
  log: FastifyBaseLogger
  /** Rebuilds mbz_artist_info and mbz_artist_genre from the landed details (parse, incrementally). */
  parseDetails: () => Promise<Record<string, number>>
}): ArtistsStep {
  const { lake, answers, now } = deps

  async function fetch (ids: string[]): Promise<FetchOutcome<MatchRecord>> {
    const fetchedAt = now().toISOString()
    const outcome: FetchOutcome<MatchRecord> = { status: 'complete', records: [], failures: [], calls: 0 }
    await deps.settlePlays()
    const spotify = await loadSpotifyArtists(lake, deps.plays, ids)
    const notes = new Map<string, string[]>()
    const matches = new Map<string, ArtistMatch>()
    const note = (id: string, text: string): void => { notes.set(id, [...(notes.get(id) ?? []), text]) }
    const settle = (artist: SpotifyArtist, result: StepResult): boolean => {
      if (result.matched) matches.set(artist.id, result.match)
      else note(artist.id, result.note)
      return result.matched
    }
    const miss = (id: string, reason: string): void => {
      // The failure memory keeps 2,000 characters of reason.
      outcome.failures.push({ entity_id: id, reason: reason.length > 2000 ? `${reason.slice(0, 1999)}…` : reason, http_status: null, failed_at: fetchedAt })
    }

    // Ids without plays (a hand-made plan) and the "Various Artists" credit are decided without a call.
    let left: SpotifyArtist[] = []
    for (const id of ids) {
      const artist = spotify.get(id)
      const refused = artist ? refusedName(artist) : undefined
      if (!artist) miss(id, 'no play credits this Spotify artist')
      else if (refused) miss(id, refused)
      else left.push(artist)
    }

    const client: MusicBrainzClient = deps.transport.client(createWaitBudget())
    const writes = backgroundWrites()
    async function landed<T> (kind: Exclude<RawKind, 'areas' | 'genres'>, call: Promise<Answer<T>>): Promise<T> {
      const answer = await call
      outcome.calls += answer.calls
      writes.add(answers.land(kind, answer.raw, fetchedAt))
      return answer.result
    }

    try {
      if (left.length > 0) {
        const urls = await landed('url', client.urlRelations(left.map((a) => a.id)))
        left = left.filter((a) => !settle(a, matchByUrlRelation(a, urls.linked.get(a.id))))
      }
      const withIsrcs = left.filter((a) => a.isrcs.length > 0)
      if (withIsrcs.length > 0) {
        const found = await landed('recording', client.searchRecordingsByIsrc(withIsrcs.flatMap((a) => a.isrcs)))
        left = left.filter((a) => !settle(a, matchByIsrc(a, found.recordings)))
      } else {
        for (const artist of left) note(artist.id, 'no valid ISRC among the played tracks')
      }
      for (const artist of left) {
        if (await matchByName(artist)) continue
        miss(artist.id, missReason(notes.get(artist.id) ?? []))
      }
      if (matches.size > 0) {
        const details = await landed('artists', client.artistsByMbid([...new Set([...matches.values()].map((m) => m.mbid))]))
        if (details.missing.length > 0) deps.log.warn({ mbids: details.missing }, 'MusicBrainz artist search did not return these matched artists (merged or deleted?)')
        await ensureGenreList(client, outcome)
      }
      for (const match of matches.values()) outcome.records.push(matchRecord(match, spotify.get(match.spotifyId)!, fetchedAt))
    } catch (err) {
      // Matches whose details are not landed and artists not through every step stay pending: never a miss.
      if (err instanceof RateLimited) {
        outcome.status = 'rate_limited'
        outcome.retryAfterSeconds = err.retryAfterSeconds
      } else if (err instanceof AppError) {
        outcome.error = err
      } else {
        throw err
      }
    }
    // Every answer is on disk before its records go back: the write parses the landed details.
    await writes.settled()
    return outcome

    /** Step (c): one artist search, and the recording check for its only candidate. */
    async function matchByName (artist: SpotifyArtist): Promise<boolean> {
      if (artist.name.trim().length === 0) {
        note(artist.id, 'no Spotify name to search for')
        return false
      }
      try {
        const search = await landed('search', client.searchArtists(artistNameQuery(artist.name)))
        const found = nameCandidate(artist, search.hits)
        if ('note' in found) {
          note(artist.id, found.note)
          return false
        }
        const check = await landed('search', client.countRecordings(found.candidate, artist.titles ?? []))
        return settle(artist, confirmNameMatch(artist, found.candidate, check))
      } catch (err) {
        // A name Lucene cannot take is this artist's problem, not the batch's.
        if (!(err instanceof MusicBrainzRejected)) throw err
        note(artist.id, `name search refused by MusicBrainz (${err.status})`)
        return false
      }
    }
  }

  /** The genre list is fetched once and kept in raw/musicbrainz/genres/all.json (delete it to fetch it again). */
  async function ensureGenreList (client: MusicBrainzClient, outcome: FetchOutcome<MatchRecord>): Promise<void> {
    const kept = await answers.loadGenres()
    if (kept && kept.status === 200 && parseGenreList(kept.body).length > 0) return
    const answer = await client.genres()
    outcome.calls += answer.calls
    await answers.saveGenres(answer.raw[0]!, now().toISOString())
  }

  function matchRecord (match: ArtistMatch, artist: SpotifyArtist, at: string): MatchRecord {
    return {
      spotify_id: match.spotifyId,
      spotify_name: artist.name || null,
      mbid: match.mbid,
      mbz_name: match.mbName || null,
      method: match.method,
      confidence: match.confidence,
      evidence: match.evidence,
      matched_at: at,
    }
  }

  return {
    stage: 'musicbrainz',
    resource: 'artists',
    title: 'MusicBrainz artist matches',
    // One URL-relation call covers 100 artists.
    defaultBatchSize: 100,
    maxBatchSize: 500,
    recordSchema: MatchRecordSchema,
    recordId: (record) => record.spotify_id,
    requireConfig: () => deps.transport.requireContact(),
    // Played artists with no match row yet (a hand-posted row with a null mbid counts), most played first.
    plan: async ({ limit }) => {
      await deps.settlePlays()
      const ids = await planKeys(lake, {
        stage: 'musicbrainz',
        resource: 'artists',
        candidates: playedArtistsSql(deps.plays),
        done: { table: mbzArtistMatch, column: 'spotify_id' },
      }, { now: now(), limit })
      return ids.map((id) => ({ id }))
    },
    fetch: (items) => fetch(items.map((i) => i.id)),
    write: async (records) => {
      const at = now().toISOString()
      const result = await lake.merge(mbzArtistMatch, records.map((r) => ({ ...r, matched_at: r.matched_at ?? at })))
      // Enrichment alone fills mbz_artist_info and mbz_artist_genre: the details its fetch landed are parsed now.
      const parsed = await deps.parseDetails()
      return { inserted: result.inserted, updated: result.updated, unchanged: result.unchanged, ...parsed }
    },
  }
}
