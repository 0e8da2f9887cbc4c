-- description: the Spotify artist of each artist name (norm_name) that plays without a Spotify artist id carry, where
-- exactly one Spotify artist has that name (a lookup of int_plays)
-- depends_on: stg_tracks_played, stg_spotify_artists, stg_spotify_tracks
-- materialized: table
WITH wanted AS (
  SELECT DISTINCT norm_name(artist_name) AS name FROM {{ ref('stg_tracks_played') }} WHERE artist_id IS NULL AND artist_name IS NOT NULL
),
spotify_names AS (
  SELECT artist_id, norm_name(artist_name) AS name FROM {{ ref('stg_spotify_artists') }}
  UNION ALL
  SELECT artist_id, norm_name(artist_name) FROM {{ ref('stg_spotify_tracks') }} WHERE artist_id IS NOT NULL
)
SELECT s.name, min(s.artist_id) AS artist_id FROM spotify_names s SEMI JOIN wanted w ON w.name = s.name
GROUP BY s.name HAVING count(DISTINCT s.artist_id) = 1
