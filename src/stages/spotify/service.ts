import type { FastifyBaseLogger } from 'fastify'
import { Type } from 'typebox'
import type { Config } from '../../config.ts'
import { notInBackoff } from '../../batch/failure-memory.ts'
import type { FetchOutcome, GranularStep, PlanItem } from '../../batch/granular.ts'
import type { Lake } from '../../lake/lake.ts'
import type { RawZone } from '../../lake/raw-zone.ts'
import { spotifyAlbums, spotifyArtistGenre, spotifyArtists, spotifyTracks } from '../../lake/tables.ts'
import { Nullable, SpotifyIdSchema, TimestampSchema } from '../../schemas.ts'
import type { PlaysRefill } from '../ingest/plays-refill.ts'
import type { CatalogKind, SpotifyClient } from './client.ts'
import { albumRecord, artistRecord, releaseYear, trackRecord, type AlbumRecord, type ArtistRecord, type TrackRecord } from './mappers.ts'

/** Raw answers younger than this are reused instead of calling again (a lost write must not spend the quota twice). */
const rawReuseMs = 24 * 60 * 60 * 1000
const noLimit = 2 ** 31 - 1

/** An entity Spotify answered under another id (relinked or merged) is stored under the id the lake asked for. */
function answeringFor (body: unknown, id: string, kind: CatalogKind): unknown {
  const entity = body as { id?: unknown } | null
  if (!entity || typeof entity !== 'object' || entity.id === id) return body
  return { ...entity, id, uri: `spotify:${kind.slice(0, -1)}:${id}` }
}

/** A plan holds ids only: the fetch needs nothing else, and a 25,000-key plan stays quick to take and to store. */
export type SpotifyPlanItem = PlanItem

const NameSchema = Type.String({ minLength: 1, maxLength: 1000 })
const OptionalText = Type.Optional(Nullable(Type.String({ maxLength: 2000 })))

export const TrackRecordSchema = Type.Object({
  track_id: SpotifyIdSchema,
  track_name: NameSchema,
  track_uri: OptionalText,
  track_isrc: Type.Optional(Nullable(Type.String({ maxLength: 32 }))),
  duration_ms: Type.Optional(Nullable(Type.Integer({ minimum: 0 }))),
  explicit: Type.Optional(Nullable(Type.Boolean())),
  album_id: Type.Optional(Nullable(SpotifyIdSchema)),
  album_name: OptionalText,
  artist_id: Type.Optional(Nullable(SpotifyIdSchema)),
  artist_name: OptionalText,
  artist_ids: Type.Optional(Type.Array(SpotifyIdSchema)),
  artist_names: Type.Optional(Type.Array(Type.String())),
  fetched_at: Type.Optional(TimestampSchema),
}, { $id: 'SpotifyTrack', title: 'SpotifyTrack', description: 'a spotify_tracks row; resolving a track fills every play of it' })

export const ArtistRecordSchema = Type.Object({
  artist_id: SpotifyIdSchema,
  artist_name: NameSchema,
  genres: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }))),
  popularity: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 100 }))),
  followers: Type.Optional(Nullable(Type.Integer({ minimum: 0 }))),
  image_url: OptionalText,
  fetched_at: Type.Optional(TimestampSchema),
}, { $id: 'SpotifyArtist', title: 'SpotifyArtist', description: 'a spotify_artists row; its genres replace the artist\'s rows in spotify_artist_genre' })

export const AlbumRecordSchema = Type.Object({
  album_id: SpotifyIdSchema,
  album_name: NameSchema,
  album_type: OptionalText,
  artist_id: Type.Optional(Nullable(SpotifyIdSchema)),
  artist_name: OptionalText,
  artist_ids: Type.Optional(Type.Array(SpotifyIdSchema)),
  release_date: Type.Optional(Nullable(Type.String({ pattern: '^\\d{4}(-\\d{2}(-\\d{2})?)?$' }))),
  release_date_precision: Type.Optional(Nullable(Type.Union([Type.Literal('year'), Type.Literal('month'), Type.Literal('day')]))),
  release_year: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 9999 }))),
  total_tracks: Type.Optional(Nullable(Type.Integer({ minimum: 0 }))),
  label: OptionalText,
  popularity: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 100 }))),
  image_url: OptionalText,
  fetched_at: Type.Optional(TimestampSchema),
}, { $id: 'SpotifyAlbum', title: 'SpotifyAlbum', description: 'a spotify_albums row' })

export interface SpotifySteps {
  tracks: GranularStep<SpotifyPlanItem, TrackRecord>
  artists: GranularStep<SpotifyPlanItem, ArtistRecord>
  albums: GranularStep<SpotifyPlanItem, AlbumRecord>
}

export function createSpotifySteps (deps: {
  config: Config
  lake: Lake
  raw: RawZone
  spotify: SpotifyClient
  now: () => Date
  log: FastifyBaseLogger
  refill: PlaysRefill
}): SpotifySteps {
  const { lake, raw, spotify, now, refill } = deps
  const requireConfig = (): void => spotify.requireApp()

  async function plan (resource: CatalogKind, sql: string, limit: number | undefined): Promise<SpotifyPlanItem[]> {
    // Artists and albums are planned from the plays' ids: wait for plays still being filled from resolved tracks.
    if (resource !== 'tracks') await refill.flush()
    const rows = await lake.query(sql, {
      failure_stage: 'spotify',
      failure_resource: resource,
      now: now().toISOString(),
      limit: limit ?? noLimit,
    })
    return rows.map((row) => ({ id: String(row.id) }))
  }

  async function fetchKind<Rec> (kind: CatalogKind, items: SpotifyPlanItem[], toRecord: (body: unknown, fetchedAt: string) => Rec | undefined): Promise<FetchOutcome<Rec>> {
    const fetchedAt = now().toISOString()
    const outcome: FetchOutcome<Rec> = { status: 'complete', records: [], failures: [], calls: 0 }
    const toCall: string[] = []
    for (const item of items) {
      const cached = await raw.load(`spotify/${kind}`, item.id)
      const record = cached && cached.status === 200 && now().getTime() - Date.parse(cached.fetchedAt) < rawReuseMs
        ? toRecord(answeringFor(cached.body, item.id, kind), cached.fetchedAt)
        : undefined
      if (record) outcome.records.push(record)
      else toCall.push(item.id)
    }
    const result = await spotify.lookup(kind, toCall)
    outcome.calls = result.calls
    for (const found of result.found) {
      await raw.save(`spotify/${kind}`, found.id, { fetchedAt, url: found.url, status: 200, body: found.body })
      const record = toRecord(answeringFor(found.body, found.id, kind), fetchedAt)
      if (record) outcome.records.push(record)
      else outcome.failures.push({ entity_id: found.id, reason: 'Spotify answered without a name', http_status: 200, failed_at: fetchedAt })
    }
    for (const miss of result.missing) {
      outcome.failures.push({ entity_id: miss.id, reason: miss.reason, http_status: miss.httpStatus, failed_at: fetchedAt })
    }
    if (result.rateLimited) {
      outcome.status = 'rate_limited'
      outcome.retryAfterSeconds = result.rateLimited.retryAfterSeconds
    }
    if (result.error) outcome.error = result.error
    return outcome
  }

  const stamp = (record: { fetched_at?: string }) => record.fetched_at ?? now().toISOString()

  const tracks: GranularStep<SpotifyPlanItem, TrackRecord> = {
    stage: 'spotify',
    resource: 'tracks',
    title: 'Spotify tracks',
    defaultBatchSize: 50,
    maxBatchSize: 200,
    recordSchema: Type.Ref('SpotifyTrack'),
    recordId: (record) => record.track_id,
    requireConfig,
    // Imported plays carry only a track URI and names; resolving a track gives all its plays their artist and album
    // ids, so the most played tracks go first and a daily quota goes where it matters.
    plan: ({ limit }) => plan('tracks', `
      WITH played AS (
        SELECT track_id AS id, count(*) AS plays FROM tracks_played
        WHERE track_id IS NOT NULL AND artist_id IS NULL GROUP BY track_id)
      SELECT id FROM played p
      WHERE NOT EXISTS (SELECT 1 FROM spotify_tracks t WHERE t.track_id = p.id)
        AND ${notInBackoff('p.id')}
      ORDER BY plays DESC, id
      LIMIT $limit`, limit),
    fetch: (items) => fetchKind('tracks', items, trackRecord),
    write: async (records) => {
      const result = await lake.write([spotifyTracks], (tx) => tx.merge(spotifyTracks, records.map((r) => ({
        ...r,
        track_uri: r.track_uri ?? `spotify:track:${r.track_id}`,
        artist_id: r.artist_id ?? r.artist_ids?.[0] ?? null,
        artist_name: r.artist_name ?? r.artist_names?.[0] ?? null,
        artist_ids: r.artist_ids ?? (r.artist_id ? [r.artist_id] : []),
        artist_names: r.artist_names ?? (r.artist_name ? [r.artist_name] : []),
        fetched_at: stamp(r),
      }))))
      // The plays of these tracks are filled a moment later, once per run of writes (plays-refill.ts).
      refill.request()
      return { inserted: result.inserted, updated: result.updated, unchanged: result.unchanged, playsToFill: await refill.pending() }
    },
  }

  const artists: GranularStep<SpotifyPlanItem, ArtistRecord> = {
    stage: 'spotify',
    resource: 'artists',
    title: 'Spotify artists',
    defaultBatchSize: 50,
    maxBatchSize: 200,
    recordSchema: Type.Ref('SpotifyArtist'),
    recordId: (record) => record.artist_id,
    requireConfig,
    // Every credited artist counts, not only the first: features get enriched too. Ties are broken by id.
    plan: ({ limit }) => plan('artists', `
      WITH credited AS (
        SELECT unnest(CASE WHEN len(artist_ids) > 0 THEN artist_ids ELSE [artist_id] END) AS id
        FROM tracks_played WHERE artist_id IS NOT NULL),
      played AS (SELECT id, count(*) AS plays FROM credited WHERE id IS NOT NULL GROUP BY id)
      SELECT id FROM played p
      WHERE NOT EXISTS (SELECT 1 FROM spotify_artists a WHERE a.artist_id = p.id)
        AND ${notInBackoff('p.id')}
      ORDER BY plays DESC, id
      LIMIT $limit`, limit),
    fetch: (items) => fetchKind('artists', items, artistRecord),
    write: async (records) => lake.write([spotifyArtists, spotifyArtistGenre], async (tx) => {
      const rows = records.map((r) => ({
        ...r,
        popularity: r.popularity ?? null,
        followers: r.followers ?? null,
        image_url: r.image_url ?? null,
        genres: r.genres ?? [],
        fetched_at: stamp(r),
      }))
      // Genres first: should the artist row fail to land, the artist is planned again and its genres rewritten.
      const genres = await tx.replaceGroups(spotifyArtistGenre, 'artist_id', rows.map((r) => r.artist_id),
        rows.flatMap((r) => r.genres.map((genre) => ({ artist_id: r.artist_id, artist_name: r.artist_name, genre }))))
      const result = await tx.merge(spotifyArtists, rows)
      return { inserted: result.inserted, updated: result.updated, unchanged: result.unchanged, genresAdded: genres.inserted, genresRemoved: genres.deleted }
    }),
  }

  const albums: GranularStep<SpotifyPlanItem, AlbumRecord> = {
    stage: 'spotify',
    resource: 'albums',
    title: 'Spotify albums',
    defaultBatchSize: 20,
    maxBatchSize: 200,
    recordSchema: Type.Ref('SpotifyAlbum'),
    recordId: (record) => record.album_id,
    requireConfig,
    plan: ({ limit }) => plan('albums', `
      WITH played AS (SELECT album_id AS id, count(*) AS plays FROM tracks_played WHERE album_id IS NOT NULL GROUP BY album_id)
      SELECT id FROM played p
      WHERE NOT EXISTS (SELECT 1 FROM spotify_albums a WHERE a.album_id = p.id)
        AND ${notInBackoff('p.id')}
      ORDER BY plays DESC, id
      LIMIT $limit`, limit),
    fetch: (items) => fetchKind('albums', items, albumRecord),
    write: async (records) => {
      const result = await lake.merge(spotifyAlbums, records.map((r) => ({
        ...r,
        artist_id: r.artist_id ?? r.artist_ids?.[0] ?? null,
        artist_ids: r.artist_ids ?? (r.artist_id ? [r.artist_id] : []),
        release_year: r.release_year ?? releaseYear(r.release_date ?? null),
        fetched_at: stamp(r),
      })))
      return { inserted: result.inserted, updated: result.updated, unchanged: result.unchanged }
    },
  }

  return { tracks, artists, albums }
}
