-- description: each played artist's genres, ranked (genre_rank 1 is the primary genre: MusicBrainz genres first, then
-- Spotify's); an artist without any has one row, 'no genre defined'. The bridge between dim_artist and dim_genre.
-- key: artist_id, genre
-- not_null: genre_rank
-- relationships: artist_id -> dim_artist.artist_id, genre -> dim_genre.genre
-- depends_on: int_artists, int_artist_genres
SELECT a.artist_id, coalesce(g.genre, 'no genre defined') AS genre, g.genre_source, coalesce(g.genre_rank, 1) AS genre_rank
FROM {{ ref('int_artists') }} a
LEFT JOIN {{ ref('int_artist_genres') }} g ON g.artist_id = a.artist_id
ORDER BY a.artist_id, genre_rank
