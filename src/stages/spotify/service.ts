import { quotedIdentifier as qi } from '@duckdb/node-api'
import { fetchBatch } from '../../batch/fetch-batch.ts'
import type { GranularStep } from '../../batch/granular.ts'
import { planKeys, type PlanQuery } from '../../batch/plan-query.ts'
import type { Lake } from '../../lake/lake.ts'
import type { RawZone } from '../../lake/raw-zone.ts'
import { partitionStorable, recordSchema, type TableDef } from '../../lake/table.ts'
import type { CatalogKind, SpotifyClient } from './client.ts'
import { albumRecord, artistRecord, releaseYear, trackRecord } from './mappers.ts'
import type { PlaysRefill } from './plays-refill.ts'
import { spotifyAlbums, spotifyArtistGenre, spotifyArtists, spotifyTracks, type AlbumRecord, type ArtistRecord, type TrackRecord } from './tables.ts'

export const TrackRecordSchema = recordSchema(spotifyTracks, {
  $id: 'SpotifyTrack',
  required: ['track_id', 'track_name'],
  description: 'a spotify_tracks row; resolving a track fills every play of it',
})

export const ArtistRecordSchema = recordSchema(spotifyArtists, {
  $id: 'SpotifyArtist',
  required: ['artist_id', 'artist_name'],
  description: 'a spotify_artists row; its genres replace the artist\'s rows in spotify_artist_genre',
})

export const AlbumRecordSchema = recordSchema(spotifyAlbums, {
  $id: 'SpotifyAlbum',
  required: ['album_id', 'album_name'],
  description: 'a spotify_albums row',
})

/** A record as a write route takes it: the key and name, the rest optional. */
type Posted<R, K extends keyof R> = Pick<R, K> & Partial<R>

export interface SpotifySteps {
  tracks: GranularStep<Posted<TrackRecord, 'track_id' | 'track_name'>>
  artists: GranularStep<Posted<ArtistRecord, 'artist_id' | 'artist_name'>>
  albums: GranularStep<Posted<AlbumRecord, 'album_id' | 'album_name'>>
}

/** An entity Spotify answered under another id (relinked or merged) is stored under the id the lake asked for. */
function answeringFor (body: unknown, id: string, kind: CatalogKind): unknown {
  const entity = body as { id?: unknown } | null
  if (!entity || typeof entity !== 'object' || entity.id === id) return body
  return { ...entity, id, uri: `spotify:${kind.slice(0, -1)}:${id}` }
}

export function createSpotifySteps (deps: {
  lake: Lake
  raw: RawZone
  spotify: SpotifyClient
  now: () => Date
  refill: PlaysRefill
  /** the ingest stage's plays table (tracks_played), which every plan reads */
  plays: TableDef
}): SpotifySteps {
  const { lake, raw, spotify, now, refill } = deps
  const plays = qi(deps.plays.name)
  const requireConfig = (): void => spotify.requireApp()

  async function plan (resource: CatalogKind, query: Omit<PlanQuery, 'stage' | 'resource'>, limit: number | undefined): Promise<Array<{ id: string }>> {
    // Artists and albums are planned from the plays' ids: wait for plays still being filled from resolved tracks.
    if (resource !== 'tracks') await refill.flush()
    const ids = await planKeys(lake, { stage: 'spotify', resource, ...query }, { now: now(), limit })
    return ids.map((id) => ({ id }))
  }

  function fetchKind<Rec> (kind: CatalogKind, ids: string[], toRecord: (body: unknown, fetchedAt: string) => Rec | undefined) {
    return fetchBatch({
      raw,
      source: `spotify/${kind}`,
      now,
      ids,
      lookup: (toCall) => spotify.lookup(kind, toCall),
      toRecord: (body, id, fetchedAt) => toRecord(answeringFor(body, id, kind), fetchedAt),
      unreadable: 'Spotify answered without a name',
    })
  }

  const fetchedAtOf = (record: { fetched_at?: string | null }): string => record.fetched_at ?? now().toISOString()

  const tracks: SpotifySteps['tracks'] = {
    stage: 'spotify',
    resource: 'tracks',
    title: 'Spotify tracks',
    defaultBatchSize: 50,
    maxBatchSize: 200,
    recordSchema: TrackRecordSchema,
    recordId: (record) => record.track_id,
    requireConfig,
    // Imported plays carry only a track URI and names; resolving a track gives all its plays their artist and album
    // ids, so the most played tracks go first and a daily quota goes where it matters.
    plan: ({ limit }) => plan('tracks', {
      candidates: `SELECT track_id AS id, count(*) AS weight FROM ${plays} WHERE track_id IS NOT NULL AND artist_id IS NULL GROUP BY track_id`,
      done: { table: spotifyTracks, column: 'track_id' },
    }, limit),
    fetch: (items) => fetchKind('tracks', items.map((i) => i.id), trackRecord),
    write: async (records) => {
      const result = await lake.merge(spotifyTracks, records.map((r) => ({
        ...r,
        track_uri: r.track_uri ?? `spotify:track:${r.track_id}`,
        artist_id: r.artist_id ?? r.artist_ids?.[0] ?? null,
        artist_name: r.artist_name ?? r.artist_names?.[0] ?? null,
        artist_ids: r.artist_ids ?? (r.artist_id ? [r.artist_id] : []),
        artist_names: r.artist_names ?? (r.artist_name ? [r.artist_name] : []),
        fetched_at: fetchedAtOf(r),
      })))
      // The plays of these tracks are filled a moment later, once per run of writes (plays-refill.ts).
      refill.request()
      return { inserted: result.inserted, updated: result.updated, unchanged: result.unchanged, repaired: result.repaired, playsToFill: await refill.pending() }
    },
  }

  const artists: SpotifySteps['artists'] = {
    stage: 'spotify',
    resource: 'artists',
    title: 'Spotify artists',
    defaultBatchSize: 50,
    maxBatchSize: 200,
    recordSchema: ArtistRecordSchema,
    recordId: (record) => record.artist_id,
    requireConfig,
    // Every credited artist counts, not only the first: features get enriched too. Ties are broken by id.
    plan: ({ limit }) => plan('artists', {
      candidates: `
        WITH credited AS (
          SELECT unnest(CASE WHEN len(artist_ids) > 0 THEN artist_ids ELSE [artist_id] END) AS id
          FROM ${plays} WHERE artist_id IS NOT NULL)
        SELECT id, count(*) AS weight FROM credited WHERE id IS NOT NULL GROUP BY id`,
      done: { table: spotifyArtists, column: 'artist_id' },
    }, limit),
    fetch: (items) => fetchKind('artists', items.map((i) => i.id), artistRecord),
    write: async (records) => lake.write([spotifyArtists, spotifyArtistGenre], async (tx) => {
      // A re-fetch never resets the MBID Update MBIDs set (the original's merge replaced whole rows: W18).
      const stored = await tx.query('SELECT artist_id, artist_mbid FROM spotify_artists WHERE artist_mbid IS NOT NULL AND list_contains($ids::VARCHAR[], artist_id)', { ids: records.map((r) => r.artist_id) })
      const mbids = new Map(stored.map((row) => [String(row.artist_id), String(row.artist_mbid)]))
      const rows = records.map((r) => ({ ...r, artist_mbid: r.artist_mbid ?? mbids.get(r.artist_id) ?? null, genres: r.genres ?? [], fetched_at: fetchedAtOf(r) }))
      // Genres first: should the artist row fail to land, the artist is planned again and its genres rewritten.
      const genres = await tx.replaceGroups(spotifyArtistGenre, 'artist_id', rows.map((r) => r.artist_id),
        rows.flatMap((r) => r.genres.map((genre) => ({ artist_id: r.artist_id, artist_name: r.artist_name, genre }))))
      const result = await tx.merge(spotifyArtists, rows)
      return { inserted: result.inserted, updated: result.updated, unchanged: result.unchanged, repaired: result.repaired, genresAdded: genres.inserted, genresRemoved: genres.deleted }
    }),
  }

  const albums: SpotifySteps['albums'] = {
    stage: 'spotify',
    resource: 'albums',
    title: 'Spotify albums',
    defaultBatchSize: 20,
    maxBatchSize: 200,
    recordSchema: AlbumRecordSchema,
    recordId: (record) => record.album_id,
    requireConfig,
    plan: ({ limit }) => plan('albums', {
      candidates: `SELECT album_id AS id, count(*) AS weight FROM ${plays} WHERE album_id IS NOT NULL GROUP BY album_id`,
      done: { table: spotifyAlbums, column: 'album_id' },
    }, limit),
    fetch: (items) => fetchKind('albums', items.map((i) => i.id), albumRecord),
    write: async (records) => {
      const result = await lake.merge(spotifyAlbums, records.map((r) => ({
        ...r,
        artist_id: r.artist_id ?? r.artist_ids?.[0] ?? null,
        artist_ids: r.artist_ids ?? (r.artist_id ? [r.artist_id] : []),
        release_year: r.release_year ?? releaseYear(r.release_date ?? null),
        fetched_at: fetchedAtOf(r),
      })))
      return { inserted: result.inserted, updated: result.updated, unchanged: result.unchanged, repaired: result.repaired }
    },
  }

  return { tracks, artists, albums }
}

/**
 * Stores the track metadata that came with polled plays (the ingest stage hands it over through app.ts), so plays of
 * the same tracks imported later are filled without a Spotify call.
 */
export async function saveTracks (lake: Lake, refill: PlaysRefill, tracks: readonly TrackRecord[]): Promise<void> {
  // A track the lake cannot store is set aside with its play (the plays store quarantines it).
  const result = await lake.merge(spotifyTracks, partitionStorable(spotifyTracks, tracks).storable)
  if (result.written) refill.request()
}
