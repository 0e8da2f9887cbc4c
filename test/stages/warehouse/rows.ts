import { createHash } from 'node:crypto'

/** A 22-character Spotify id made from a readable seed. */
export const sid = (seed: string): string => createHash('sha256').update(seed).digest('base64').replace(/[^0-9A-Za-z]/g, '').slice(0, 22)

/** An MBID made from a readable seed. */
export function mbid (seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`
}

const ingestedAt = '2026-01-01T00:00:00.000Z'

/** A tracks_played row: what a test gives, the rest as an import would leave it. */
export function play (fields: Record<string, unknown> & { play_id: string, played_at: string }): Record<string, unknown> {
  return {
    user_id: 'me',
    counts_as_play: true,
    source: 'spotify-export',
    ingested_at: ingestedAt,
    ...fields,
  }
}

/** A played Spotify track: track, album and artist ids with names, as a resolved play carries them. */
export function spotifyPlay (playId: string, playedAt: string, track: { track: string, album: string, artists: string[] }, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return play({
    play_id: playId,
    played_at: playedAt,
    track_id: sid(track.track),
    track_name: track.track,
    album_id: sid(track.album),
    album_name: track.album,
    artist_id: sid(track.artists[0]!),
    artist_name: track.artists[0],
    artist_ids: track.artists.map(sid),
    artist_names: track.artists,
    duration_ms: 200_000,
    ...extra,
  })
}
