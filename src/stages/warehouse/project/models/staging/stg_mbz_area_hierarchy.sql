-- description: areas with their place in the world: country (or island), state (subdivision), county, city (or
-- municipality), district, continent, codes and the geocoding key; detail says how fine the area is (3 city, 2 state,
-- 1 country, 0 less)
-- sources: mbz_area_hierarchy
SELECT
  area_id,
  area_type,
  area_name,
  continent_code,
  continent,
  country_code,
  coalesce(country, island) AS country,
  state_code,
  subdivision AS state,
  county,
  coalesce(city, municipality) AS city,
  district,
  params,
  CASE WHEN coalesce(city, municipality, district) IS NOT NULL THEN 3
    WHEN coalesce(subdivision, county) IS NOT NULL THEN 2
    WHEN coalesce(country, island, country_code) IS NOT NULL THEN 1
    ELSE 0 END AS detail
FROM {{ source('mbz_area_hierarchy') }}
