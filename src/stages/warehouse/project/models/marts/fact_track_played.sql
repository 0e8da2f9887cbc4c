-- description: one row per play that counts (counts_as_play), with its local date and minute of day in
-- TRACKLAKE_TIMEZONE, the UTC and local start, the minutes played (ms_played when known, else the track's length) and
-- the natural keys of every dimension
-- key: play_id
-- not_null: date, minute_of_day, track_id, album_id, artist_id, played_at, played_at_local, source
-- relationships: date -> dim_date.date, minute_of_day -> dim_time.minute_of_day, track_id -> dim_track.track_id, album_id -> dim_album.album_id, artist_id -> dim_artist.artist_id
-- depends_on: int_plays
SELECT
  play_id,
  date,
  minute_of_day,
  played_at,
  played_at_local,
  track_id,
  album_id,
  artist_id,
  ms_played,
  minutes_played,
  source,
  user_id,
  skipped,
  shuffle
FROM {{ ref('int_plays') }}
WHERE counts_as_play
