import { createHash } from 'node:crypto'

export type PlaySource = 'spotify-api' | 'spotify-export' | 'listenbrainz'

/** A tracks_played row as written (timestamps as ISO strings). */
export interface PlayRow {
  play_id: string
  user_id: string
  played_at: string
  ended_at: string | null
  track_id: string | null
  track_uri: string | null
  track_isrc: string | null
  track_name: string | null
  album_id: string | null
  album_name: string | null
  artist_id: string | null
  artist_name: string | null
  artist_ids: string[] | null
  artist_names: string[] | null
  duration_ms: number | null
  ms_played: number | null
  counts_as_play: boolean
  skipped: boolean | null
  reason_start: string | null
  reason_end: string | null
  shuffle: boolean | null
  offline: boolean | null
  incognito_mode: boolean | null
  platform: string | null
  conn_country: string | null
  context_type: string | null
  context_uri: string | null
  recording_mbid: string | null
  artist_mbids: string[] | null
  source: PlaySource
  ingested_at: string
}

/** Spotify counts a stream as a play from 30 seconds on. */
export const minPlayMs = 30_000

/** The id of the track in `spotify:track:<id>`, `https://open.spotify.com/track/<id>` or a bare id. */
export function spotifyTrackId (value: unknown): string | null {
  if (typeof value !== 'string') return null
  const match = /(?:spotify:track:|open\.spotify\.com\/track\/)([0-9A-Za-z]{22})/.exec(value) ?? /^([0-9A-Za-z]{22})$/.exec(value)
  return match ? match[1]! : null
}

const normalise = (value: string | null): string => (value ?? '').normalize('NFKC').trim().toLowerCase()

/**
 * Stable id of a play within its source: the same source, user, start time (ms) and track always give the same id, so
 * storing a play twice adds nothing. Plays from different sources are matched by time window instead (plays-store.ts).
 */
export function playId (source: PlaySource, userId: string, playedAtMs: number, trackId: string | null, artistName: string | null, trackName: string | null): string {
  const track = trackId ?? `name:${normalise(artistName)}\u0001${normalise(trackName)}`
  return createHash('sha256').update(`${source}\u0001${userId}\u0001${playedAtMs}\u0001${track}`).digest('hex').slice(0, 32)
}

export const emptyPlay = (): Omit<PlayRow, 'play_id' | 'user_id' | 'played_at' | 'source' | 'ingested_at' | 'counts_as_play'> => ({
  ended_at: null,
  track_id: null,
  track_uri: null,
  track_isrc: null,
  track_name: null,
  album_id: null,
  album_name: null,
  artist_id: null,
  artist_name: null,
  artist_ids: null,
  artist_names: null,
  duration_ms: null,
  ms_played: null,
  skipped: null,
  reason_start: null,
  reason_end: null,
  shuffle: null,
  offline: null,
  incognito_mode: null,
  platform: null,
  conn_country: null,
  context_type: null,
  context_uri: null,
  recording_mbid: null,
  artist_mbids: null,
})

export const str = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : null)
export const int = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? Math.round(value) : null)
export const bool = (value: unknown): boolean | null => (typeof value === 'boolean' ? value : null)
