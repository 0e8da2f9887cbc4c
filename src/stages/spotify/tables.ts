import { column as c, defineTable, required, type RowOf } from '../../lake/table.ts'

const spotifyId = { pattern: '^[0-9A-Za-z]{22}$' }
const name = { minLength: 1, maxLength: 1000 }
const text = { maxLength: 2000 }

export const spotifyTracks = defineTable({
  name: 'spotify_tracks',
  description: 'Spotify track metadata, from polled plays and from track resolution; fills imported plays.',
  key: ['track_id'],
  columns: {
    track_id: required(c.varchar('Spotify track id', spotifyId)),
    track_uri: c.varchar('spotify:track:<id>', text),
    track_name: required(c.varchar('track title', name)),
    track_isrc: c.varchar('ISRC', { maxLength: 32 }),
    duration_ms: c.integer('track length', { minimum: 0 }),
    explicit: c.boolean('explicit lyrics'),
    album_id: c.varchar('Spotify album id', spotifyId),
    album_name: c.varchar('album title', text),
    artist_id: c.varchar('primary artist id', spotifyId),
    artist_name: c.varchar('primary artist name', text),
    artist_ids: c.varcharList('all credited artist ids', spotifyId),
    artist_names: c.varcharList('all credited artist names', text),
    fetched_at: c.timestamp('when Spotify returned this'),
  },
})

export const spotifyArtists = defineTable({
  name: 'spotify_artists',
  description: 'Spotify artists. popularity and followers are null for Development Mode apps.',
  key: ['artist_id'],
  columns: {
    artist_id: required(c.varchar('Spotify artist id', spotifyId)),
    artist_name: required(c.varchar('name', name)),
    genres: c.varcharList('Spotify genres (deprecated upstream; often empty)', { minLength: 1, maxLength: 200 }),
    popularity: c.integer('0-100; null where Spotify no longer returns it', { minimum: 0, maximum: 100 }),
    followers: c.bigint('follower count; null where Spotify no longer returns it', { minimum: 0 }),
    image_url: c.varchar('largest image', text),
    artist_mbid: c.varchar('MusicBrainz artist id, set by Update MBIDs from mbz_artist_match; a Spotify re-fetch keeps it', { pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' }),
    fetched_at: c.timestamp('when Spotify returned this'),
  },
})

export const spotifyArtistGenre = defineTable({
  name: 'spotify_artist_genre',
  description: 'One row per artist and Spotify genre; an artist\'s rows are replaced on every enrichment.',
  key: ['artist_id', 'genre'],
  columns: {
    artist_id: required(c.varchar('Spotify artist id', spotifyId)),
    artist_name: c.varchar('name'),
    genre: required(c.varchar('genre')),
  },
})

export const spotifyAlbums = defineTable({
  name: 'spotify_albums',
  description: 'Spotify albums. label and popularity are null for Development Mode apps.',
  key: ['album_id'],
  columns: {
    album_id: required(c.varchar('Spotify album id', spotifyId)),
    album_name: required(c.varchar('title', name)),
    album_type: c.varchar('album, single or compilation', text),
    artist_id: c.varchar('primary artist id', spotifyId),
    artist_name: c.varchar('primary artist name', text),
    artist_ids: c.varcharList('all credited artist ids', spotifyId),
    release_date: c.varchar('YYYY, YYYY-MM or YYYY-MM-DD as Spotify gives it', { pattern: '^\\d{4}(-\\d{2}(-\\d{2})?)?$' }),
    release_date_precision: c.oneOf('year, month or day', ['year', 'month', 'day']),
    release_year: c.integer('year of release', { minimum: 0, maximum: 9999 }),
    total_tracks: c.integer('number of tracks', { minimum: 0 }),
    label: c.varchar('label; null where Spotify no longer returns it', text),
    popularity: c.integer('0-100; null where Spotify no longer returns it', { minimum: 0, maximum: 100 }),
    image_url: c.varchar('largest cover image', text),
    fetched_at: c.timestamp('when Spotify returned this'),
  },
})

export type TrackRecord = RowOf<typeof spotifyTracks>
export type ArtistRecord = RowOf<typeof spotifyArtists>
export type AlbumRecord = RowOf<typeof spotifyAlbums>
