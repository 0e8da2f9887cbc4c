-- description: fact_track_played narrowed for the reports page: one row per play that counts, with integer artist
-- and track keys (rpt_artists, rpt_tracks) and only the columns the reports group by, in played_at order (a date range
-- reads only its row groups). Grouping a million plays by an integer is several times faster than by a Spotify id.
-- key: play_id
-- not_null: date, hour, played_at, artist_key, track_key
-- relationships: artist_key -> rpt_artists.artist_key, track_key -> rpt_tracks.track_key
-- depends_on: fact_track_played, rpt_artists, rpt_tracks
SELECT
  f.play_id,
  f.date,
  (f.minute_of_day // 60)::UTINYINT AS hour,
  f.played_at,
  a.artist_key,
  t.track_key,
  f.minutes_played AS minutes
FROM {{ ref('fact_track_played') }} f
JOIN {{ ref('rpt_artists') }} a ON a.artist_id = f.artist_id
JOIN {{ ref('rpt_tracks') }} t ON t.track_id = f.track_id
ORDER BY f.played_at
