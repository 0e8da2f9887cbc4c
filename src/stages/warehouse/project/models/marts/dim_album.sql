-- description: one row per played album (Spotify's album id, or a synthetic 'name:' key for an album known by name
-- only; 'unknown' for plays without one); release date, year and decade, type and tracks from Spotify
-- key: album_id
-- not_null: album_name, artist_name
-- depends_on: int_play_groups, int_artists, stg_spotify_albums
WITH played AS (
  SELECT album_id, album_name, artist_id, sum(plays) AS n
  FROM {{ ref('int_play_groups') }} WHERE album_id <> 'unknown' GROUP BY ALL
),
ranked AS (
  -- As in dim_track: each attribute from the row its own order puts first (a window spills; arg_max over a struct key
  -- held every key in memory).
  SELECT
    album_id,
    CASE WHEN row_number() OVER (PARTITION BY album_id ORDER BY album_name IS NULL, n DESC, album_name DESC) = 1 THEN album_name END AS album_name,
    CASE WHEN row_number() OVER (PARTITION BY album_id ORDER BY n DESC, artist_id DESC) = 1 THEN artist_id END AS artist_id
  FROM played
),
best AS (
  SELECT album_id, max(album_name) AS album_name, max(artist_id) AS artist_id FROM ranked GROUP BY album_id
),
albums AS (
  SELECT
    b.album_id,
    coalesce(sa.album_name, b.album_name, 'Unknown album') AS album_name,
    coalesce(sa.artist_name, a.artist_name) AS artist_name,
    sa.album_type,
    sa.release_date,
    sa.release_date_precision,
    sa.release_year,
    sa.total_tracks,
    sa.label,
    sa.popularity
  FROM best b
  JOIN {{ ref('int_artists') }} a ON a.artist_id = b.artist_id
  LEFT JOIN {{ ref('stg_spotify_albums') }} sa ON sa.album_id = b.album_id
  UNION ALL
  SELECT 'unknown', 'Unknown album', 'Unknown artist', NULL, NULL, NULL, NULL, NULL, NULL, NULL
)
SELECT
  album_id,
  album_name,
  artist_name,
  artist_name || ' - ' || album_name AS artist_album,
  album_type,
  release_date,
  release_date_precision,
  release_year::SMALLINT AS release_year,
  (release_year // 10 * 10)::SMALLINT AS release_decade,
  CASE WHEN release_year IS NOT NULL THEN (release_year // 10 * 10) || 's' END AS release_decade_label,
  total_tracks,
  label,
  popularity,
  CASE WHEN album_id = 'unknown' THEN 'unknown' WHEN album_id LIKE 'name:%' THEN 'synthetic' ELSE 'spotify' END AS album_key_type
FROM albums
ORDER BY album_id
