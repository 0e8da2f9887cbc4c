-- description: one row per played track (Spotify's track id, or a synthetic 'name:' key for a track known by name
-- only; 'unknown' for plays without one), with the artist and album its plays name most often
-- key: track_id
-- not_null: track_name, artist_id, album_id, album_name, artist_name, track_length
-- relationships: artist_id -> dim_artist.artist_id, album_id -> dim_album.album_id
-- depends_on: int_play_groups, int_artists, stg_spotify_tracks
WITH played AS (
  SELECT track_id, track_name, album_id, album_name, artist_id, track_isrc, duration_ms, sum(plays) AS n
  FROM {{ ref('int_play_groups') }} WHERE track_id <> 'unknown' GROUP BY ALL
),
ranked AS (
  -- Each attribute from the row its own order puts first: the plays' most frequent value, ties to the greatest. A
  -- window sorts and spills to disk; arg_max over a struct key held every key in memory (on the bench lake with four
  -- variants of each track, as an export and polling can give, it ran out of memory at 96 MB).
  SELECT
    track_id,
    CASE WHEN row_number() OVER (PARTITION BY track_id ORDER BY track_name IS NULL, n DESC, track_name DESC) = 1 THEN track_name END AS track_name,
    CASE WHEN row_number() OVER (PARTITION BY track_id ORDER BY n DESC, album_id DESC) = 1 THEN album_id END AS album_id,
    CASE WHEN row_number() OVER (PARTITION BY track_id ORDER BY album_name IS NULL, n DESC, album_id DESC, album_name DESC) = 1 THEN album_name END AS album_name,
    CASE WHEN row_number() OVER (PARTITION BY track_id ORDER BY n DESC, artist_id DESC) = 1 THEN artist_id END AS artist_id,
    CASE WHEN row_number() OVER (PARTITION BY track_id ORDER BY track_isrc IS NULL, n DESC, track_isrc DESC) = 1 THEN track_isrc END AS track_isrc,
    CASE WHEN row_number() OVER (PARTITION BY track_id ORDER BY duration_ms IS NULL, n DESC, duration_ms DESC) = 1 THEN duration_ms END AS duration_ms
  FROM played
),
best AS (
  SELECT track_id, max(track_name) AS track_name, max(album_id) AS album_id, max(album_name) AS album_name,
    max(artist_id) AS artist_id, max(track_isrc) AS track_isrc, max(duration_ms) AS duration_ms
  FROM ranked GROUP BY track_id
),
tracks AS (
  SELECT
    b.track_id,
    coalesce(st.track_name, b.track_name, 'Unknown track') AS track_name,
    b.artist_id,
    b.album_id,
    coalesce(CASE WHEN st.album_id = b.album_id THEN st.album_name END, b.album_name, 'Unknown album') AS album_name,
    coalesce(st.track_isrc, b.track_isrc) AS isrc,
    coalesce(st.duration_ms, b.duration_ms) AS duration_ms,
    st.explicit
  FROM best b LEFT JOIN {{ ref('stg_spotify_tracks') }} st ON st.track_id = b.track_id
  UNION ALL
  SELECT 'unknown', 'Unknown track', 'unknown', 'unknown', 'Unknown album', NULL, NULL, NULL
),
timed AS (
  SELECT *, round(duration_ms / 1000.0)::INTEGER AS seconds FROM tracks
)
SELECT
  t.track_id,
  t.track_name,
  t.artist_id,
  a.artist_name,
  a.artist_name || ' - ' || t.track_name AS artist_track,
  t.album_id,
  t.album_name,
  t.isrc,
  t.explicit,
  t.duration_ms,
  t.seconds AS duration_seconds,
  round(t.duration_ms / 60000.0, 2) AS duration_minutes,
  CASE WHEN t.seconds IS NOT NULL THEN printf('%d:%02d', t.seconds // 60, t.seconds % 60) END AS duration_label,
  CASE WHEN t.seconds IS NULL THEN 'Unknown' WHEN t.seconds < 30 THEN 'Very Short' WHEN t.seconds < 180 THEN 'Short'
    WHEN t.seconds < 300 THEN 'Average' WHEN t.seconds < 420 THEN 'Pretty Long' WHEN t.seconds < 600 THEN 'Long'
    ELSE 'Possibly Too Long' END AS track_length,
  (CASE WHEN t.seconds IS NULL THEN 0 WHEN t.seconds < 30 THEN 1 WHEN t.seconds < 180 THEN 2 WHEN t.seconds < 300 THEN 3
    WHEN t.seconds < 420 THEN 4 WHEN t.seconds < 600 THEN 5 ELSE 6 END)::TINYINT AS track_length_sort,
  CASE WHEN t.track_id = 'unknown' THEN 'unknown' WHEN t.track_id LIKE 'name:%' THEN 'synthetic' ELSE 'spotify' END AS track_key_type
FROM timed t JOIN {{ ref('int_artists') }} a ON a.artist_id = t.artist_id
ORDER BY t.track_id
