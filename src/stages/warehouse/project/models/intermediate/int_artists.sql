-- description: one row per played artist: every play's artist key and every credited Spotify artist, with the name
-- the lake knows (Spotify's, else the most played spelling, spellings of plays with a Spotify artist id first; masked
-- by seeds/mask_artists.csv) and the MBID (Update
-- MBIDs', else the match's, else the one ListenBrainz gave the plays of an artist found without a Spotify id).
-- 'unknown' is always a member.
-- depends_on: int_play_groups, int_credits, stg_spotify_artists, stg_mbz_artist_match, stg_mask_artists
-- materialized: table
WITH named AS (
  SELECT artist_id, artist_name AS name, artist_key_source = 'spotify' AS by_id, artist_mbid, plays FROM {{ ref('int_play_groups') }}
  UNION ALL
  SELECT artist_id, name, true, NULL, plays FROM {{ ref('int_credits') }}
  UNION ALL
  SELECT 'unknown', NULL, false, NULL, 0
),
counted AS (
  SELECT artist_id, name, artist_mbid, bool_or(by_id) AS by_id, sum(plays) AS n FROM named GROUP BY artist_id, name, artist_mbid
),
keys AS (
  SELECT
    artist_id,
    arg_max(name, (by_id, n, name)) FILTER (WHERE name IS NOT NULL) AS played_name,
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
