-- description: Spotify artists (popularity and followers are null for Development Mode apps)
-- sources: spotify_artists
SELECT artist_id, artist_name, popularity, followers, image_url, artist_mbid
FROM {{ source('spotify_artists') }}
