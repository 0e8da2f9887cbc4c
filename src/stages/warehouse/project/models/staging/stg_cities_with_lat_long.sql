-- description: coordinates of each geocoding key
-- sources: cities_with_lat_long
SELECT params, city_name, state_code, country_code, lat, lon, provider
FROM {{ source('cities_with_lat_long') }}
WHERE lat IS NOT NULL AND lon IS NOT NULL
