-- description: every play, with its local time in TRACKLAKE_TIMEZONE and its credited artists as a list
-- sources: tracks_played
SELECT
  play_id,
  user_id,
  source,
  played_at,
  ingested_at,
  timezone({{ var('timezone') }}, played_at) AS played_at_local,
  counts_as_play,
  ms_played,
  duration_ms,
  skipped,
  shuffle,
  offline,
  platform,
  conn_country,
  context_type,
  track_id,
  track_name,
  track_isrc,
  album_id,
  album_name,
  artist_id,
  artist_name,
  -- An old play credits its primary artist only.
  CASE WHEN len(artist_ids) > 0 THEN artist_ids WHEN artist_id IS NOT NULL THEN [artist_id] ELSE [] END AS artist_ids,
  CASE WHEN len(artist_ids) > 0 THEN artist_names WHEN artist_id IS NOT NULL THEN [artist_name] ELSE [] END AS artist_names,
  -- ListenBrainz's credits, or Update MBIDs' (credit order)
  artist_mbids[1] AS artist_mbid
FROM {{ source('tracks_played') }}
