-- description: fact_track_played holds exactly the plays of tracks_played that count: the same number of plays and
-- the same play ids (compared by count and by a sum of their 64-bit hashes, which needs no memory for a million ids;
-- with play_id unique in both, equal sums mean the same ids but for a 1 in 2^64 chance)
-- depends_on: fact_track_played
-- sources: tracks_played
WITH lake AS (
  SELECT count(*) AS plays, coalesce(sum(hash(play_id)::HUGEINT), 0) AS ids FROM {{ source('tracks_played') }} WHERE counts_as_play
),
facts AS (
  SELECT count(*) AS plays, coalesce(sum(hash(play_id)::HUGEINT), 0) AS ids FROM {{ ref('fact_track_played') }}
)
SELECT lake.plays AS plays_that_count, facts.plays AS fact_rows, lake.ids = facts.ids AS same_ids
FROM lake, facts
WHERE lake.plays <> facts.plays OR lake.ids <> facts.ids
