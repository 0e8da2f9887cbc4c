import { int, obj, str, type Obj } from '../../json-values.ts'
import type { AlbumRecord, ArtistRecord, TrackRecord } from './tables.ts'

/** Pure mappings from Spotify objects (as received) to lake records. Unknown fields are ignored; missing ones are null. */

function credits (value: unknown): { ids: string[], names: string[] } {
  const list = Array.isArray(value) ? value.map(obj).filter((a): a is Obj => a !== undefined) : []
  // Local files and odd payloads can credit an artist without an id: keep ids and names aligned by dropping those.
  const credited = list.filter((a) => str(a.id) !== null)
  return { ids: credited.map((a) => str(a.id)!), names: credited.map((a) => str(a.name) ?? '') }
}

/** The largest image, whatever order Spotify lists them in. */
function largestImage (value: unknown): string | null {
  const images = Array.isArray(value) ? value.map(obj).filter((i): i is Obj => i !== undefined && str(i.url) !== null) : []
  images.sort((a, b) => (int(b.width) ?? 0) - (int(a.width) ?? 0))
  return images.length > 0 ? str(images[0]!.url) : null
}

export function trackRecord (value: unknown, fetchedAt: string): TrackRecord | undefined {
  const track = obj(value)
  const id = str(track?.id)
  const name = str(track?.name)
  if (!track || !id || !name) return undefined
  const album = obj(track.album)
  const artists = credits(track.artists)
  return {
    track_id: id,
    track_uri: str(track.uri) ?? `spotify:track:${id}`,
    track_name: name,
    track_isrc: str(obj(track.external_ids)?.isrc)?.toUpperCase() ?? null,
    duration_ms: int(track.duration_ms),
    explicit: typeof track.explicit === 'boolean' ? track.explicit : null,
    album_id: str(album?.id),
    album_name: str(album?.name),
    artist_id: artists.ids[0] ?? null,
    artist_name: artists.names[0] ?? null,
    artist_ids: artists.ids,
    artist_names: artists.names,
    fetched_at: fetchedAt,
  }
}

export function artistRecord (value: unknown, fetchedAt: string): ArtistRecord | undefined {
  const artist = obj(value)
  const id = str(artist?.id)
  const name = str(artist?.name)
  if (!artist || !id || !name) return undefined
  const genres = Array.isArray(artist.genres) ? [...new Set(artist.genres.filter((g): g is string => typeof g === 'string' && g.trim() !== '').map((g) => g.trim()))] : []
  return {
    artist_id: id,
    artist_name: name,
    genres,
    popularity: int(artist.popularity),
    followers: int(obj(artist.followers)?.total),
    image_url: largestImage(artist.images),
    artist_mbid: null,
    fetched_at: fetchedAt,
  }
}

const precisions = ['year', 'month', 'day'] as const
const precisionOf = (value: unknown): AlbumRecord['release_date_precision'] =>
  precisions.find((p) => p === value) ?? null

export function releaseYear (releaseDate: string | null): number | null {
  const match = releaseDate ? /^(\d{4})/.exec(releaseDate) : null
  const year = match ? Number(match[1]) : null
  return year && year > 0 ? year : null
}

export function albumRecord (value: unknown, fetchedAt: string): AlbumRecord | undefined {
  const album = obj(value)
  const id = str(album?.id)
  const name = str(album?.name)
  if (!album || !id || !name) return undefined
  const artists = credits(album.artists)
  const releaseDate = str(album.release_date)
  return {
    album_id: id,
    album_name: name,
    album_type: str(album.album_type),
    artist_id: artists.ids[0] ?? null,
    artist_name: artists.names[0] ?? null,
    artist_ids: artists.ids,
    release_date: releaseDate,
    release_date_precision: precisionOf(album.release_date_precision),
    release_year: releaseYear(releaseDate),
    // Older album objects carry the count only as tracks.total.
    total_tracks: int(album.total_tracks) ?? int(obj(album.tracks)?.total),
    label: str(album.label),
    popularity: int(album.popularity),
    image_url: largestImage(album.images),
    fetched_at: fetchedAt,
  }
}
