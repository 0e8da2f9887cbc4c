import { quotedIdentifier as qi } from '@duckdb/node-api'
import type { Lake } from '../../lake/lake.ts'
import type { TableDef } from '../../lake/table.ts'
import type { SpotifyArtist } from './match.ts'
import { normaliseIsrc } from './normalise.ts'
import { compareText } from '../../compare-text.ts'

/** ISRCs of an artist's most played tracks put in the ISRC step: three already give the highest confidence. */
export const isrcsPerArtist = 5
/** Titles of its most played tracks offered to the name step's recording check. */
export const titlesPerArtist = 5

/**
 * Every credited artist of every play (not only the first), with its name as the play credits it: one row per
 * credit. `where` filters the plays (bound parameters only).
 */
export function creditsSql (plays: TableDef, where = 'true'): string {
  return `
    SELECT unnest(CASE WHEN len(artist_ids) > 0 THEN artist_ids ELSE [artist_id] END) AS id,
           unnest(CASE WHEN len(artist_ids) > 0 THEN artist_names ELSE [artist_name] END) AS name,
           track_isrc, track_name
    FROM ${qi(plays.name)} WHERE artist_id IS NOT NULL AND (${where})`
}

/** Played Spotify artists as planning candidates: `id` and `weight` = plays crediting them. */
export function playedArtistsSql (plays: TableDef, where = 'true'): string {
  return `SELECT id, count(*) AS weight FROM (${creditsSql(plays, where)}) WHERE id IS NOT NULL GROUP BY id`
}

/**
 * What the lake knows of these Spotify artists for matching: the name most plays credit them as, the ISRCs and titles
 * of their most played tracks. An id without plays is absent.
 */
export async function loadSpotifyArtists (lake: Lake, plays: TableDef, ids: readonly string[]): Promise<Map<string, SpotifyArtist>> {
  const rows = await lake.query(`
    WITH credits AS (${creditsSql(plays, 'list_has_any(artist_ids, $ids::VARCHAR[]) OR list_contains($ids::VARCHAR[], artist_id)')})
    SELECT id, name, track_isrc, track_name, count(*)::INTEGER AS plays
    FROM credits WHERE list_contains($ids::VARCHAR[], id)
    GROUP BY ALL
    ORDER BY id, plays DESC, track_isrc NULLS LAST, track_name NULLS LAST`, { ids: [...ids] })
  const byId = new Map<string, { names: Map<string, number>, isrcs: string[], titles: string[] }>()
  for (const row of rows) {
    const id = String(row.id)
    const entry = byId.get(id) ?? { names: new Map<string, number>(), isrcs: [], titles: [] }
    byId.set(id, entry)
    const plays = Number(row.plays)
    if (typeof row.name === 'string' && row.name.trim().length > 0) entry.names.set(row.name, (entry.names.get(row.name) ?? 0) + plays)
    const isrc = normaliseIsrc(typeof row.track_isrc === 'string' ? row.track_isrc : null)
    if (isrc && !entry.isrcs.includes(isrc) && entry.isrcs.length < isrcsPerArtist) entry.isrcs.push(isrc)
    const title = typeof row.track_name === 'string' ? row.track_name.trim() : ''
    if (title && !entry.titles.includes(title) && entry.titles.length < titlesPerArtist) entry.titles.push(title)
  }
  const artists = new Map<string, SpotifyArtist>()
  for (const id of ids) {
    const entry = byId.get(id)
    if (!entry) continue
    // The name most plays credit; ties by the name itself, so a batch reads the same each time.
    const name = [...entry.names].sort((a, b) => b[1] - a[1] || compareText(a[0], b[0]))[0]?.[0] ?? ''
    artists.set(id, { id, name, isrcs: entry.isrcs, titles: entry.titles })
  }
  return artists
}
