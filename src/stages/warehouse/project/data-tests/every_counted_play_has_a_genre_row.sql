-- description: every play in fact_track_played has at least one fact_artist_genre row ('no genre defined' at worst)
-- depends_on: fact_track_played, fact_artist_genre
SELECT f.play_id FROM {{ ref('fact_track_played') }} f ANTI JOIN {{ ref('fact_artist_genre') }} g ON g.play_id = f.play_id
