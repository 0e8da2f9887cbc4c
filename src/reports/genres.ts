import { dateRange, list, num, partsSql, readParts, round1, str, strOrNull, struct, type WarehouseQuery } from './query.ts'
import type { GenresParams, GenresReport } from './schemas.ts'

const noGenre = 'no genre defined'

/**
 * Plays per artist first (from rpt_plays, by integer key: tens of thousands of rows, not a million), then per genre two ways: by the artist's primary
 * genre (each play in one genre: the treemap's areas add up) and by every genre the artist has (`tagged`).
 */
const genresSql = `
WITH per_key AS (
  SELECT artist_key, count(*) AS plays, coalesce(sum(minutes), 0) AS minutes
  FROM rpt_plays WHERE date BETWEEN $from AND $to GROUP BY artist_key
),
per_artist AS MATERIALIZED (
  -- rank: the most played artist first (ties: more minutes, then the greater id); arg_min by it is cheaper than arg_max by a struct
  SELECT k.artist_id, p.plays, p.minutes, row_number() OVER (ORDER BY p.plays DESC, p.minutes DESC, k.artist_id DESC) AS rank
  FROM per_key p JOIN rpt_artists k USING (artist_key)
),
primary_genre AS (
  SELECT a.primary_genre AS genre, sum(p.plays) AS plays, sum(p.minutes) AS minutes, count(*) AS artists,
    arg_min(a.artist_name, p.rank) AS top_artist
  FROM per_artist p JOIN dim_artist a USING (artist_id) GROUP BY 1
),
tagged AS (
  SELECT b.genre, sum(p.plays) AS plays, count(*) AS artists FROM per_artist p JOIN bridge_artist_genre b USING (artist_id) GROUP BY 1
),
genres AS (
  SELECT t.genre, coalesce(g.plays, 0) AS plays, coalesce(g.minutes, 0) AS minutes, coalesce(g.artists, 0) AS artists,
    t.plays AS tagged_plays, t.artists AS tagged_artists, g.top_artist
  FROM tagged t LEFT JOIN primary_genre g USING (genre)
  WHERE t.genre <> '${noGenre}'
),
chosen AS (SELECT DISTINCT artist_id FROM bridge_artist_genre WHERE list_contains($genres, genre)),
picked AS MATERIALIZED (
  SELECT * FROM per_artist WHERE len($genres) = 0 OR artist_id IN (SELECT artist_id FROM chosen)
),
top AS (SELECT * FROM picked ORDER BY plays DESC, minutes DESC, artist_id LIMIT $artists),
top_genres AS (
  SELECT b.artist_id, list(b.genre ORDER BY b.genre_rank) AS genres
  FROM bridge_artist_genre b SEMI JOIN top USING (artist_id)
  WHERE (len($genres) = 0 AND b.genre <> '${noGenre}') OR list_contains($genres, b.genre)
  GROUP BY b.artist_id
)
${partsSql({
  timezone: '(SELECT timezone FROM meta.build)',
  totals: '(SELECT struct_pack(plays := coalesce(sum(plays), 0), minutes := coalesce(sum(minutes), 0)) FROM per_artist)',
  without_genre: `(SELECT coalesce(sum(plays), 0) FROM primary_genre WHERE genre = '${noGenre}')`,
  genre_count: '(SELECT count(*) FROM genres)',
  genres: `(SELECT list(struct_pack(
      genre := genre, plays := plays, minutes := minutes, artists := artists, taggedPlays := tagged_plays,
      taggedArtists := tagged_artists, topArtist := top_artist) ORDER BY plays DESC, tagged_plays DESC, genre)
    FROM (SELECT * FROM genres ORDER BY plays DESC, tagged_plays DESC, genre LIMIT $limit))`,
  selection: '(SELECT struct_pack(plays := coalesce(sum(plays), 0), minutes := coalesce(sum(minutes), 0), artists := count(*)) FROM picked)',
  selection_by_year: `(SELECT list(struct_pack(year := y, plays := n, minutes := m) ORDER BY y)
    FROM (SELECT year(p.date) AS y, count(*) AS n, coalesce(sum(p.minutes), 0) AS m
      FROM rpt_plays p
      WHERE p.date BETWEEN $from AND $to
        AND (len($genres) = 0 OR p.artist_key IN (SELECT artist_key FROM rpt_artists SEMI JOIN chosen USING (artist_id)))
      GROUP BY 1))`,
  top_artists: `(SELECT list(struct_pack(
      artistId := t.artist_id, name := a.artist_name, plays := t.plays, minutes := t.minutes,
      primaryGenre := a.primary_genre, genres := coalesce(g.genres, [])) ORDER BY t.plays DESC, t.minutes DESC, t.artist_id)
    FROM top t JOIN (SELECT * FROM dim_artist WHERE artist_id IN (SELECT artist_id FROM top)) a USING (artist_id) LEFT JOIN top_genres g USING (artist_id))`,
})}
`

/** Plays by genre (for a treemap) and the top artists within the chosen genres. */
export async function genresReport (query: WarehouseQuery, params: GenresParams): Promise<GenresReport> {
  const dates = dateRange(params)
  const chosen = [...new Set(params.genre ?? [])]
  const row = readParts(await query(genresSql, { ...dates.params, genres: chosen, limit: params.limit, artists: params.artists }))
  const totals = struct(row.totals)
  const selection = struct(row.selection)
  return {
    range: { from: dates.from, to: dates.to, timezone: str(row.timezone) },
    totals: { plays: num(totals.plays), minutes: round1(num(totals.minutes)), withoutGenre: num(row.without_genre), genres: num(row.genre_count) },
    genres: list(row.genres).map((g) => ({
      genre: str(g.genre),
      plays: num(g.plays),
      minutes: round1(num(g.minutes)),
      artists: num(g.artists),
      taggedPlays: num(g.taggedPlays),
      taggedArtists: num(g.taggedArtists),
      topArtist: strOrNull(g.topArtist),
    })),
    selection: {
      genres: chosen,
      plays: num(selection.plays),
      minutes: round1(num(selection.minutes)),
      artists: num(selection.artists),
      byYear: list(row.selection_by_year).map((y) => ({ year: num(y.year), plays: num(y.plays), minutes: round1(num(y.minutes)) })),
    },
    topArtists: list(row.top_artists).map((a) => ({
      artistId: str(a.artistId),
      name: str(a.name),
      plays: num(a.plays),
      minutes: round1(num(a.minutes)),
      primaryGenre: str(a.primaryGenre),
      genres: Array.isArray(a.genres) ? a.genres.map(String) : [],
    })),
  }
}
