-- description: a small integer key per artist of dim_artist for the report marts (rpt_plays), with the codes the
-- report filters use. The keys are new with every build: join other tables on artist_id.
-- key: artist_key
-- not_null: artist_id
-- relationships: artist_id -> dim_artist.artist_id
-- depends_on: dim_artist
SELECT (row_number() OVER (ORDER BY artist_id))::INTEGER AS artist_key, artist_id, continent_code, country_code
FROM {{ ref('dim_artist') }}
