-- description: every play keeps its artist (a key, 'unknown' at worst) and every credited Spotify artist and every
-- play's artist key has a dim_artist row: no play or artist dropped on the way
-- depends_on: dim_artist, int_plays
-- sources: tracks_played
SELECT 'play lost on the way' AS problem, p.play_id AS id FROM {{ source('tracks_played') }} p ANTI JOIN {{ ref('int_plays') }} i ON i.play_id = p.play_id
UNION ALL
SELECT 'credited artist without a dim_artist row', c.artist_id FROM (
  SELECT DISTINCT unnest(CASE WHEN len(artist_ids) > 0 THEN artist_ids ELSE [artist_id] END) AS artist_id
  FROM {{ source('tracks_played') }} WHERE artist_id IS NOT NULL) c
ANTI JOIN {{ ref('dim_artist') }} d ON d.artist_id = c.artist_id
UNION ALL
SELECT 'play artist without a dim_artist row', k.artist_id FROM (SELECT DISTINCT artist_id FROM {{ ref('int_plays') }}) k
ANTI JOIN {{ ref('dim_artist') }} d ON d.artist_id = k.artist_id
