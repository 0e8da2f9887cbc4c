-- description: Spotify tracks
-- sources: spotify_tracks
SELECT track_id, track_name, track_isrc, duration_ms, explicit, album_id, album_name, artist_id, artist_name
FROM {{ source('spotify_tracks') }}
