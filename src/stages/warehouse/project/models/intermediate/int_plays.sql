-- description: every play with the natural keys of its track, album and artist, its local date and minute of day
-- and the minutes played. A play without a Spotify id takes one found for it: its track by ISRC, its artist through
-- that track, its MBID (mbz_artist_match) or its name (when exactly one Spotify artist has that name); else a
-- synthetic key 'name:<md5>' of its names, and 'unknown' when it has no name at all. A view, read once by
-- fact_track_played and once by int_play_groups. Its lookups are tables built before it: inside one query, the
-- hash tables that found what the plays ask for stayed allocated while every play flowed through the joins, and
-- int_play_groups needed over 72 MB of DuckDB memory on the bench lake (under 64 MB now).
-- depends_on: stg_tracks_played, int_track_by_isrc, int_artist_by_mbid, int_artist_by_name
WITH plays AS (
  -- What to look up, for plays lacking a Spotify id only. The lookups hold only what these plays ask for and every
  -- join is a plain equi-join, so the hash tables stay small.
  SELECT
    *,
    CASE WHEN track_id IS NULL THEN track_isrc END AS lookup_isrc,
    CASE WHEN artist_id IS NULL THEN artist_mbid END AS lookup_mbid,
    -- norm_name of null where not needed (see keyed below)
    norm_name(CASE WHEN artist_id IS NULL THEN artist_name END) AS lookup_name
  FROM {{ ref('stg_tracks_played') }}
),
resolved AS (
  SELECT
    p.*,
    coalesce(p.track_id, i.track_id) AS spotify_track_id,
    coalesce(p.artist_id, i.artist_id, m.artist_id, n.artist_id) AS spotify_artist_id,
    CASE WHEN p.artist_id IS NOT NULL THEN 'spotify' WHEN i.artist_id IS NOT NULL THEN 'isrc'
      WHEN m.artist_id IS NOT NULL THEN 'mbid' WHEN n.artist_id IS NOT NULL THEN 'name'
      WHEN p.lookup_name IS NOT NULL THEN 'synthetic' ELSE 'unknown' END AS artist_key_source,
    coalesce(p.album_id, CASE WHEN p.artist_id IS NULL THEN i.album_id END) AS spotify_album_id,
    coalesce(p.track_name, i.track_name) AS resolved_track_name,
    coalesce(p.album_name, i.album_name) AS resolved_album_name,
    coalesce(p.duration_ms, i.duration_ms) AS resolved_duration_ms
  FROM plays p
  LEFT JOIN {{ ref('int_track_by_isrc') }} i ON i.track_isrc = p.lookup_isrc
  LEFT JOIN {{ ref('int_artist_by_mbid') }} m ON m.mbid = p.lookup_mbid
  LEFT JOIN {{ ref('int_artist_by_name') }} n ON n.name = p.lookup_name
),
keyed AS (
  -- The names a synthetic key is made of, null where a Spotify id makes the key: DuckDB lifts a normal form used twice
  -- out of the CASE that reads it and runs it on every play, and a null costs its regular expression nothing.
  SELECT
    *,
    coalesce(spotify_artist_id, CASE WHEN lookup_name IS NOT NULL THEN name_key([lookup_name]) END, 'unknown') AS artist_key,
    norm_name(CASE WHEN spotify_track_id IS NULL THEN resolved_track_name END) AS track_name_for_key,
    norm_name(CASE WHEN spotify_album_id IS NULL THEN resolved_album_name END) AS album_name_for_key
  FROM resolved
)
SELECT
  play_id,
  user_id,
  source,
  played_at,
  played_at_local,
  played_at_local::DATE AS date,
  (hour(played_at_local) * 60 + minute(played_at_local))::SMALLINT AS minute_of_day,
  counts_as_play,
  ms_played,
  resolved_duration_ms AS duration_ms,
  coalesce(ms_played, resolved_duration_ms) / 60000.0 AS minutes_played,
  coalesce(spotify_track_id,
    CASE WHEN track_name_for_key IS NOT NULL THEN name_key([artist_key, track_name_for_key]) END,
    'unknown') AS track_id,
  coalesce(spotify_album_id,
    CASE WHEN album_name_for_key IS NOT NULL THEN name_key([artist_key, album_name_for_key]) END,
    'unknown') AS album_id,
  artist_key AS artist_id,
  artist_key_source,
  resolved_track_name AS track_name,
  resolved_album_name AS album_name,
  artist_name,
  track_isrc,
  artist_mbid,
  skipped,
  shuffle
FROM keyed
