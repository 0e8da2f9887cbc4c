-- description: one row per genre of a played artist, and 'no genre defined'. Plays and minutes count the plays of
-- artists having the genre (as fact_artist_genre counts them); rank 1 is the most played; groups 1 (most played) to
-- 5 (least played) are whole numbers (ntile), by plays and by minutes; 'no genre defined' has no rank or group. The
-- top artist is the most played with the genre, the most popular the one with the highest Spotify popularity.
-- key: genre
-- not_null: plays, minutes, artists
-- depends_on: bridge_artist_genre, int_artists, fact_track_played
WITH genres AS (
  SELECT genre, count(*) AS artists FROM {{ ref('bridge_artist_genre') }} GROUP BY genre
),
artist_plays AS (
  SELECT artist_id, count(*) AS plays, sum(minutes_played) AS minutes FROM {{ ref('fact_track_played') }} GROUP BY artist_id
),
by_artist AS (
  SELECT b.genre, b.artist_id, p.plays, p.minutes FROM {{ ref('bridge_artist_genre') }} b JOIN artist_plays p ON p.artist_id = b.artist_id
),
played AS (
  SELECT genre, sum(plays) AS plays, coalesce(sum(minutes), 0) AS minutes FROM by_artist GROUP BY genre
),
top_artist AS (
  SELECT genre, artist_id FROM by_artist
  QUALIFY row_number() OVER (PARTITION BY genre ORDER BY plays DESC, artist_id) = 1
),
popular_artist AS (
  SELECT g.genre, a.artist_name FROM {{ ref('bridge_artist_genre') }} g JOIN {{ ref('int_artists') }} a ON a.artist_id = g.artist_id
  WHERE a.popularity IS NOT NULL
  QUALIFY row_number() OVER (PARTITION BY g.genre ORDER BY a.popularity DESC, a.artist_name, a.artist_id) = 1
),
measured AS (
  SELECT g.genre, g.artists, coalesce(p.plays, 0) AS plays, round(coalesce(p.minutes, 0), 2) AS minutes,
    g.genre <> 'no genre defined' AS ranked
  FROM genres g LEFT JOIN played p ON p.genre = g.genre
),
ranked AS (
  SELECT
    *,
    CASE WHEN ranked THEN row_number() OVER (PARTITION BY ranked ORDER BY plays DESC, minutes DESC, genre) END AS plays_rank,
    CASE WHEN ranked THEN ntile(5) OVER (PARTITION BY ranked ORDER BY plays DESC, minutes DESC, genre) END AS plays_group,
    CASE WHEN ranked THEN row_number() OVER (PARTITION BY ranked ORDER BY minutes DESC, plays DESC, genre) END AS minutes_rank,
    CASE WHEN ranked THEN ntile(5) OVER (PARTITION BY ranked ORDER BY minutes DESC, plays DESC, genre) END AS minutes_group
  FROM measured
)
SELECT
  r.genre,
  r.plays,
  r.minutes,
  r.artists,
  r.plays_rank::INTEGER AS plays_rank,
  r.plays_group::TINYINT AS plays_group,
  CASE r.plays_group WHEN 1 THEN 'Group 1 (Most Played Genres)' WHEN 5 THEN 'Group 5 (Least Played Genres)'
    ELSE 'Group ' || r.plays_group END AS plays_group_label,
  r.minutes_rank::INTEGER AS minutes_rank,
  r.minutes_group::TINYINT AS minutes_group,
  CASE r.minutes_group WHEN 1 THEN 'Group 1 (Most Played Genres)' WHEN 5 THEN 'Group 5 (Least Played Genres)'
    ELSE 'Group ' || r.minutes_group END AS minutes_group_label,
  t.artist_id AS top_artist_id,
  a.artist_name AS top_artist_name,
  p.artist_name AS most_popular_artist_name
FROM ranked r
LEFT JOIN top_artist t ON t.genre = r.genre
LEFT JOIN {{ ref('int_artists') }} a ON a.artist_id = t.artist_id
LEFT JOIN popular_artist p ON p.genre = r.genre
ORDER BY r.plays_rank NULLS LAST, r.genre
