-- description: the plays grouped by everything the dimensions need (track, album and artist keys with the names and
-- ids the plays give them): one pass over the plays for all dimensions. plays counts every play, counted_plays those
-- that count.
-- depends_on: int_plays
-- materialized: table
SELECT
  track_id,
  track_name,
  track_isrc,
  duration_ms,
  album_id,
  album_name,
  artist_id,
  artist_name,
  artist_key_source,
  -- ListenBrainz's MBID of an artist found without a Spotify id (a Spotify play's first MBID may be a featured artist's)
  CASE WHEN artist_key_source <> 'spotify' THEN artist_mbid END AS artist_mbid,
  count(*) AS plays,
  count(*) FILTER (WHERE counts_as_play) AS counted_plays
FROM {{ ref('int_plays') }}
GROUP BY ALL
