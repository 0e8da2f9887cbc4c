-- description: the Spotify artist of each MusicBrainz artist MBID matched to exactly one Spotify artist (a lookup of
-- int_plays, for plays that name an artist by MBID only)
-- depends_on: stg_mbz_artist_match
-- materialized: table
SELECT mbid, min(spotify_id) AS artist_id FROM {{ ref('stg_mbz_artist_match') }} GROUP BY mbid HAVING count(*) = 1
