-- description: Spotify artists matched to a MusicBrainz artist (rows saying "no MBID" left out)
-- sources: mbz_artist_match
SELECT spotify_id, mbid, method, confidence
FROM {{ source('mbz_artist_match') }}
WHERE mbid IS NOT NULL
