-- description: fact_track_played holds exactly the plays of tracks_played that count: none missing, none extra
-- depends_on: fact_track_played
-- sources: tracks_played
WITH counting AS (SELECT play_id FROM {{ source('tracks_played') }} WHERE counts_as_play)
SELECT 'missing from fact_track_played' AS problem, c.play_id FROM counting c ANTI JOIN {{ ref('fact_track_played') }} f ON f.play_id = c.play_id
UNION ALL
SELECT 'not a play that counts', f.play_id FROM {{ ref('fact_track_played') }} f ANTI JOIN counting c ON c.play_id = f.play_id
