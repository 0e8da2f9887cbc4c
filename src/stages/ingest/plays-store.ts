import { randomUUID } from 'node:crypto'
import { quotedString as qs } from '@duckdb/node-api'
import type { Lake, WriteTx } from '../../lake/lake.ts'
import { quarantine, quarantineRow, type QuarantineRow } from '../../lake/quarantine.ts'
import { partitionStorable } from '../../lake/table.ts'
import { isLargeStagedWrite, type StagedFiles } from '../../lake/staging-writer.ts'
import type { PlayInput } from './play-rows.ts'
import { tracksPlayed, type PlaySource } from './tables.ts'

/**
 * Play identity across sources (README: "One play, one row").
 *
 * - Same source: a play is its `play_id` (user, start time to the millisecond, track); storing it again adds nothing.
 * - Across sources: an incoming play is the same as a stored play from another source when both have the same user and
 *   track (the Spotify track id, or, when either lacks one, the same case-folded artist and track names) and their
 *   time windows overlap. A play's window runs from `played_at` to `ended_at` (or `played_at` when the end is unknown),
 *   widened by `matchToleranceSeconds` on both sides. This holds whether Spotify's `played_at` marks the start or the
 *   end of the play, which it has done both ways.
 * - Matching is one-to-one and in time order, so a track played twice in a row pairs first with first.
 * - The row of the richer source is kept (spotify-api over spotify-export over listenbrainz); the other fills what
 *   the kept row lacks (ms_played, skip flags, MBIDs, …).
 */
export const matchToleranceSeconds = 30

const sourceRank: Record<PlaySource, number> = { 'spotify-api': 3, 'spotify-export': 2, listenbrainz: 1 }

export interface PlayWriteResult {
  rows: number
  inserted: number
  /** exact repeats of stored plays plus plays merged into a stored play from another source */
  duplicates: number
  /** of those, plays recognised across sources */
  merged: number
  /** strings with lone surrogates, stored with U+FFFD in their place */
  repaired: number
  /** records set aside in the quarantine table: the lake could not store them */
  quarantined: number
}

const nameKey = (alias: string): string =>
  `lower(trim(coalesce(${alias}.artist_name, ''))) || chr(1) || lower(trim(coalesce(${alias}.track_name, '')))`

const window = (alias: string): { lo: string, hi: string } => ({
  lo: `${alias}.played_at - to_seconds(${matchToleranceSeconds})`,
  hi: `coalesce(${alias}.ended_at, ${alias}.played_at) + to_seconds(${matchToleranceSeconds})`,
})

const columns = tracksPlayed.columns.map((c) => c.name)
const identityColumns = new Set(['play_id', 'user_id', 'played_at', 'source', 'ingested_at', 'counts_as_play'])

/** Kept row's values, with gaps filled from the other row of the pair. */
function mergedSelect (keep: string, other: string): string {
  return columns.map((name) => {
    if (name === 'counts_as_play') return `coalesce(coalesce(${keep}.ms_played, ${other}.ms_played) >= 30000, true) AS counts_as_play`
    if (identityColumns.has(name)) return `${keep}.${name}`
    return `coalesce(${keep}.${name}, ${other}.${name}) AS ${name}`
  }).join(', ')
}

/** One-to-one, time-ordered pairing of candidates (both lists sorted by time already). */
export function pairCandidates (candidates: Array<{ new_id: string, old_id: string }>): Array<{ new_id: string, old_id: string }> {
  const usedNew = new Set<string>()
  const usedOld = new Set<string>()
  const pairs: Array<{ new_id: string, old_id: string }> = []
  for (const candidate of candidates) {
    if (usedNew.has(candidate.new_id) || usedOld.has(candidate.old_id)) continue
    usedNew.add(candidate.new_id)
    usedOld.add(candidate.old_id)
    pairs.push(candidate)
  }
  return pairs
}

/**
 * Stores plays in one write, with the records that could not be stored set aside in the quarantine table in the same
 * write: both tables are replaced atomically, or not at all.
 */
export async function writePlays (
  lake: Lake,
  input: { plays: readonly PlayInput[], source: string, at: string } | StagedFiles,
  quarantined: QuarantineRow[] = [],
  options: {
    /** DuckDB on one thread for this write (lake.write's lean); by default for 10,000 staged plays or more */
    lean?: boolean
  } = {}
): Promise<PlayWriteResult> {
  let plays: readonly Record<string, unknown>[] | StagedFiles
  let repaired = 0
  if ('files' in input) {
    plays = input
  } else {
    // A play from an upstream that the lake cannot store is set aside; the others are written.
    const sorted = partitionStorable(tracksPlayed, input.plays)
    plays = sorted.storable
    repaired = sorted.repaired
    quarantined = [...quarantined, ...sorted.rejected.map((r) => quarantineRow(tracksPlayed.name, `${input.source}[${r.index}]`, r, input.at))]
  }
  return lake.write([tracksPlayed, quarantine], async (tx) => {
    const count = 'files' in plays ? plays.rows : plays.length
    let result: PlayWriteResult = { rows: 0, inserted: 0, duplicates: 0, merged: 0, repaired: 0, quarantined: 0 }
    if (count > 0) {
      const staged = 'files' in plays
        ? { name: await stagedView(tx, plays), repaired: plays.repaired }
        : await tx.stage(tracksPlayed, plays.map((p) => ({ ...p })))
      result = { ...await insertPlays(tx, staged.name, count), repaired: staged.repaired + repaired, quarantined: 0 }
    }
    if (quarantined.length > 0) {
      // The same bad record seen again keeps its first entry.
      await tx.append(quarantine, quarantined)
      result.quarantined = quarantined.length
    }
    return result
  }, { lean: options.lean ?? ('files' in plays && isLargeStagedWrite(plays.rows)) })
}

/**
 * Whether the lake holds plays of another source than `source`: only then does a write match plays across sources,
 * the one part of it whose memory grows with the plays stored.
 */
export async function storesOtherSources (lake: Lake, source: PlaySource): Promise<boolean> {
  const [row] = await lake.query(`SELECT EXISTS (SELECT 1 FROM ${tracksPlayed.name} WHERE source <> $source) AS other`, { source })
  return row?.other === true
}

/** A view on staged files: parquet converted while the input was parsed, or JSON lines the lake converts now. */
async function stagedView (tx: WriteTx, staged: StagedFiles): Promise<string> {
  if (staged.format !== 'parquet') return tx.stageFiles(tracksPlayed, staged.files)
  const name = `staged_plays_${randomUUID().replaceAll('-', '')}`
  const selects = [
    ...staged.files.length > 0 ? [`SELECT * FROM read_parquet([${staged.files.map((f) => qs(f)).join(', ')}])`] : [],
    ...staged.alsoSelect ? [staged.alsoSelect] : [],
  ]
  await tx.run(`CREATE TEMP VIEW ${name} AS ${selects.join(' UNION ALL BY NAME ')}`)
  return name
}

async function insertPlays (tx: WriteTx, staged: string, total: number): Promise<Omit<PlayWriteResult, 'repaired' | 'quarantined'>> {
  // What stays in memory is the input positions of the rows that are not new (repeats within the input, plays stored
  // already): a few on a first import. The rows themselves stream from the staged files. Repeats are found among the
  // rows whose play_id hash repeats: a million 8-byte hashes sorted, each compared with the one before (grouping them
  // held 20 MB more, the peak of a million-play import; numbering every row by play_id sorted a million ids at once).
  const dropped = `${staged}_dropped`
  await tx.run(`CREATE TEMP TABLE ${dropped} AS
    SELECT _ord FROM (
      SELECT i._ord, row_number() OVER (PARTITION BY i.play_id ORDER BY i._ord) AS nth
      FROM ${staged} i
      WHERE hash(i.play_id) IN (
        SELECT h FROM (SELECT h, lag(h) OVER (ORDER BY h) AS before FROM (SELECT hash(play_id) AS h FROM ${staged})) WHERE h = before))
    WHERE nth > 1
    UNION
    SELECT i._ord FROM ${staged} i WHERE i.play_id IN (SELECT play_id FROM tracks_played)`)
  const [droppedCount] = await tx.query(`SELECT count(*)::INTEGER AS n FROM ${dropped}`)
  const freshRows = total - Number(droppedCount?.n ?? 0)
  if (freshRows === 0) return { rows: total, inserted: 0, duplicates: total, merged: 0 }
  const fresh = `${staged}_fresh`
  await tx.run(`CREATE TEMP VIEW ${fresh} AS
    SELECT i.* EXCLUDE (_ord) FROM ${staged} i WHERE i._ord NOT IN (SELECT _ord FROM ${dropped})`)

  const f = window('f')
  const s = window('s')
  const overlap = `${f.lo} <= ${s.hi} AND ${s.lo} <= ${f.hi} AND s.user_id = f.user_id AND s.source <> f.source`
  // Matching across sources needs a stored play of another source; an import into an export-only lake has none, and
  // into an empty lake the fresh rows are not even read for their sources.
  const [stored] = await tx.query('SELECT list(DISTINCT source) AS sources FROM tracks_played')
  const storedSources = (stored?.sources ?? []) as string[]
  const [fresher] = storedSources.length === 0 ? [] : await tx.query(`SELECT list(DISTINCT source) AS sources FROM ${fresh}`)
  const freshSources = (fresher?.sources ?? []) as string[]
  const crossSource = storedSources.some((source) => freshSources.some((other) => other !== source))
  const candidates = !crossSource
    ? []
    : await tx.query(`
      SELECT new_id, old_id FROM (
        SELECT f.play_id AS new_id, s.play_id AS old_id, f.played_at AS new_at, s.played_at AS old_at
        FROM ${fresh} f JOIN tracks_played s ON s.track_id = f.track_id AND ${overlap}
        UNION
        SELECT f.play_id, s.play_id, f.played_at, s.played_at
        FROM ${fresh} f JOIN tracks_played s ON ${nameKey('s')} = ${nameKey('f')}
          AND (f.track_id IS NULL OR s.track_id IS NULL) AND f.track_name IS NOT NULL AND ${overlap}
      ) ORDER BY new_at, old_at, new_id, old_id`)
  const pairs = pairCandidates(candidates.map((c) => ({ new_id: String(c.new_id), old_id: String(c.old_id) })))

  const pairTable = `${staged}_pairs`
  await tx.run(`CREATE TEMP TABLE ${pairTable} (new_id VARCHAR, old_id VARCHAR)`)
  if (pairs.length > 0) {
    await tx.run(`INSERT INTO ${pairTable} SELECT unnest($new::VARCHAR[]), unnest($old::VARCHAR[])`, {
      new: pairs.map((p) => p.new_id),
      old: pairs.map((p) => p.old_id),
    })
  }
  const rank = (alias: string) => `(CASE ${alias}.source ${Object.entries(sourceRank).map(([src, r]) => `WHEN '${src}' THEN ${r}`).join(' ')} END)`
  const newWins = `${rank('n')} > ${rank('o')}`
  const merged = pairs.length === 0
    ? ''
    : `UNION ALL
    SELECT ${mergedSelect('n', 'o')} FROM ${pairTable} p JOIN ${fresh} n ON n.play_id = p.new_id JOIN tracks_played o ON o.play_id = p.old_id WHERE ${newWins}
    UNION ALL
    SELECT ${mergedSelect('o', 'n')} FROM ${pairTable} p JOIN ${fresh} n ON n.play_id = p.new_id JOIN tracks_played o ON o.play_id = p.old_id WHERE NOT (${newWins})`
  await tx.replaceWith(tracksPlayed, `
    SELECT * FROM tracks_played WHERE play_id NOT IN (SELECT old_id FROM ${pairTable})
    ${merged}
    UNION ALL
    SELECT * FROM ${fresh} WHERE play_id NOT IN (SELECT new_id FROM ${pairTable})`)
  return { rows: total, inserted: freshRows - pairs.length, duplicates: total - freshRows + pairs.length, merged: pairs.length }
}

/** Newest play stored from a source for a user: the cursor of an incremental poll. */
export async function newestPlay (lake: Lake, userId: string, source: PlaySource): Promise<string | null> {
  const [row] = await lake.query('SELECT max(played_at) AS newest FROM tracks_played WHERE user_id = $user AND source = $source', { user: userId, source })
  return typeof row?.newest === 'string' ? row.newest : null
}
