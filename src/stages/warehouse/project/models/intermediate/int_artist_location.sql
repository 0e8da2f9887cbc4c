-- description: where each MusicBrainz artist is from. The artist's area, else its begin area: the first of them the
-- area hierarchy knows, except that an area no finer than a country gives way to a begin area in the same country
-- that is finer (area "United Kingdom", begin area "Bristol": Bristol). Without either, the artist's country code
-- alone (with the country and continent any area of that country has). Coordinates come from the geocoding key.
-- depends_on: stg_mbz_artist_info, stg_mbz_area_hierarchy, stg_cities_with_lat_long
WITH chosen AS (
  SELECT
    i.artist_mbid,
    i.country AS artist_country_code,
    CASE
      WHEN a.area_id IS NOT NULL AND b.area_id IS NOT NULL AND a.detail <= 1 AND b.detail > a.detail
        AND a.country_code IS NOT DISTINCT FROM b.country_code THEN 'begin_area'
      WHEN a.area_id IS NOT NULL THEN 'area'
      WHEN b.area_id IS NOT NULL THEN 'begin_area'
      WHEN i.country IS NOT NULL THEN 'country'
    END AS area_source,
    a.area_id AS a_id,
    b.area_id AS b_id
  FROM {{ ref('stg_mbz_artist_info') }} i
  LEFT JOIN {{ ref('stg_mbz_area_hierarchy') }} a ON a.area_id = i.area_id
  LEFT JOIN {{ ref('stg_mbz_area_hierarchy') }} b ON b.area_id = i.begin_area_id
),
countries AS (
  SELECT country_code, arg_min(country, area_id) AS country, arg_min(continent, area_id) AS continent,
    arg_min(continent_code, area_id) AS continent_code
  FROM {{ ref('stg_mbz_area_hierarchy') }} WHERE country_code IS NOT NULL AND country IS NOT NULL GROUP BY country_code
)
SELECT
  c.artist_mbid,
  c.area_source,
  h.area_id,
  h.area_name,
  coalesce(h.continent_code, k.continent_code) AS continent_code,
  coalesce(h.continent, k.continent) AS continent,
  coalesce(h.country_code, k.country_code) AS country_code,
  coalesce(h.country, k.country) AS country,
  h.state_code,
  h.state,
  h.county,
  h.city,
  h.district,
  g.lat,
  g.lon
FROM chosen c
LEFT JOIN {{ ref('stg_mbz_area_hierarchy') }} h ON h.area_id = CASE c.area_source WHEN 'area' THEN c.a_id WHEN 'begin_area' THEN c.b_id END
LEFT JOIN countries k ON c.area_source = 'country' AND k.country_code = c.artist_country_code
LEFT JOIN {{ ref('stg_cities_with_lat_long') }} g ON g.params = h.params
