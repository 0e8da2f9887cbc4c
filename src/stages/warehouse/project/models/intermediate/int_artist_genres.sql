-- description: each artist's genres, ranked: MusicBrainz genres first (most votes first), then Spotify's (the genre
-- more artists share first); ties by genre name. A genre both give counts as MusicBrainz's.
-- depends_on: int_artists, stg_mbz_artist_genre, stg_spotify_artist_genre
-- materialized: table
WITH spotify_weight AS (
  SELECT genre, count(*) AS artists FROM {{ ref('stg_spotify_artist_genre') }} GROUP BY genre
),
candidates AS (
  SELECT a.artist_id, g.genre, 1 AS source_rank, g.votes AS weight
  FROM {{ ref('int_artists') }} a JOIN {{ ref('stg_mbz_artist_genre') }} g ON g.artist_mbid = a.artist_mbid
  UNION ALL
  SELECT g.artist_id, g.genre, 2, w.artists
  FROM {{ ref('stg_spotify_artist_genre') }} g
  SEMI JOIN {{ ref('int_artists') }} a ON a.artist_id = g.artist_id
  JOIN spotify_weight w ON w.genre = g.genre
),
best_source AS (
  SELECT * FROM candidates QUALIFY row_number() OVER (PARTITION BY artist_id, genre ORDER BY source_rank, weight DESC) = 1
)
SELECT
  artist_id,
  genre,
  CASE source_rank WHEN 1 THEN 'musicbrainz' ELSE 'spotify' END AS genre_source,
  row_number() OVER (PARTITION BY artist_id ORDER BY source_rank, weight DESC, genre)::INTEGER AS genre_rank
FROM best_source
