-- description: an artist's Spotify genres, case-folded, once each
-- sources: spotify_artist_genre
SELECT DISTINCT artist_id, norm_name(genre) AS genre
FROM {{ source('spotify_artist_genre') }}
WHERE norm_name(genre) IS NOT NULL
