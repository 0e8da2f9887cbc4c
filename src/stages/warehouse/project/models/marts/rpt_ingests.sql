-- description: how many plays of each ingestion (one ingested_at for all the plays a request stored) the build read:
-- the reports tell the plays the lake gained since the build by comparing these counts with the lake's, without
-- comparing a million play ids (an ingestion's count only grows: plays are never deleted)
-- key: ingested_at
-- not_null: plays
-- depends_on: stg_tracks_played
SELECT ingested_at, count(*) AS plays FROM {{ ref('stg_tracks_played') }} GROUP BY ingested_at
