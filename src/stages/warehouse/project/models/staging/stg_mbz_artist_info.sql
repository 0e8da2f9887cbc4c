-- description: MusicBrainz artists
-- sources: mbz_artist_info
SELECT id AS artist_mbid, name, type, gender, country, disambiguation, area_id, begin_area_id, end_area_id,
  life_span_begin, life_span_end, life_span_ended
FROM {{ source('mbz_artist_info') }}
