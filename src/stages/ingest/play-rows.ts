import { hash } from 'node:crypto'
import type { PlayRow, PlaySource } from './tables.ts'

/** A play as a source hands it to the store: identity and time always, everything else when the source has it. */
export type PlayInput = Pick<PlayRow, 'play_id' | 'user_id' | 'played_at' | 'source' | 'ingested_at' | 'counts_as_play'> & Partial<PlayRow>

/** Spotify counts a stream as a play from 30 seconds on. */
export const minPlayMs = 30_000

/** The id of the track in `spotify:track:<id>`, `https://open.spotify.com/track/<id>` or a bare id. */
export function spotifyTrackId (value: unknown): string | null {
  if (typeof value !== 'string') return null
  const match = /(?:spotify:track:|open\.spotify\.com\/track\/)([0-9A-Za-z]{22})/.exec(value) ?? /^([0-9A-Za-z]{22})$/.exec(value)
  return match ? match[1]! : null
}

const normalise = (value: string | null | undefined): string => (value ?? '').normalize('NFKC').trim().toLowerCase()

/**
 * Stable id of a play within its source: the same source, user, start time (ms) and track always give the same id, so
 * storing a play twice adds nothing. Plays from different sources are matched by time window instead (plays-store.ts).
 */
export function playId (source: PlaySource, userId: string, playedAtMs: number, trackId: string | null, artistName: string | null, trackName: string | null): string {
  const track = trackId ?? `name:${normalise(artistName)}\u0001${normalise(trackName)}`
  // crypto.hash: the same digest as createHash().update().digest(), a third of the cost for short inputs.
  return hash('sha256', `${source}\u0001${userId}\u0001${playedAtMs}\u0001${track}`, 'hex').slice(0, 32)
}
