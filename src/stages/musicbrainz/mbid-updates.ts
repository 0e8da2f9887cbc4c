import { quotedIdentifier as qi } from '@duckdb/node-api'
import type { TableDef } from '../../lake/table.ts'
import type { SqlTx, WriteJob } from '../../lake/write-process.ts'
import { mbzArtistMatch } from './tables.ts'

export interface MbidChanges {
  /** spotify_artists rows whose artist_mbid changed */
  artists: number
  /** tracks_played rows whose artist_mbids changed */
  plays: number
}

/**
 * The SQL of Update MBIDs over the tables app.ts hands in (spotify_artists of the Spotify stage, tracks_played of
 * ingest). Rules:
 * - an artist with a row in mbz_artist_match takes its mbid, null included (a match row with no MBID says the artist
 *   has none); artists without a match row keep theirs;
 * - a play's artist_mbids are the MBIDs of its credited Spotify artists that have one, in credit order. A play from
 *   ListenBrainz, or carrying ListenBrainz's recording MBID (a merged listen), keeps the artist MBIDs ListenBrainz gave
 *   it: MusicBrainz's own credits beat our matches. A play none of whose artists has an MBID keeps what it has.
 */
export function mbidUpdates (tables: { artists: TableDef, plays: TableDef }) {
  const artists = qi(tables.artists.name)
  const plays = qi(tables.plays.name)
  const match = qi(mbzArtistMatch.name)
  const artistsUpdated = `SELECT a.* REPLACE (CASE WHEN m.spotify_id IS NULL THEN a.artist_mbid ELSE m.mbid END AS artist_mbid)
    FROM ${artists} a LEFT JOIN ${match} m ON m.spotify_id = a.artist_id`
  // A play's new MBIDs depend only on its list of credited ids (a play with no list credits its primary artist alone):
  // they are worked out once per distinct list, not once per play.
  const credits = 'CASE WHEN len(p.artist_ids) > 0 THEN p.artist_ids ELSE [p.artist_id] END'
  const creditMbids = `
    WITH lists AS (SELECT DISTINCT ${credits} AS ids FROM ${plays} p WHERE p.artist_id IS NOT NULL)
    SELECT l.ids, CASE WHEN count(a.artist_mbid) > 0 THEN list(a.artist_mbid ORDER BY c.pos) FILTER (WHERE a.artist_mbid IS NOT NULL) END AS mbids
    FROM lists l, unnest(l.ids) WITH ORDINALITY AS c(id, pos)
    LEFT JOIN ${artists} a ON a.artist_id = c.id
    GROUP BY l.ids`
  const fromListenBrainz = '(p.source = \'listenbrainz\' OR p.recording_mbid IS NOT NULL) AND len(p.artist_mbids) > 0'
  const newMbids = `CASE WHEN ${fromListenBrainz} THEN p.artist_mbids ELSE coalesce(m.mbids, p.artist_mbids) END`
  // A plain equi-join (a condition on p alone would make it a nested loop join); a play with no artist credits [NULL],
  // which equals no list.
  const joined = `${plays} p LEFT JOIN credit_mbids m ON m.ids = ${credits}`
  return {
    async run (tx: SqlTx): Promise<MbidChanges> {
      const [a] = await tx.query(`SELECT count(*)::INTEGER AS n FROM ${artists} a JOIN ${match} m ON m.spotify_id = a.artist_id
        WHERE a.artist_mbid IS DISTINCT FROM m.mbid`)
      const artistsChanged = Number(a?.n ?? 0)
      // Replaced first: the plays below read the new MBIDs (a write sees its own replaced tables).
      if (artistsChanged > 0) await tx.replaceWith(tables.artists, artistsUpdated)
      await tx.run(`CREATE TEMP TABLE credit_mbids AS ${creditMbids}`)
      const [p] = await tx.query(`SELECT count(*)::INTEGER AS n FROM ${joined} WHERE ${newMbids} IS DISTINCT FROM p.artist_mbids`)
      const playsChanged = Number(p?.n ?? 0)
      if (playsChanged > 0) await tx.replaceWith(tables.plays, `SELECT p.* REPLACE (${newMbids} AS artist_mbids) FROM ${joined}`)
      await tx.run('DROP TABLE credit_mbids')
      return { artists: artistsChanged, plays: playsChanged }
    },
  }
}

/** Update MBIDs as a write process's job (update-mbids.ts runs it through `lake.writeInProcess`). */
export const runWriteJob: WriteJob<{ artists: TableDef, plays: TableDef }, MbidChanges> = (tx, tables) => mbidUpdates(tables).run(tx)
