-- description: one row per play that counts and genre of its artist ('no genre defined' when the artist has none),
-- for the genre views; genre_rank 1 is the artist's primary genre. A view joining fact_track_played to
-- bridge_artist_genre, so a million plays cost no second copy; its keys are theirs, tested there.
-- materialized: view
-- depends_on: fact_track_played, bridge_artist_genre
SELECT
  f.play_id,
  b.genre,
  b.genre_source,
  b.genre_rank,
  f.date,
  f.minute_of_day,
  f.track_id,
  f.album_id,
  f.artist_id,
  f.minutes_played
FROM {{ ref('fact_track_played') }} f
JOIN {{ ref('bridge_artist_genre') }} b ON b.artist_id = f.artist_id
