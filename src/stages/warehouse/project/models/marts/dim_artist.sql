-- description: one row per played artist (Spotify's artist id; a synthetic 'name:' key for an artist known by name
-- only; 'unknown'): the name (masked by seeds/mask_artists.csv), MBID, MusicBrainz type and gender, Spotify
-- popularity where Spotify still gives it, the primary genre (MusicBrainz genres first, then Spotify's) and where the
-- artist is from (int_artist_location says which area)
-- key: artist_id
-- not_null: artist_name, primary_genre, popularity_group
-- relationships: primary_genre -> dim_genre.genre
-- depends_on: int_artists, bridge_artist_genre, int_artist_location, stg_mbz_artist_info
SELECT
  a.artist_id,
  a.artist_name,
  a.artist_key_type,
  a.is_masked,
  a.artist_mbid,
  i.type AS artist_type,
  i.gender,
  i.disambiguation,
  a.popularity,
  CASE WHEN a.popularity IS NULL THEN 'No Popularity Data' WHEN a.popularity >= 90 THEN 'Extremely Popular'
    WHEN a.popularity >= 70 THEN 'Very Popular' WHEN a.popularity >= 50 THEN 'Popular' WHEN a.popularity >= 30 THEN 'Niche'
    WHEN a.popularity >= 10 THEN 'Mostly Unknown' ELSE 'Not Popular' END AS popularity_group,
  (CASE WHEN a.popularity IS NULL THEN 0 WHEN a.popularity >= 90 THEN 6 WHEN a.popularity >= 70 THEN 5
    WHEN a.popularity >= 50 THEN 4 WHEN a.popularity >= 30 THEN 3 WHEN a.popularity >= 10 THEN 2 ELSE 1 END)::TINYINT AS popularity_group_sort,
  a.followers,
  a.image_url,
  g.genre AS primary_genre,
  g.genre_source AS primary_genre_source,
  l.area_source,
  l.area_id,
  l.area_name,
  l.continent_code,
  l.continent,
  l.country_code,
  l.country,
  l.state_code,
  l.state,
  l.county,
  l.city,
  l.district,
  l.lat,
  l.lon
FROM {{ ref('int_artists') }} a
LEFT JOIN {{ ref('bridge_artist_genre') }} g ON g.artist_id = a.artist_id AND g.genre_rank = 1
LEFT JOIN {{ ref('stg_mbz_artist_info') }} i ON i.artist_mbid = a.artist_mbid
LEFT JOIN {{ ref('int_artist_location') }} l ON l.artist_mbid = a.artist_mbid
ORDER BY a.artist_id
