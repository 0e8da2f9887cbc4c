/**
 * The lake's catalog: every table, its columns with real types, and its key. Identifiers in SQL come from here
 * and never from a request.
 */
export type ColumnType = 'VARCHAR' | 'VARCHAR[]' | 'INTEGER' | 'BIGINT' | 'DOUBLE' | 'BOOLEAN' | 'DATE' | 'TIMESTAMPTZ'

export interface ColumnDef {
  name: string
  type: ColumnType
  description: string
}

export interface TableDef {
  name: string
  description: string
  columns: ColumnDef[]
  /** Columns that identify a row: merges upsert on them, appends skip rows whose key is already stored. */
  key: string[]
  /**
   * Sort order of the parquet file, so readers can skip row groups by min/max. Empty for tracks_played: sorting a large
   * table on every write costs far more memory than it saves readers; new plays are appended in arrival order.
   */
  orderBy: string[]
}

const col = (name: string, type: ColumnType, description: string): ColumnDef => ({ name, type, description })

export const tracksPlayed: TableDef = {
  name: 'tracks_played',
  description: 'One row per play, from every source, with one identity per play across sources.',
  key: ['play_id'],
  orderBy: [],
  columns: [
    col('play_id', 'VARCHAR', 'stable id of the play: hash of source, user, start time and track'),
    col('user_id', 'VARCHAR', 'TRACKLAKE_USER_ID at ingestion'),
    col('played_at', 'TIMESTAMPTZ', 'UTC start of the play (export: ts minus ms_played)'),
    col('ended_at', 'TIMESTAMPTZ', 'UTC end of the play when the source says (export ts)'),
    col('track_id', 'VARCHAR', 'Spotify track id'),
    col('track_uri', 'VARCHAR', 'spotify:track:<id>'),
    col('track_isrc', 'VARCHAR', 'ISRC of the recording'),
    col('track_name', 'VARCHAR', 'track title'),
    col('album_id', 'VARCHAR', 'Spotify album id'),
    col('album_name', 'VARCHAR', 'album title'),
    col('artist_id', 'VARCHAR', 'Spotify id of the primary (first credited) artist'),
    col('artist_name', 'VARCHAR', 'name of the primary artist'),
    col('artist_ids', 'VARCHAR[]', 'Spotify ids of all credited artists, in credit order'),
    col('artist_names', 'VARCHAR[]', 'names of all credited artists, in credit order'),
    col('duration_ms', 'INTEGER', 'track length'),
    col('ms_played', 'INTEGER', 'how long it was played; null when the source does not say'),
    col('counts_as_play', 'BOOLEAN', 'false for plays shorter than 30 s, which Spotify does not count as plays'),
    col('skipped', 'BOOLEAN', 'export: the user skipped to the next track'),
    col('reason_start', 'VARCHAR', 'export: why the track started'),
    col('reason_end', 'VARCHAR', 'export: why the track ended'),
    col('shuffle', 'BOOLEAN', 'export: shuffle was on'),
    col('offline', 'BOOLEAN', 'export: played offline'),
    col('incognito_mode', 'BOOLEAN', 'export: played in a private session'),
    col('platform', 'VARCHAR', 'export: device platform'),
    col('conn_country', 'VARCHAR', 'export: country of the connection'),
    col('context_type', 'VARCHAR', 'poll: album, artist, playlist or show the play came from'),
    col('context_uri', 'VARCHAR', 'poll: URI of that context'),
    col('recording_mbid', 'VARCHAR', 'ListenBrainz: MusicBrainz recording id'),
    col('artist_mbids', 'VARCHAR[]', 'ListenBrainz: MusicBrainz artist ids'),
    col('source', 'VARCHAR', 'spotify-api, spotify-export or listenbrainz: the source whose row was kept'),
    col('ingested_at', 'TIMESTAMPTZ', 'when tracklake stored the play'),
  ],
}

export const spotifyTracks: TableDef = {
  name: 'spotify_tracks',
  description: 'Spotify track metadata, from polled plays and from track resolution; fills imported plays.',
  key: ['track_id'],
  orderBy: ['track_id'],
  columns: [
    col('track_id', 'VARCHAR', 'Spotify track id'),
    col('track_uri', 'VARCHAR', 'spotify:track:<id>'),
    col('track_name', 'VARCHAR', 'track title'),
    col('track_isrc', 'VARCHAR', 'ISRC'),
    col('duration_ms', 'INTEGER', 'track length'),
    col('explicit', 'BOOLEAN', 'explicit lyrics'),
    col('album_id', 'VARCHAR', 'Spotify album id'),
    col('album_name', 'VARCHAR', 'album title'),
    col('artist_id', 'VARCHAR', 'primary artist id'),
    col('artist_name', 'VARCHAR', 'primary artist name'),
    col('artist_ids', 'VARCHAR[]', 'all credited artist ids'),
    col('artist_names', 'VARCHAR[]', 'all credited artist names'),
    col('fetched_at', 'TIMESTAMPTZ', 'when Spotify returned this'),
  ],
}

export const spotifyArtists: TableDef = {
  name: 'spotify_artists',
  description: 'Spotify artists. popularity and followers are null for Development Mode apps.',
  key: ['artist_id'],
  orderBy: ['artist_id'],
  columns: [
    col('artist_id', 'VARCHAR', 'Spotify artist id'),
    col('artist_name', 'VARCHAR', 'name'),
    col('genres', 'VARCHAR[]', 'Spotify genres (deprecated upstream; often empty)'),
    col('popularity', 'INTEGER', '0-100; null where Spotify no longer returns it'),
    col('followers', 'BIGINT', 'follower count; null where Spotify no longer returns it'),
    col('image_url', 'VARCHAR', 'largest image'),
    col('fetched_at', 'TIMESTAMPTZ', 'when Spotify returned this'),
  ],
}

export const spotifyArtistGenre: TableDef = {
  name: 'spotify_artist_genre',
  description: 'One row per artist and Spotify genre; an artist\'s rows are replaced on every enrichment.',
  key: ['artist_id', 'genre'],
  orderBy: ['artist_id', 'genre'],
  columns: [
    col('artist_id', 'VARCHAR', 'Spotify artist id'),
    col('artist_name', 'VARCHAR', 'name'),
    col('genre', 'VARCHAR', 'genre'),
  ],
}

export const spotifyAlbums: TableDef = {
  name: 'spotify_albums',
  description: 'Spotify albums. label and popularity are null for Development Mode apps.',
  key: ['album_id'],
  orderBy: ['album_id'],
  columns: [
    col('album_id', 'VARCHAR', 'Spotify album id'),
    col('album_name', 'VARCHAR', 'title'),
    col('album_type', 'VARCHAR', 'album, single or compilation'),
    col('artist_id', 'VARCHAR', 'primary artist id'),
    col('artist_name', 'VARCHAR', 'primary artist name'),
    col('artist_ids', 'VARCHAR[]', 'all credited artist ids'),
    col('release_date', 'VARCHAR', 'YYYY, YYYY-MM or YYYY-MM-DD as Spotify gives it'),
    col('release_date_precision', 'VARCHAR', 'year, month or day'),
    col('release_year', 'INTEGER', 'year of release'),
    col('total_tracks', 'INTEGER', 'number of tracks'),
    col('label', 'VARCHAR', 'label; null where Spotify no longer returns it'),
    col('popularity', 'INTEGER', '0-100; null where Spotify no longer returns it'),
    col('image_url', 'VARCHAR', 'largest cover image'),
    col('fetched_at', 'TIMESTAMPTZ', 'when Spotify returned this'),
  ],
}

export const enrichmentFailures: TableDef = {
  name: 'enrichment_failures',
  description: 'Failure memory: real misses (404, no match) with a doubling next-attempt time. Plans skip entities until then.',
  key: ['stage', 'resource', 'entity_id'],
  orderBy: ['stage', 'resource', 'entity_id'],
  columns: [
    col('stage', 'VARCHAR', 'pipeline stage, e.g. spotify'),
    col('resource', 'VARCHAR', 'resource within the stage, e.g. artists'),
    col('entity_id', 'VARCHAR', 'the id that failed'),
    col('reason', 'VARCHAR', 'why, in words'),
    col('http_status', 'INTEGER', 'upstream status, when there was one'),
    col('attempts', 'INTEGER', 'failed attempts so far'),
    col('first_failed_at', 'TIMESTAMPTZ', 'first failure'),
    col('last_failed_at', 'TIMESTAMPTZ', 'latest failure'),
    col('next_attempt_at', 'TIMESTAMPTZ', 'plans skip the entity until then (1, 2, 4 … 32 days)'),
  ],
}

export const tables: readonly TableDef[] = [
  tracksPlayed,
  spotifyTracks,
  spotifyArtists,
  spotifyArtistGenre,
  spotifyAlbums,
  enrichmentFailures,
]

export function findTable (name: string): TableDef | undefined {
  return tables.find((table) => table.name === name)
}
