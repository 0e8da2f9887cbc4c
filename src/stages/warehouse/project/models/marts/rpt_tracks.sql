-- description: a small integer key per track of dim_track for the report marts (rpt_plays). The keys are new with
-- every build: join other tables on track_id.
-- key: track_key
-- not_null: track_id
-- relationships: track_id -> dim_track.track_id
-- depends_on: dim_track
SELECT (row_number() OVER (ORDER BY track_id))::INTEGER AS track_key, track_id
FROM {{ ref('dim_track') }}
