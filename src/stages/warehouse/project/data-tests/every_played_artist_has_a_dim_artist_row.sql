-- description: no play and no artist dropped on the way: the plays grouped for the dimensions add up to every play of
-- tracks_played, and every play's artist key and every credited Spotify artist has a dim_artist row
-- depends_on: dim_artist, int_play_groups
-- sources: tracks_played
SELECT 'plays lost on the way' AS problem, (SELECT count(*) FROM {{ source('tracks_played') }}) - (SELECT sum(plays) FROM {{ ref('int_play_groups') }}) AS id
WHERE (SELECT count(*) FROM {{ source('tracks_played') }}) <> (SELECT coalesce(sum(plays), 0) FROM {{ ref('int_play_groups') }})
UNION ALL
SELECT 'credited artist without a dim_artist row', c.artist_id FROM (
  SELECT DISTINCT unnest(CASE WHEN len(artist_ids) > 0 THEN artist_ids ELSE [artist_id] END) AS artist_id
  FROM {{ source('tracks_played') }} WHERE artist_id IS NOT NULL) c
ANTI JOIN {{ ref('dim_artist') }} d ON d.artist_id = c.artist_id
UNION ALL
SELECT 'play artist without a dim_artist row', k.artist_id FROM (SELECT DISTINCT artist_id FROM {{ ref('int_play_groups') }}) k
ANTI JOIN {{ ref('dim_artist') }} d ON d.artist_id = k.artist_id
