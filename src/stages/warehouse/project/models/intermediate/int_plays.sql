-- description: every play with the natural keys of its track, album and artist, its local date and minute of day
-- and the minutes played. A play without a Spotify id takes one found for it: its track by ISRC, its artist through
-- the track, its MBID (mbz_artist_match) or its name (when exactly one Spotify artist has that name); else a synthetic
-- key 'name:<md5>' of its names, and 'unknown' when it has no name at all.
-- depends_on: stg_tracks_played, stg_spotify_tracks, stg_spotify_artists, stg_mbz_artist_match
-- materialized: table
WITH track_by_isrc AS (
  SELECT track_isrc, min(track_id) AS track_id FROM {{ ref('stg_spotify_tracks') }}
  WHERE track_isrc IS NOT NULL GROUP BY track_isrc HAVING count(DISTINCT track_id) = 1
),
artist_by_mbid AS (
  SELECT mbid, min(spotify_id) AS artist_id FROM {{ ref('stg_mbz_artist_match') }} GROUP BY mbid HAVING count(*) = 1
),
unresolved_names AS (
  SELECT DISTINCT norm_name(artist_name) AS name FROM {{ ref('stg_tracks_played') }} WHERE artist_id IS NULL
),
spotify_names AS (
  SELECT artist_id, norm_name(artist_name) AS name FROM {{ ref('stg_spotify_artists') }}
  UNION
  SELECT artist_id, norm_name(artist_name) FROM {{ ref('stg_spotify_tracks') }} WHERE artist_id IS NOT NULL
),
artist_by_name AS (
  SELECT s.name, min(s.artist_id) AS artist_id FROM spotify_names s SEMI JOIN unresolved_names u ON u.name = s.name
  GROUP BY s.name HAVING count(DISTINCT s.artist_id) = 1
),
resolved AS (
  SELECT
    p.*,
    coalesce(p.track_id, i.track_id) AS spotify_track_id,
    coalesce(p.artist_id, st.artist_id, m.artist_id, n.artist_id) AS spotify_artist_id,
    CASE WHEN p.artist_id IS NOT NULL THEN 'spotify' WHEN st.artist_id IS NOT NULL THEN 'isrc'
      WHEN m.artist_id IS NOT NULL THEN 'mbid' WHEN n.artist_id IS NOT NULL THEN 'name'
      WHEN norm_name(p.artist_name) IS NOT NULL THEN 'synthetic' ELSE 'unknown' END AS artist_key_source,
    coalesce(p.album_id, st.album_id) AS spotify_album_id,
    coalesce(p.track_name, st.track_name) AS resolved_track_name,
    coalesce(p.album_name, st.album_name) AS resolved_album_name,
    coalesce(p.duration_ms, st.duration_ms) AS resolved_duration_ms
  FROM {{ ref('stg_tracks_played') }} p
  LEFT JOIN track_by_isrc i ON p.track_id IS NULL AND i.track_isrc = p.track_isrc
  LEFT JOIN {{ ref('stg_spotify_tracks') }} st ON p.track_id IS NULL AND p.artist_id IS NULL AND st.track_id = i.track_id
  LEFT JOIN artist_by_mbid m ON p.artist_id IS NULL AND m.mbid = p.artist_mbid
  LEFT JOIN artist_by_name n ON p.artist_id IS NULL AND n.name = norm_name(p.artist_name)
),
keyed AS (
  SELECT
    *,
    coalesce(spotify_artist_id, CASE WHEN norm_name(artist_name) IS NOT NULL THEN name_key([norm_name(artist_name)]) END, 'unknown') AS artist_key
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
    CASE WHEN norm_name(resolved_track_name) IS NOT NULL THEN name_key([artist_key, norm_name(resolved_track_name)]) END,
    'unknown') AS track_id,
  coalesce(spotify_album_id,
    CASE WHEN norm_name(resolved_album_name) IS NOT NULL THEN name_key([artist_key, norm_name(resolved_album_name)]) END,
    'unknown') AS album_id,
  artist_key AS artist_id,
  artist_key_source,
  resolved_track_name AS track_name,
  resolved_album_name AS album_name,
  artist_name,
  track_isrc,
  artist_mbid,
  skipped,
  shuffle,
  offline,
  platform,
  conn_country,
  context_type
FROM keyed
