-- description: one row per played artist: every play's artist key and every credited Spotify artist, with the name
-- the lake knows (Spotify's, else the most played spelling; masked by seeds/mask_artists.csv) and the MBID (Update
-- MBIDs', else the match's, else the one ListenBrainz gave the plays of an artist found by name). 'unknown' is always
-- a member.
-- depends_on: int_plays, stg_tracks_played, stg_spotify_artists, stg_mbz_artist_match, stg_mask_artists
-- materialized: table
WITH named AS (
  SELECT artist_id, artist_name AS name, CASE WHEN artist_key_source <> 'spotify' THEN artist_mbid END AS artist_mbid
  FROM {{ ref('int_plays') }}
  UNION ALL
  SELECT unnest(artist_ids) AS artist_id, unnest(artist_names) AS name, NULL
  FROM {{ ref('stg_tracks_played') }} WHERE len(artist_ids) > 1
  UNION ALL
  SELECT 'unknown', NULL, NULL
),
counted AS (
  SELECT artist_id, name, artist_mbid, count(*) AS n FROM named WHERE artist_id IS NOT NULL GROUP BY ALL
),
keys AS (
  SELECT
    artist_id,
    arg_max(name, (n, name)) FILTER (WHERE name IS NOT NULL) AS played_name,
    arg_max(artist_mbid, (n, artist_mbid)) FILTER (WHERE artist_mbid IS NOT NULL) AS played_mbid
  FROM counted GROUP BY artist_id
)
SELECT
  k.artist_id,
  CASE WHEN k.artist_id = 'unknown' THEN 'unknown' WHEN k.artist_id LIKE 'name:%' THEN 'synthetic' ELSE 'spotify' END AS artist_key_type,
  coalesce(mask.mask_name, s.artist_name, k.played_name, 'Unknown artist') AS artist_name,
  mask.mask_name IS NOT NULL AS is_masked,
  coalesce(s.artist_mbid, m.mbid, k.played_mbid) AS artist_mbid,
  s.popularity,
  s.followers,
  s.image_url
FROM keys k
LEFT JOIN {{ ref('stg_spotify_artists') }} s ON s.artist_id = k.artist_id
LEFT JOIN {{ ref('stg_mbz_artist_match') }} m ON m.spotify_id = k.artist_id
LEFT JOIN {{ ref('stg_mask_artists') }} mask ON mask.artist_id = k.artist_id
