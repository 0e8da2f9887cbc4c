import { invalidField } from '../errors.ts'
import { dateRange, firstRow, list, num, round1, str, strOrNull, struct, numOrNull, type WarehouseQuery } from './query.ts'
import type { Recent, RecentParams } from './schemas.ts'
import { withSnapshot } from './snapshot.ts'
import { fillBuckets, type Bucket } from './timeline.ts'

export interface RecentDeps {
  query: WarehouseQuery
  /** the lake's tracks_played parquet file, and a folder on its file system for a snapshot of it */
  plays: { file: string, tmpDir: string }
  now: () => Date
}

const latestPlays = 50
const defaultHours = 24
/** Plays this long before the build started may still have missed its snapshot; the play_id check drops doubles. */
const buildSlack = 'INTERVAL 1 HOUR'

/**
 * The plays of a window: the warehouse's, plus the lake's plays that arrived after the build (the warehouse is
 * rebuilt daily; the last 24 hours should not wait for it). A play new to the warehouse has what its lake row says:
 * its Spotify ids (names and masks from the dimensions when the warehouse knows them), else its names; its artist is
 * counted by Spotify id, else by case-folded name, until the next build resolves it.
 *
 * Names are joined after grouping: only the top rows and the latest plays need them.
 */
const recentSql = (unit: 'hour' | 'day'): string => `
WITH build AS (SELECT built_at, timezone FROM meta.build),
old AS (
  SELECT f.play_id, f.played_at, f.played_at_local AS local, f.track_id, f.artist_id, f.album_id, f.minutes_played AS minutes,
    f.source, NULL::VARCHAR AS track_name, NULL::VARCHAR AS artist_name, NULL::VARCHAR AS album_name, false AS is_new
  FROM fact_track_played f
  WHERE f.played_at >= $start::TIMESTAMPTZ AND f.played_at < $end::TIMESTAMPTZ AND f.date BETWEEN $from AND $to
),
new AS (
  SELECT p.play_id, p.played_at, timezone(b.timezone, p.played_at) AS local,
    coalesce(p.track_id, 'name:' || lower(trim(coalesce(p.artist_name, ''))) || ' - ' || lower(trim(coalesce(p.track_name, '')))) AS track_id,
    coalesce(p.artist_id, 'name:' || lower(trim(p.artist_name)), 'unknown') AS artist_id,
    p.album_id,
    coalesce(p.ms_played, p.duration_ms, t.duration_ms) / 60000.0 AS minutes,
    p.source, p.track_name, p.artist_name, p.album_name, true AS is_new
  FROM read_parquet($plays) p
  CROSS JOIN build b
  LEFT JOIN dim_track t ON t.track_id = p.track_id
  WHERE p.counts_as_play AND p.ingested_at >= b.built_at - ${buildSlack}
    AND p.played_at >= $start::TIMESTAMPTZ AND p.played_at < $end::TIMESTAMPTZ
    AND timezone(b.timezone, p.played_at)::DATE BETWEEN $from AND $to
    AND p.play_id NOT IN (SELECT play_id FROM old)
),
plays AS MATERIALIZED (SELECT * FROM old UNION ALL BY NAME SELECT * FROM new),
by_artist AS (
  SELECT artist_id, count(*) AS plays, coalesce(sum(minutes), 0) AS minutes, count(DISTINCT track_id) AS tracks,
    arg_max(artist_name, played_at) FILTER (WHERE artist_name IS NOT NULL) AS name
  FROM plays GROUP BY artist_id
  ORDER BY minutes DESC, plays DESC, artist_id LIMIT $limit
),
by_track AS (
  SELECT track_id, count(*) AS plays, coalesce(sum(minutes), 0) AS minutes,
    arg_max(track_name, played_at) FILTER (WHERE track_name IS NOT NULL) AS name,
    arg_max(artist_id, played_at) AS artist_id,
    arg_max(artist_name, played_at) FILTER (WHERE artist_name IS NOT NULL) AS artist_name
  FROM plays GROUP BY track_id
  ORDER BY minutes DESC, plays DESC, track_id LIMIT $limit
),
latest AS (SELECT * FROM plays ORDER BY played_at DESC, play_id LIMIT ${latestPlays})
SELECT
  (SELECT built_at FROM build) AS built_at,
  (SELECT timezone FROM build) AS timezone,
  (SELECT strftime(timezone(timezone, $start::TIMESTAMPTZ), '%Y-%m-%d %H:00') FROM build) AS window_start_local,
  (SELECT strftime(timezone(timezone, $end::TIMESTAMPTZ - INTERVAL 1 MILLISECOND), '%Y-%m-%d %H:00') FROM build) AS window_end_local,
  (SELECT struct_pack(
      plays := count(*), minutes := coalesce(sum(minutes), 0), artists := count(DISTINCT artist_id),
      tracks := count(DISTINCT track_id), new := count(*) FILTER (WHERE is_new),
      first := strftime(min(local), '%Y-%m-%d'), last := strftime(max(local), '%Y-%m-%d'))
    FROM plays) AS totals,
  (SELECT list(struct_pack(
      artistId := g.artist_id, name := coalesce(a.artist_name, g.name, 'Unknown artist'), plays := g.plays,
      minutes := g.minutes, tracks := g.tracks) ORDER BY g.minutes DESC, g.plays DESC, g.artist_id)
    FROM by_artist g LEFT JOIN dim_artist a ON a.artist_id = g.artist_id) AS top_artists,
  (SELECT list(struct_pack(
      trackId := g.track_id, name := coalesce(t.track_name, g.name, 'Unknown track'),
      artist := coalesce(t.artist_name, a.artist_name, g.artist_name, 'Unknown artist'), plays := g.plays,
      minutes := g.minutes) ORDER BY g.minutes DESC, g.plays DESC, g.track_id)
    FROM by_track g LEFT JOIN dim_track t ON t.track_id = g.track_id LEFT JOIN dim_artist a ON a.artist_id = g.artist_id) AS top_tracks,
  (SELECT list(struct_pack(start := b, plays := n, minutes := m))
    FROM (SELECT ${unit === 'hour' ? "strftime(date_trunc('hour', local), '%Y-%m-%d %H:00')" : "strftime(local, '%Y-%m-%d')"} AS b, count(*) AS n, coalesce(sum(minutes), 0) AS m FROM plays GROUP BY 1)) AS buckets,
  (SELECT list(struct_pack(
      playedAt := l.played_at, local := strftime(l.local, '%Y-%m-%d %H:%M'),
      track := coalesce(t.track_name, l.track_name, 'Unknown track'),
      artist := coalesce(a.artist_name, l.artist_name, 'Unknown artist'),
      album := coalesce(l.album_name, CASE WHEN al.album_id <> 'unknown' THEN al.album_name END),
      minutes := l.minutes, source := l.source) ORDER BY l.played_at DESC, l.play_id)
    FROM latest l
    LEFT JOIN dim_track t ON t.track_id = l.track_id
    LEFT JOIN dim_artist a ON a.artist_id = l.artist_id
    LEFT JOIN dim_album al ON al.album_id = l.album_id) AS latest
`

/** The last `hours` hours up to now (default 24), or the local dates from–to. */
export async function recentReport (deps: RecentDeps, query: RecentParams): Promise<Recent> {
  const byDates = query.from !== undefined || query.to !== undefined
  if (byDates && query.hours !== undefined) throw invalidField('query.hours', 'cannot be combined with query.from or query.to')
  const range = dateRange(query)
  const hours = byDates ? null : query.hours ?? defaultHours
  const end = deps.now()
  const start = hours === null ? null : new Date(end.getTime() - hours * 3_600_000)
  const rows = await withSnapshot(deps.plays.file, deps.plays.tmpDir, (plays) => deps.query(recentSql(hours === null ? 'day' : 'hour'), {
    plays,
    start: start?.toISOString() ?? '-infinity',
    end: hours === null ? 'infinity' : end.toISOString(),
    ...range.params,
    limit: query.limit,
  }))
  const row = firstRow(rows)
  const totals = struct(row.totals)
  const buckets: Bucket[] = list(row.buckets).map((b) => ({ start: str(b.start), plays: num(b.plays), minutes: num(b.minutes) }))
  const timeline = hours === null
    ? fillBuckets(buckets, 'day', range.from ?? strOrNull(totals.first), range.to ?? strOrNull(totals.last))
    : fillBuckets(buckets, 'hour', str(row.window_start_local), str(row.window_end_local))
  return {
    window: {
      kind: hours === null ? 'dates' : 'rolling',
      hours,
      start: start?.toISOString() ?? null,
      end: hours === null ? null : end.toISOString(),
      from: range.from,
      to: range.to,
      timezone: str(row.timezone),
    },
    totals: { plays: num(totals.plays), minutes: round1(num(totals.minutes)), artists: num(totals.artists), tracks: num(totals.tracks) },
    topArtists: list(row.top_artists).map((a) => ({ artistId: str(a.artistId), name: str(a.name), plays: num(a.plays), minutes: round1(num(a.minutes)), tracks: num(a.tracks) })),
    topTracks: list(row.top_tracks).map((t) => ({ trackId: str(t.trackId), name: str(t.name), artist: str(t.artist), plays: num(t.plays), minutes: round1(num(t.minutes)) })),
    timeline,
    latest: list(row.latest).map((p) => {
      const minutes = numOrNull(p.minutes)
      return {
        playedAt: str(p.playedAt),
        local: str(p.local),
        track: str(p.track),
        artist: str(p.artist),
        album: strOrNull(p.album),
        minutes: minutes === null ? null : round1(minutes),
        source: str(p.source),
      }
    }),
    newSinceBuild: num(totals.new),
    builtAt: str(row.built_at),
  }
}
