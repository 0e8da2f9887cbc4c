-- description: every minute of the day; time of day Morning (6–11), Afternoon (12–17), Evening (18–23), Night (0–5),
-- sorted in that order
-- key: minute_of_day
-- not_null: hour, minute, time_of_day
SELECT
  m::SMALLINT AS minute_of_day,
  (m // 60)::TINYINT AS hour,
  (m % 60)::TINYINT AS minute,
  make_time(m // 60, m % 60, 0) AS time,
  printf('%02d:%02d', m // 60, m % 60) AS time_label,
  printf('%02d:00', m // 60) AS hour_label,
  CASE WHEN m < 720 THEN 'AM' ELSE 'PM' END AS am_pm,
  CASE WHEN m // 60 < 6 THEN 'Night' WHEN m // 60 < 12 THEN 'Morning' WHEN m // 60 < 18 THEN 'Afternoon' ELSE 'Evening' END AS time_of_day,
  (CASE WHEN m // 60 < 6 THEN 4 WHEN m // 60 < 12 THEN 1 WHEN m // 60 < 18 THEN 2 ELSE 3 END)::TINYINT AS time_of_day_sort
FROM range(1440) r(m)
ORDER BY m
