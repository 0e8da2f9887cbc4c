-- description: one row per play that counts and genre of its artist ('no genre defined' when the artist has none),
-- for the genre views; genre_rank 1 is the artist's primary genre
-- key: play_id, genre
-- not_null: date, minute_of_day, track_id, album_id, artist_id
-- relationships: play_id -> fact_track_played.play_id, genre -> dim_genre.genre, date -> dim_date.date, minute_of_day -> dim_time.minute_of_day, track_id -> dim_track.track_id, album_id -> dim_album.album_id, artist_id -> dim_artist.artist_id
-- depends_on: fact_track_played, int_artist_genres
SELECT
  f.play_id,
  coalesce(g.genre, 'no genre defined') AS genre,
  g.genre_source,
  g.genre_rank,
  f.date,
  f.minute_of_day,
  f.track_id,
  f.album_id,
  f.artist_id,
  f.minutes_played
FROM {{ ref('fact_track_played') }} f
LEFT JOIN {{ ref('int_artist_genres') }} g ON g.artist_id = f.artist_id
