-- description: the user's artist name masks (seeds/mask_artists.csv), trimmed; the last line for an artist wins
-- sources: mask_artists
SELECT artist_id, mask_name
FROM (SELECT trim(artist_id) AS artist_id, trim(mask_name) AS mask_name, line FROM {{ source('mask_artists') }})
WHERE artist_id <> '' AND mask_name <> ''
QUALIFY row_number() OVER (PARTITION BY artist_id ORDER BY line DESC) = 1
