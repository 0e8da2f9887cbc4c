import pino from 'pino'
import { createLake, type Lake } from '../../src/lake/lake.ts'
import { catalog } from '../../src/catalog.ts'
import type { TableDef } from '../../src/lake/table.ts'
import { tracksPlayed } from '../../src/stages/ingest/tables.ts'
import { spotifyAlbums, spotifyArtistGenre, spotifyArtists, spotifyTracks } from '../../src/stages/spotify/tables.ts'

export const lakePlays = 1_000_000
export const lakeArtists = 20_000
const lakeTracks = 100_000
const secondsBetweenPlays = 300
/** One track in this many was imported but never resolved: its plays lack artist and album ids. */
const unresolvedEvery = 10
/** One track in this many credits a second artist. */
const featureEvery = 7
const genresPerLake = 50

export interface LargeLake {
  plays: number
  /** keys each plan should find, counted here with plain SQL */
  expected: { tracks: number, artists: number, albums: number }
  /** ids of artists and tracks the plans will list, for the write measures */
  unknownArtists: string[]
  unresolvedTracks: string[]
}

const id = (prefix: string, n: string): string => `'${prefix}' || lpad((${n})::VARCHAR, 20, '0')`

/**
 * Every column of `table` in catalog order, typed as the catalog says; columns not given are NULL. A column the
 * catalog does not have is a mistake in this fixture, not something to ignore.
 */
function selectColumns (table: TableDef, expressions: Record<string, string>): string {
  const unknown = Object.keys(expressions).filter((name) => !table.columns.some((c) => c.name === name))
  if (unknown.length > 0) throw new Error(`${table.name} has no column ${unknown.join(', ')}`)
  return table.columns.map((c) => `CAST(${expressions[c.name] ?? 'NULL'} AS ${c.type}) AS ${c.name}`).join(',\n  ')
}

/** Plays drawn (skewed, by hash) from the tracks; track t is on album t/2, whose artist is album mod artists. */
const playsSource = `
  SELECT i, t, al, al % ${lakeArtists} AS ar, (al + 1) % ${lakeArtists} AS ar2,
    t % ${unresolvedEvery} = 0 AS unresolved, t % ${featureEvery} = 0 AS featured,
    (hash(i * 7 + 3) % 600000)::INTEGER AS ms,
    TIMESTAMPTZ '2016-01-01 00:00:00+00' + to_seconds(i * ${secondsBetweenPlays}) AS started
  FROM (
    SELECT i, t, t // 2 AS al FROM (
      SELECT i, CAST(floor(pow((hash(i) % 1000003) / 1000003.0, 2) * ${lakeTracks}) AS BIGINT) AS t FROM range(${lakePlays}) r(i)))`

const playColumns = selectColumns(tracksPlayed, {
  play_id: 'md5(\'bench-\' || i)',
  user_id: '\'me\'',
  played_at: 'started',
  ended_at: 'started + to_milliseconds(ms)',
  track_id: id('tr', 't'),
  track_uri: `'spotify:track:' || ${id('tr', 't')}`,
  track_isrc: 'CASE WHEN unresolved THEN NULL ELSE \'QZBEN\' || lpad(t::VARCHAR, 7, \'0\') END',
  track_name: '\'Song \' || t',
  album_id: `CASE WHEN unresolved THEN NULL ELSE ${id('al', 'al')} END`,
  album_name: '\'Album \' || al',
  artist_id: `CASE WHEN unresolved THEN NULL ELSE ${id('ar', 'ar')} END`,
  artist_name: '\'Artist \' || ar',
  artist_ids: `CASE WHEN unresolved THEN NULL WHEN featured THEN [${id('ar', 'ar')}, ${id('ar', 'ar2')}] ELSE [${id('ar', 'ar')}] END`,
  artist_names: 'CASE WHEN featured AND NOT unresolved THEN [\'Artist \' || ar, \'Artist \' || ar2] ELSE [\'Artist \' || ar] END',
  duration_ms: 'CASE WHEN unresolved THEN NULL ELSE 120000 + t % 240000 END',
  ms_played: 'ms',
  counts_as_play: 'ms >= 30000',
  skipped: 'ms < 30000',
  reason_start: '\'trackdone\'',
  reason_end: 'CASE WHEN ms < 30000 THEN \'fwdbtn\' ELSE \'trackdone\' END',
  shuffle: 'i % 3 = 0',
  offline: 'false',
  incognito_mode: 'false',
  platform: '\'android\'',
  conn_country: '\'DE\'',
  source: '\'spotify-export\'',
  ingested_at: 'TIMESTAMPTZ \'2026-01-01 00:00:00+00\'',
})

/** Resolved tracks are in spotify_tracks; half the artists and half the albums are enriched already. */
const trackColumns = selectColumns(spotifyTracks, {
  track_id: id('tr', 't'),
  track_uri: `'spotify:track:' || ${id('tr', 't')}`,
  track_name: '\'Song \' || t',
  track_isrc: '\'QZBEN\' || lpad(t::VARCHAR, 7, \'0\')',
  duration_ms: '120000 + t % 240000',
  explicit: 'false',
  album_id: id('al', 't // 2'),
  album_name: '\'Album \' || (t // 2)',
  artist_id: id('ar', `(t // 2) % ${lakeArtists}`),
  artist_name: `'Artist ' || ((t // 2) % ${lakeArtists})`,
  artist_ids: `[${id('ar', `(t // 2) % ${lakeArtists}`)}]`,
  artist_names: `['Artist ' || ((t // 2) % ${lakeArtists})]`,
  fetched_at: 'TIMESTAMPTZ \'2026-01-01 00:00:00+00\'',
})

const artistColumns = selectColumns(spotifyArtists, {
  artist_id: id('ar', 'a'),
  artist_name: '\'Artist \' || a',
  genres: `['genre ' || (a % ${genresPerLake})]`,
  popularity: 'a % 100',
  followers: 'a * 10',
  image_url: '\'https://i.scdn.co/image/\' || a',
  fetched_at: 'TIMESTAMPTZ \'2026-01-01 00:00:00+00\'',
})

const genreColumns = selectColumns(spotifyArtistGenre, {
  artist_id: id('ar', 'a'),
  artist_name: '\'Artist \' || a',
  genre: `'genre ' || (a % ${genresPerLake})`,
})

const albumColumns = selectColumns(spotifyAlbums, {
  album_id: id('al', 'al'),
  album_name: '\'Album \' || al',
  album_type: '\'album\'',
  artist_id: id('ar', `al % ${lakeArtists}`),
  artist_name: `'Artist ' || (al % ${lakeArtists})`,
  artist_ids: `[${id('ar', `al % ${lakeArtists}`)}]`,
  release_date: '(2000 + al % 26)::VARCHAR',
  release_date_precision: '\'year\'',
  release_year: '2000 + al % 26',
  total_tracks: '2',
  fetched_at: 'TIMESTAMPTZ \'2026-01-01 00:00:00+00\'',
})

/** What each plan should list, counted independently of the service's plan queries. */
async function expectedKeys (lake: Lake): Promise<LargeLake['expected']> {
  const [row] = await lake.query(`SELECT
    (SELECT count(DISTINCT track_id) FROM tracks_played WHERE artist_id IS NULL
       AND track_id NOT IN (SELECT track_id FROM spotify_tracks))::INTEGER AS tracks,
    (SELECT count(DISTINCT a) FROM (SELECT unnest(artist_ids) AS a FROM tracks_played WHERE artist_id IS NOT NULL)
       WHERE a NOT IN (SELECT artist_id FROM spotify_artists))::INTEGER AS artists,
    (SELECT count(DISTINCT album_id) FROM tracks_played WHERE album_id IS NOT NULL
       AND album_id NOT IN (SELECT album_id FROM spotify_albums))::INTEGER AS albums`)
  return { tracks: Number(row?.tracks), artists: Number(row?.artists), albums: Number(row?.albums) }
}

/** Builds the lake directly with DuckDB (through the lake's own atomic write), then closes it for the service. */
export async function buildLargeLake (dataDir: string): Promise<LargeLake> {
  const lake = await createLake({ dataDir, log: pino({ level: 'silent' }), tables: catalog })
  try {
    await lake.write([tracksPlayed, spotifyTracks, spotifyArtists, spotifyArtistGenre, spotifyAlbums], async (tx) => {
      await tx.replaceWith(tracksPlayed, `SELECT ${playColumns} FROM (${playsSource})`)
      await tx.replaceWith(spotifyTracks, `SELECT ${trackColumns} FROM range(${lakeTracks}) r(t) WHERE t % ${unresolvedEvery} <> 0`)
      await tx.replaceWith(spotifyArtists, `SELECT ${artistColumns} FROM range(${lakeArtists}) r(a) WHERE a % 2 = 0`)
      await tx.replaceWith(spotifyArtistGenre, `SELECT ${genreColumns} FROM range(${lakeArtists}) r(a) WHERE a % 2 = 0`)
      await tx.replaceWith(spotifyAlbums, `SELECT ${albumColumns} FROM range(${lakeTracks / 2}) r(al) WHERE al % 2 = 0`)
    })
    const [count] = await lake.query('SELECT count(*)::INTEGER AS n FROM tracks_played')
    const unknownArtists = await lake.query(`SELECT DISTINCT artist_id AS id FROM tracks_played
      WHERE artist_id IS NOT NULL AND artist_id NOT IN (SELECT artist_id FROM spotify_artists) ORDER BY id LIMIT 50`)
    const unresolvedTracks = await lake.query(`SELECT DISTINCT track_id AS id FROM tracks_played
      WHERE artist_id IS NULL ORDER BY id LIMIT 50`)
    return {
      plays: Number(count?.n),
      expected: await expectedKeys(lake),
      unknownArtists: unknownArtists.map((r) => String(r.id)),
      unresolvedTracks: unresolvedTracks.map((r) => String(r.id)),
    }
  } finally {
    await lake.close()
  }
}
