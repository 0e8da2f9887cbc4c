-- description: the name normal form used to match names (case-folded, trimmed, inner blanks collapsed; '' is null),
-- and the synthetic natural key of an artist, track or album that has no Spotify id: 'name:' and an md5 of its names.
CREATE MACRO norm_name(s) AS nullif(lower(trim(regexp_replace(s, '\s+', ' ', 'g'))), '');
CREATE MACRO name_key(parts) AS 'name:' || md5(array_to_string(parts, chr(31)));
