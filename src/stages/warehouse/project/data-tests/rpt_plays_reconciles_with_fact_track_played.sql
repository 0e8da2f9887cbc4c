-- description: rpt_plays holds every play of fact_track_played once: the same number of plays, minutes and plays per
-- local date (no play lost to a key join)
-- depends_on: rpt_plays, fact_track_played
WITH facts AS (SELECT date, count(*) AS plays, sum(minutes_played) AS minutes FROM {{ ref('fact_track_played') }} GROUP BY date),
rpt AS (SELECT date, count(*) AS plays, sum(minutes) AS minutes FROM {{ ref('rpt_plays') }} GROUP BY date)
SELECT coalesce(f.date, r.date) AS date, f.plays AS fact_plays, r.plays AS rpt_plays
FROM facts f FULL JOIN rpt r ON r.date = f.date
WHERE f.plays IS DISTINCT FROM r.plays OR abs(coalesce(f.minutes, 0) - coalesce(r.minutes, 0)) > 0.001
