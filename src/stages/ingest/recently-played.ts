import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../../config.ts'
import { AppError } from '../../errors.ts'
import { describeBody, type HttpResponse } from '../../http/client.ts'
import { createWaitBudget, RateLimited, type WaitBudget } from '../../http/rate-limited.ts'
import { str } from '../../json-values.ts'
import type { Lake } from '../../lake/lake.ts'
import type { RawZone } from '../../lake/raw-zone.ts'
import { playId, type PlayInput } from './play-rows.ts'
import { newestPlay, writePlays } from './plays-store.ts'
import type { PlayRow } from './tables.ts'

/** How far `next` links are followed in one poll: Spotify keeps only the last 50 plays, so one page is the norm. */
const maxRecentPages = 20

/** The track of a polled play, in the plays table's own column names. */
export type PolledTrack = Pick<PlayRow, 'track_uri' | 'track_isrc' | 'track_name' | 'album_id' | 'album_name' | 'artist_id' | 'artist_name' | 'artist_ids' | 'artist_names' | 'duration_ms'> & { track_id: string }

/** What polling needs of the Spotify stage, handed over by app.ts. */
export interface SpotifyPolling<Track extends PolledTrack> {
  /** A GET with the user's token (refresh-token flow). */
  get (path: string, options: { searchParams?: Record<string, string | number>, waits: WaitBudget }): Promise<HttpResponse>
  /** A track object as Spotify sends it → the track's record, or undefined when it has no id or name. */
  parseTrack (value: unknown, fetchedAt: string): Track | undefined
  /** Keeps the tracks that came with the plays (Spotify's track catalog), so later imports need no call for them. */
  saveTracks (tracks: Track[]): Promise<void>
}

export interface PollResult {
  status: 'complete' | 'rate_limited'
  /** false when a ListenBrainz read stopped early (page budget or rate limit); the next call continues */
  done?: boolean
  fetched: number
  inserted: number
  duplicates: number
  /** records the lake could not store, set aside in the quarantine table */
  quarantined: number
  cursor: string | null
  pages: number
  retryAfterSeconds?: number
}

/** A timestamp for raw file names: sortable, no characters a file system dislikes. */
export const rawFileTime = (at: Date): string => at.toISOString().replace(/[:.]/g, '-')

export function createRecentlyPlayed<Track extends PolledTrack> (deps: {
  config: Config
  lake: Lake
  raw: RawZone
  spotify: SpotifyPolling<Track>
  now: () => Date
  log: FastifyBaseLogger
}): () => Promise<PollResult> {
  const { lake, raw, spotify, now, log } = deps
  const userId = deps.config.userId

  function playFromHistory (item: unknown, ingestedAt: string): { play: PlayInput, track: Track } | undefined {
    const entry = item as { played_at?: unknown, track?: unknown, context?: { type?: unknown, uri?: unknown } | null }
    const playedAtMs = typeof entry?.played_at === 'string' ? Date.parse(entry.played_at) : Number.NaN
    const track = spotify.parseTrack(entry?.track, ingestedAt)
    if (Number.isNaN(playedAtMs) || !track) return undefined
    return {
      track,
      play: {
        play_id: playId('spotify-api', userId, playedAtMs, track.track_id, track.artist_name, track.track_name),
        user_id: userId,
        played_at: new Date(playedAtMs).toISOString(),
        track_id: track.track_id,
        track_uri: track.track_uri,
        track_isrc: track.track_isrc,
        track_name: track.track_name,
        album_id: track.album_id,
        album_name: track.album_name,
        artist_id: track.artist_id,
        artist_name: track.artist_name,
        artist_ids: track.artist_ids,
        artist_names: track.artist_names,
        duration_ms: track.duration_ms,
        counts_as_play: true,
        context_type: str(entry.context?.type),
        context_uri: str(entry.context?.uri),
        source: 'spotify-api',
        ingested_at: ingestedAt,
      },
    }
  }

  return async function recentlyPlayed (): Promise<PollResult> {
    const cursor = await newestPlay(lake, userId, 'spotify-api')
    const afterMs = cursor ? Date.parse(cursor) : undefined
    const ingestedAt = now().toISOString()
    const byId = new Map<string, { play: PlayInput, track: Track }>()
    let url = '/v1/me/player/recently-played'
    let searchParams: Record<string, string | number> | undefined = { limit: 50, ...(afterMs !== undefined ? { after: afterMs } : {}) }
    let pages = 0
    const waits = createWaitBudget()
    try {
      while (pages < maxRecentPages) {
        const response = await spotify.get(url, { searchParams, waits })
        pages++
        if (response.status === 403) {
          throw new AppError('UPSTREAM_AUTH_FAILED', `Spotify refused recently-played (403: ${describeBody(response)}): the refresh token needs scope user-read-recently-played and, in Development Mode, the user must be on the app's user list`)
        }
        const body = response.json as { items?: unknown, next?: unknown } | undefined
        if (response.status !== 200 || !Array.isArray(body?.items)) {
          throw new AppError('UPSTREAM_FAILED', `Spotify answered ${response.status} to recently-played (${describeBody(response)}); the cursor stays where it was`)
        }
        await raw.save('spotify/recently-played', `${rawFileTime(now())}-page-${pages}`, { fetchedAt: ingestedAt, url: response.url, status: response.status, body })
        let added = 0
        for (const item of body.items) {
          const parsed = playFromHistory(item, ingestedAt)
          if (!parsed) {
            log.warn({ upstream: 'spotify' }, 'skipped a recently-played item without a readable track or played_at')
            continue
          }
          if (afterMs !== undefined && Date.parse(parsed.play.played_at) <= afterMs) continue
          if (byId.has(parsed.play.play_id)) continue
          byId.set(parsed.play.play_id, parsed)
          added++
        }
        // A page that brings nothing new means `next` has walked back past the cursor: the rest is stored already.
        if (added === 0 || typeof body.next !== 'string' || body.next === '') break
        url = body.next
        searchParams = undefined
      }
    } catch (err) {
      // Nothing is written on a rate limit: a partial page set could move the cursor past plays not yet read.
      if (err instanceof RateLimited) {
        return { status: 'rate_limited', fetched: 0, inserted: 0, duplicates: 0, quarantined: 0, cursor, pages, retryAfterSeconds: err.retryAfterSeconds }
      }
      throw err
    }
    const found = [...byId.values()]
    const result = await writePlays(lake, { plays: found.map(({ play }) => play), source: 'spotify-api', at: ingestedAt })
    await spotify.saveTracks([...new Map(found.map(({ track }) => [track.track_id, track])).values()])
    return {
      status: 'complete',
      fetched: found.length,
      inserted: result.inserted,
      duplicates: result.duplicates,
      quarantined: result.quarantined,
      cursor: await newestPlay(lake, userId, 'spotify-api'),
      pages,
    }
  }
}
