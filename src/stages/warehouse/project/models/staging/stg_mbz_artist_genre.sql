-- description: an artist's MusicBrainz genres with their votes, case-folded, once each; down-voted genres left out
-- sources: mbz_artist_genre
SELECT artist_mbid, norm_name(genre) AS genre, max(coalesce(count, 0)) AS votes
FROM {{ source('mbz_artist_genre') }}
WHERE norm_name(genre) IS NOT NULL AND coalesce(count, 0) >= 0
GROUP BY ALL
