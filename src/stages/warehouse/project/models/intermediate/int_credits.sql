-- description: artists credited beside the primary artist (features), with the names the plays give them
-- depends_on: stg_tracks_played
-- materialized: table
SELECT artist_id, name, count(*) AS plays
FROM (
  SELECT unnest(artist_ids) AS artist_id, unnest(artist_names) AS name
  FROM {{ ref('stg_tracks_played') }} WHERE len(artist_ids) > 1
)
WHERE artist_id IS NOT NULL
GROUP BY ALL
