import { AppError, invalidField } from '../errors.ts'
import type { SqlParams } from '../lake/rows.ts'
import { dateRange, isoSql, list, num, numOrNull, partsSql, readParts, round1, str, strOrNull, struct, type StatementRunner, type WarehouseQuery } from './query.ts'
import type { Recent, RecentParams } from './schemas.ts'
import { withSnapshot } from './snapshot.ts'
import { fillBuckets, type Bucket } from './timeline.ts'

export interface RecentDeps {
  query: WarehouseQuery
  /** the lake's tracks_played parquet file, and a folder on its file system for a snapshot of it */
  plays: { file: string, tmpDir: string }
  now: () => Date
  /** default 25,000 */
  maxPlaysAfterBuild?: number
}

const latestPlays = 50
const defaultHours = 24

/**
 * The rows of `table` whose `key` is among those of `few` (a CTE of a few rows), to join those few rows to. A plain
 * join would build its hash table from the whole table (100,000 tracks) although only a handful of rows probe it.
 */
const only = (table: string, key: string, few: string): string => `(SELECT * FROM ${table} WHERE ${key} IN (SELECT ${key} FROM ${few}))`

/**
 * More plays than this in ingestions the build did not read whole (a big import since the build) are not merged on the
 * fly, they would not fit the reader's memory: build first. Days of polling add a few hundred.
 */
const defaultMaxPlaysAfterBuild = 25_000

/** 25000 as 25,000, without Intl (its locale data would stay resident in the service). */
const thousands = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',')

/**
 * The ingestions the build did not read whole (rpt_ingests counts what it read of each; an ingestion's count only
 * grows), with the lake's count of each; then the lake's plays of those ingestions in the window, copied into a table
 * of the query's connection (the query drops those the warehouse holds by id), so the query itself names no file. One
 * pass over the file's ingestion column, and a second over the row groups of those ingestions only: none when the
 * warehouse has read everything, nor when more than `maxBehind` plays are new (the report answers WAREHOUSE_BEHIND).
 *
 * DuckDB plans a statement with parameters again on every run, with their values (however they are typed: the values
 * prune row groups); answering in parts (partsSql) keeps that planning to a few tens of milliseconds. Returns how many
 * plays the changed ingestions hold (the lake's count): the plays the warehouse is behind by.
 */
async function fillCandidates (run: StatementRunner, params: SqlParams & { plays: string }, maxBehind: number): Promise<number> {
  await run('CREATE TEMP TABLE IF NOT EXISTS recent_changed (ingested_at TIMESTAMPTZ, plays BIGINT)')
  await run('DELETE FROM recent_changed')
  const changed = await run(`INSERT INTO recent_changed
    SELECT l.ingested_at, l.plays FROM (SELECT ingested_at, count(*) AS plays FROM read_parquet($plays) GROUP BY ingested_at) l
    LEFT JOIN rpt_ingests w USING (ingested_at)
    WHERE w.plays IS DISTINCT FROM l.plays
    RETURNING ingested_at, plays`, { plays: params.plays })
  await run(`CREATE TEMP TABLE IF NOT EXISTS recent_candidates (play_id VARCHAR, played_at TIMESTAMPTZ, local TIMESTAMP,
    track_id VARCHAR, artist_id VARCHAR, album_id VARCHAR, ms_played BIGINT, duration_ms BIGINT, source VARCHAR,
    track_name VARCHAR, artist_name VARCHAR, album_name VARCHAR)`)
  await run('DELETE FROM recent_candidates')
  const behind = changed.reduce((sum, row) => sum + num(row.plays), 0)
  // ISO instants (to the millisecond) sort as they happened; a play without an ingestion time is never a candidate.
  const instants = changed.map((row) => row.ingested_at).filter((at) => typeof at === 'string').sort()
  if (behind === 0 || behind > maxBehind || instants.length === 0) return behind
  // The changed ingestions' first and last instants, as constants beside the exact match, let the scan skip the row
  // groups outside them (the file keeps plays in arrival order): joined alone, the match read every column of every
  // play (0.6 s for 19,000 new of 1,000,000).
  await run(`INSERT INTO recent_candidates
    SELECT p.play_id, p.played_at, timezone(b.timezone, p.played_at), p.track_id, p.artist_id, p.album_id,
      p.ms_played, p.duration_ms, p.source, p.track_name, p.artist_name, p.album_name
    FROM read_parquet($plays) p
    CROSS JOIN (SELECT timezone FROM meta.build) b
    WHERE p.counts_as_play AND p.ingested_at IN (SELECT ingested_at FROM recent_changed)
      AND p.ingested_at BETWEEN $firstIngested::TIMESTAMPTZ - INTERVAL 1 MILLISECOND AND $lastIngested::TIMESTAMPTZ + INTERVAL 1 MILLISECOND
      AND p.played_at >= $start::TIMESTAMPTZ AND p.played_at < $end::TIMESTAMPTZ
      AND timezone(b.timezone, p.played_at)::DATE BETWEEN $from AND $to`, { ...params, firstIngested: instants[0]!, lastIngested: instants.at(-1)! })
  return behind
}

/**
 * The plays of a window: the warehouse's, plus the lake's plays that arrived after the build (the warehouse is
 * rebuilt daily; the last 24 hours should not wait for it). A play new to the warehouse has what its lake row says:
 * its Spotify ids (names and masks from the dimensions when the warehouse knows them), else its names; its artist is
 * counted by Spotify id, else by case-folded name, until the next build resolves it.
 *
 * The warehouse's plays are grouped by integer keys (rpt_plays); only the top rows, and the rows new plays touch, take
 * their ids and add the new plays. A lake play of an ingestion the build did not read whole is new unless the
 * warehouse holds its id: the ids are looked up for those few candidates, not compared across a million.
 * Names are joined after grouping: only the top rows and the latest plays need them.
 */
const recentSql = (unit: 'hour' | 'day'): string => `
WITH build AS (SELECT built_at, timezone FROM meta.build),
old AS NOT MATERIALIZED (
  SELECT date, hour, played_at, artist_key, track_key, minutes FROM rpt_plays
  WHERE played_at >= $start::TIMESTAMPTZ AND played_at < $end::TIMESTAMPTZ AND date BETWEEN $from AND $to
),
candidates AS (SELECT * FROM temp.recent_candidates),
new AS MATERIALIZED (
  SELECT c.play_id, c.played_at, c.local,
    coalesce(c.track_id, 'name:' || lower(trim(coalesce(c.artist_name, ''))) || ' - ' || lower(trim(coalesce(c.track_name, '')))) AS track_id,
    coalesce(c.artist_id, 'name:' || lower(trim(c.artist_name)), 'unknown') AS artist_id,
    c.album_id,
    coalesce(c.ms_played, c.duration_ms, t.duration_ms) / 60000.0 AS minutes,
    c.source, c.track_name, c.artist_name, c.album_name
  FROM candidates c
  ANTI JOIN rpt_plays f ON f.play_id = c.play_id
  LEFT JOIN ${only('dim_track', 'track_id', 'candidates')} t ON t.track_id = c.track_id
),
old_artists AS MATERIALIZED (
  SELECT artist_key, count(*) AS plays, coalesce(sum(minutes), 0) AS minutes FROM old GROUP BY artist_key
),
old_tracks AS MATERIALIZED (
  SELECT track_key, count(*) AS plays, coalesce(sum(minutes), 0) AS minutes FROM old GROUP BY track_key
),
new_keyed AS MATERIALIZED (
  SELECT n.*, a.artist_key, t.track_key FROM new n
  LEFT JOIN ${only('rpt_artists', 'artist_id', 'new')} a ON a.artist_id = n.artist_id
  LEFT JOIN ${only('rpt_tracks', 'track_id', 'new')} t ON t.track_id = n.track_id
),
-- The top rows can only be the warehouse's top rows (new plays only add) or rows new plays touch.
artist_candidates AS (
  SELECT a.artist_id, a.artist_key
  FROM (SELECT artist_key FROM old_artists ORDER BY minutes DESC, plays DESC, artist_key LIMIT $limit) o JOIN rpt_artists a USING (artist_key)
  UNION
  SELECT artist_id, artist_key FROM new_keyed
),
by_artist AS MATERIALIZED (
  SELECT c.artist_id, coalesce(o.plays, 0) + coalesce(n.plays, 0) AS plays, coalesce(o.minutes, 0) + coalesce(n.minutes, 0) AS minutes, n.name
  FROM artist_candidates c
  LEFT JOIN ${only('old_artists', 'artist_key', 'artist_candidates')} o USING (artist_key)
  LEFT JOIN (
    SELECT artist_id, count(*) AS plays, coalesce(sum(minutes), 0) AS minutes,
      arg_max(artist_name, played_at) FILTER (WHERE artist_name IS NOT NULL) AS name
    FROM new GROUP BY artist_id
  ) n USING (artist_id)
  ORDER BY minutes DESC, plays DESC, artist_id LIMIT $limit
),
-- A track by its key where the warehouse knows it, else by its id: no id lookup for the warehouse's plays.
artist_tracks AS (
  SELECT artist_id, count(DISTINCT track) AS tracks FROM (
    SELECT k.artist_id, o.track_key::VARCHAR AS track FROM old o JOIN ${only('rpt_artists', 'artist_id', 'by_artist')} k USING (artist_key)
    UNION ALL
    SELECT artist_id, coalesce(track_key::VARCHAR, 'id:' || track_id) FROM new_keyed WHERE artist_id IN (SELECT artist_id FROM by_artist)
  ) GROUP BY artist_id
),
-- A track the warehouse knows takes its artist from dim_track; only a track new to it needs its plays' artist.
track_candidates AS (
  SELECT t.track_id, t.track_key
  FROM (SELECT track_key FROM old_tracks ORDER BY minutes DESC, plays DESC, track_key LIMIT $limit) o JOIN rpt_tracks t USING (track_key)
  UNION
  SELECT track_id, track_key FROM new_keyed
),
by_track AS (
  SELECT c.track_id, coalesce(o.plays, 0) + coalesce(n.plays, 0) AS plays, coalesce(o.minutes, 0) + coalesce(n.minutes, 0) AS minutes,
    n.name, n.artist_id, n.artist_name
  FROM track_candidates c
  LEFT JOIN ${only('old_tracks', 'track_key', 'track_candidates')} o USING (track_key)
  LEFT JOIN (
    SELECT track_id, count(*) AS plays, coalesce(sum(minutes), 0) AS minutes,
      arg_max(track_name, played_at) FILTER (WHERE track_name IS NOT NULL) AS name,
      arg_max(artist_id, played_at) AS artist_id,
      arg_max(artist_name, played_at) FILTER (WHERE artist_name IS NOT NULL) AS artist_name
    FROM new GROUP BY track_id
  ) n USING (track_id)
  ORDER BY minutes DESC, plays DESC, track_id LIMIT $limit
),
buckets AS MATERIALIZED (
  SELECT b, sum(n) AS n, sum(m) AS m FROM (
    SELECT ${unit === 'hour' ? "strftime(date, '%Y-%m-%d') || ' ' || lpad(hour::VARCHAR, 2, '0') || ':00'" : "strftime(date, '%Y-%m-%d')"} AS b, n, m
    FROM (SELECT date, ${unit === 'hour' ? 'hour' : '0 AS hour'}, count(*) AS n, coalesce(sum(minutes), 0) AS m FROM old GROUP BY 1, 2)
    UNION ALL
    SELECT ${unit === 'hour' ? "strftime(date_trunc('hour', local), '%Y-%m-%d %H:00')" : "strftime(local, '%Y-%m-%d')"}, count(*), coalesce(sum(minutes), 0)
    FROM new GROUP BY 1
  ) GROUP BY b
),
latest AS (
  SELECT * FROM (
    SELECT f.play_id, f.played_at, f.played_at_local AS local, f.track_id, f.artist_id, f.album_id, f.minutes_played AS minutes,
      f.source, NULL::VARCHAR AS track_name, NULL::VARCHAR AS artist_name, NULL::VARCHAR AS album_name
    FROM fact_track_played f
    WHERE f.played_at >= $start::TIMESTAMPTZ AND f.played_at < $end::TIMESTAMPTZ AND f.date BETWEEN $from AND $to
    ORDER BY f.played_at DESC, f.play_id LIMIT ${latestPlays}
  )
  UNION ALL BY NAME
  SELECT play_id, played_at, local, track_id, artist_id, album_id, minutes, source, track_name, artist_name, album_name FROM new
  ORDER BY played_at DESC, play_id LIMIT ${latestPlays}
)
${partsSql({
  build: `(SELECT struct_pack(
      builtAt := ${isoSql('built_at')}, timezone := timezone,
      windowStart := strftime(timezone(timezone, $start::TIMESTAMPTZ), '%Y-%m-%d %H:00'),
      windowEnd := strftime(timezone(timezone, $end::TIMESTAMPTZ - INTERVAL 1 MILLISECOND), '%Y-%m-%d %H:00'))
    FROM build)`,
  // The totals add up: the warehouse's artists and tracks in the window, then those only new plays have.
  old: '(SELECT struct_pack(artists := count(*), plays := coalesce(sum(plays), 0), minutes := coalesce(sum(minutes), 0)) FROM old_artists)',
  old_tracks: '(SELECT count(*) FROM old_tracks)',
  new: '(SELECT struct_pack(plays := count(*), minutes := coalesce(sum(minutes), 0)) FROM new)',
  new_artists: '(SELECT count(DISTINCT artist_id) FROM new_keyed ANTI JOIN old_artists USING (artist_key))',
  new_tracks: '(SELECT count(DISTINCT track_id) FROM new_keyed ANTI JOIN old_tracks USING (track_key))',
  span: '(SELECT struct_pack(first := min(left(b, 10)), last := max(left(b, 10))) FROM buckets)',
  top_artists: `(SELECT list(struct_pack(
      artistId := g.artist_id, name := coalesce(a.artist_name, g.name, 'Unknown artist'), plays := g.plays,
      minutes := g.minutes, tracks := coalesce(c.tracks, 0)) ORDER BY g.minutes DESC, g.plays DESC, g.artist_id)
    FROM by_artist g LEFT JOIN artist_tracks c USING (artist_id) LEFT JOIN ${only('dim_artist', 'artist_id', 'by_artist')} a ON a.artist_id = g.artist_id)`,
  top_tracks: `(SELECT list(struct_pack(
      trackId := g.track_id, name := coalesce(t.track_name, g.name, 'Unknown track'),
      artist := coalesce(t.artist_name, a.artist_name, g.artist_name, 'Unknown artist'), plays := g.plays,
      minutes := g.minutes) ORDER BY g.minutes DESC, g.plays DESC, g.track_id)
    FROM by_track g
    LEFT JOIN ${only('dim_track', 'track_id', 'by_track')} t ON t.track_id = g.track_id
    LEFT JOIN ${only('dim_artist', 'artist_id', 'by_track')} a ON a.artist_id = g.artist_id)`,
  buckets: '(SELECT list(struct_pack(start := b, plays := n, minutes := m)) FROM buckets)',
  latest: `(SELECT list(struct_pack(
      playedAt := ${isoSql('l.played_at')}, local := strftime(l.local, '%Y-%m-%d %H:%M'),
      track := coalesce(t.track_name, l.track_name, 'Unknown track'),
      artist := coalesce(a.artist_name, l.artist_name, 'Unknown artist'),
      album := coalesce(l.album_name, CASE WHEN al.album_id <> 'unknown' THEN al.album_name END),
      minutes := l.minutes, source := l.source) ORDER BY l.played_at DESC, l.play_id)
    FROM latest l
    LEFT JOIN ${only('dim_track', 'track_id', 'latest')} t ON t.track_id = l.track_id
    LEFT JOIN ${only('dim_artist', 'artist_id', 'latest')} a ON a.artist_id = l.artist_id
    LEFT JOIN ${only('dim_album', 'album_id', 'latest')} al ON al.album_id = l.album_id)`,
})}
`

/** The last `hours` hours up to now (default 24), or the local dates from–to. */
export async function recentReport (deps: RecentDeps, query: RecentParams): Promise<Recent> {
  const byDates = query.from !== undefined || query.to !== undefined
  if (byDates && query.hours !== undefined) throw invalidField('query.hours', 'cannot be combined with query.from or query.to')
  const range = dateRange(query)
  const hours = byDates ? null : query.hours ?? defaultHours
  const end = deps.now()
  const start = hours === null ? null : new Date(end.getTime() - hours * 3_600_000)
  const window = { start: start?.toISOString() ?? '-infinity', end: hours === null ? 'infinity' : end.toISOString(), ...range.params }
  const maxBehind = deps.maxPlaysAfterBuild ?? defaultMaxPlaysAfterBuild
  let behind = 0
  const rows = await withSnapshot(deps.plays.file, deps.plays.tmpDir, (plays) =>
    deps.query(recentSql(hours === null ? 'day' : 'hour'), { ...window, limit: query.limit }, { before: async (run) => { behind = await fillCandidates(run, { ...window, plays }, maxBehind) } }))
  const row = readParts(rows)
  if (behind > maxBehind) {
    throw new AppError('WAREHOUSE_BEHIND', `the lake holds ${thousands(behind)} plays from ingestions the warehouse has not read whole, more than this report adds on the fly (${thousands(maxBehind)}): POST /v1/warehouse/build (or the next Daily ETL) brings it up to date`)
  }
  const build = struct(row.build)
  const old = struct(row.old)
  const fresh = struct(row.new)
  const span = struct(row.span)
  const buckets: Bucket[] = list(row.buckets).map((b) => ({ start: str(b.start), plays: num(b.plays), minutes: num(b.minutes) }))
  const timeline = hours === null
    ? fillBuckets(buckets, 'day', range.from ?? strOrNull(span.first), range.to ?? strOrNull(span.last))
    : fillBuckets(buckets, 'hour', str(build.windowStart), str(build.windowEnd))
  return {
    window: {
      kind: hours === null ? 'dates' : 'rolling',
      hours,
      start: start?.toISOString() ?? null,
      end: hours === null ? null : end.toISOString(),
      from: range.from,
      to: range.to,
      timezone: str(build.timezone),
    },
    totals: {
      plays: num(old.plays) + num(fresh.plays),
      minutes: round1(num(old.minutes) + num(fresh.minutes)),
      artists: num(old.artists) + num(row.new_artists),
      tracks: num(row.old_tracks) + num(row.new_tracks),
    },
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
    newSinceBuild: num(fresh.plays),
    builtAt: str(build.builtAt),
  }
}
