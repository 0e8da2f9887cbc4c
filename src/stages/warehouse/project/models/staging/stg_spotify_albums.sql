-- description: Spotify albums, the release date as a DATE (a year alone is its 1 January, a month its first day)
-- sources: spotify_albums
SELECT
  album_id,
  album_name,
  album_type,
  artist_id,
  artist_name,
  try_cast(CASE length(release_date) WHEN 4 THEN release_date || '-01-01' WHEN 7 THEN release_date || '-01' ELSE release_date END AS DATE) AS release_date,
  release_date_precision,
  coalesce(release_year, try_cast(left(release_date, 4) AS INTEGER)) AS release_year,
  total_tracks,
  label,
  popularity
FROM {{ source('spotify_albums') }}
