-- description: every date from 1 January of the year of the first play that counts (local time) to 31 December of
-- next year (or the last play, should it lie further ahead)
-- key: date
-- not_null: year, month, day_of_week
-- depends_on: fact_track_played
WITH bounds AS (
  SELECT
    make_date(year(least(coalesce(min(date), {{ var('today') }}), {{ var('today') }})), 1, 1) AS first_day,
    greatest(make_date(year({{ var('today') }}) + 1, 12, 31), coalesce(max(date), {{ var('today') }})) AS last_day
  FROM {{ ref('fact_track_played') }}
),
days AS (
  SELECT unnest(generate_series(first_day::TIMESTAMP, last_day::TIMESTAMP, INTERVAL 1 DAY))::DATE AS date FROM bounds
)
SELECT
  date,
  year(date)::SMALLINT AS year,
  quarter(date)::TINYINT AS quarter,
  'Q' || quarter(date) AS quarter_name,
  month(date)::TINYINT AS month,
  monthname(date) AS month_name,
  strftime(date, '%b') AS month_short,
  strftime(date, '%Y-%m') AS year_month,
  weekofyear(date)::TINYINT AS iso_week,
  isoyear(date)::SMALLINT AS iso_year,
  isodow(date)::TINYINT AS day_of_week,
  dayname(date) AS day_name,
  strftime(date, '%a') AS day_short,
  isodow(date) >= 6 AS is_weekend,
  day(date)::TINYINT AS day_of_month,
  dayofyear(date)::SMALLINT AS day_of_year,
  date_trunc('week', date)::DATE AS week_start,
  date_trunc('month', date)::DATE AS month_start,
  last_day(date) AS month_end,
  date_trunc('year', date)::DATE AS year_start
FROM days
ORDER BY date
