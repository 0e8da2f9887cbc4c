-- description: dim_time holds the 1,440 minutes of a day, 0 to 1439
-- depends_on: dim_time
SELECT count(*) AS minutes, min(minute_of_day) AS first, max(minute_of_day) AS last FROM {{ ref('dim_time') }}
HAVING count(*) <> 1440 OR min(minute_of_day) <> 0 OR max(minute_of_day) <> 1439
