-- description: the Spotify track of each ISRC that plays without a Spotify track id carry, where exactly one Spotify
-- track has it (a lookup of int_plays)
-- depends_on: stg_tracks_played, stg_spotify_tracks
-- materialized: table
WITH wanted AS (
  SELECT DISTINCT track_isrc FROM {{ ref('stg_tracks_played') }} WHERE track_id IS NULL AND track_isrc IS NOT NULL
)
SELECT st.track_isrc, min(st.track_id) AS track_id, min(st.artist_id) AS artist_id, min(st.album_id) AS album_id,
  min(st.track_name) AS track_name, min(st.album_name) AS album_name, min(st.duration_ms) AS duration_ms
FROM {{ ref('stg_spotify_tracks') }} st SEMI JOIN wanted w ON w.track_isrc = st.track_isrc
GROUP BY st.track_isrc HAVING count(DISTINCT st.track_id) = 1
