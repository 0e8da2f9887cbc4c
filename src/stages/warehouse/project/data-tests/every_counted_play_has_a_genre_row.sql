-- description: every play in fact_track_played has at least one fact_artist_genre row ('no genre defined' at worst):
-- its artist is in bridge_artist_genre
-- depends_on: fact_track_played, bridge_artist_genre
SELECT f.artist_id, count(*) AS plays FROM {{ ref('fact_track_played') }} f
ANTI JOIN {{ ref('bridge_artist_genre') }} b ON b.artist_id = f.artist_id
GROUP BY f.artist_id
