import { quotedIdentifier as qi } from '@duckdb/node-api'
import type { FastifyBaseLogger } from 'fastify'
import type { Lake, WriteTx } from '../../lake/lake.ts'
import type { TableDef } from '../../lake/table.ts'
import { spotifyTracks } from './tables.ts'

/**
 * Fills plays lacking track metadata from spotify_tracks, a while after track resolution writes. Filling rewrites all
 * of tracks_played (2–10 s at a million plays), so the writes of a resolution run do not each pay it: they ask, and
 * one refill runs `delayMs` after the last ask. Readers that need the filled plays
 * (the table routes, the artist and album plans) wait for it with `flush`. Until then spotify_tracks holds what the
 * plays will get, so a crash loses nothing: the next start refills.
 */
export interface PlaysRefill {
  /** A refill is wanted: one runs `delayMs` after the last request. */
  request (): void
  /** Resolves when no refill is waiting or running (runs a waiting one now); after a failure it tries once more. */
  flush (): Promise<void>
  /** How many stored plays a refill would fill now. */
  pending (): Promise<number>
  /** Drops a waiting refill and ignores later requests (the next start fills what is left). */
  close (): void
}

/** When a waiting refill runs: `setTimeout` in production; tests fire it themselves. */
export type Scheduler = (run: () => void, ms: number) => { cancel (): void }

export const timerScheduler: Scheduler = (run, ms) => {
  const timer = setTimeout(run, ms)
  timer.unref()
  return { cancel: () => clearTimeout(timer) }
}

/** How long after the last request a refill runs, unless a reader flushes it sooner. */
export const refillDelayMs = 30_000

/** A failed refill (a full disk, say) is tried again after this, and on the next flush. */
const retryAfterFailureMs = 30_000

/** The SQL that fills the plays table (the ingest stage's tracks_played, passed in) from spotify_tracks. */
export function playsFill (plays: TableDef) {
  const p = qi(plays.name)
  const st = qi(spotifyTracks.name)
  // Only the tracks of plays lacking something can change a play: the joins hash those tracks, not all of them (the
  // hash table of every track was most of a refill's peak in the service).
  const lacking = ['artist_id', 'album_id', 'track_isrc', 'duration_ms', 'track_uri'].map((c) => `${c} IS NULL`).join(' OR ')
  const wanted = `SELECT * FROM ${st} WHERE track_id IN (SELECT track_id FROM ${p} WHERE ${lacking})`
  const countFrom = (tracks: string) => `SELECT count(*)::INTEGER AS n FROM ${p} p JOIN ${tracks} st ON st.track_id = p.track_id
    WHERE (p.artist_id IS NULL AND st.artist_id IS NOT NULL) OR (p.album_id IS NULL AND st.album_id IS NOT NULL)
      OR (p.track_isrc IS NULL AND st.track_isrc IS NOT NULL) OR (p.duration_ms IS NULL AND st.duration_ms IS NOT NULL)`
  const fromTrack = (column: string) => `CASE WHEN p.artist_id IS NULL AND st.artist_id IS NOT NULL THEN st.${column} ELSE p.${column} END AS ${column}`
  const filledFrom = (tracks: string) => `SELECT p.* REPLACE (
      ${fromTrack('artist_id')}, ${fromTrack('artist_name')}, ${fromTrack('artist_ids')}, ${fromTrack('artist_names')},
      CASE WHEN p.album_id IS NULL AND st.album_id IS NOT NULL THEN st.album_id ELSE p.album_id END AS album_id,
      CASE WHEN p.album_id IS NULL AND st.album_id IS NOT NULL THEN st.album_name ELSE p.album_name END AS album_name,
      coalesce(p.track_isrc, st.track_isrc) AS track_isrc,
      coalesce(p.duration_ms, st.duration_ms) AS duration_ms,
      coalesce(p.track_uri, st.track_uri) AS track_uri)
    FROM ${p} p LEFT JOIN ${tracks} st ON st.track_id = p.track_id`
  const countToFill = countFrom(`(${wanted})`)
  return {
    countToFill,
    /** Fills plays lacking track metadata; answers how many plays changed. */
    async run (tx: WriteTx): Promise<number> {
      // Kept in a temp table, the few tracks are the side DuckDB hashes: the plays stream through in their stored order.
      await tx.run(`CREATE OR REPLACE TEMP TABLE refill_tracks AS ${wanted}`)
      const [row] = await tx.query(countFrom('refill_tracks'))
      const changed = Number(row?.n ?? 0)
      if (changed > 0) await tx.replaceWith(plays, filledFrom('refill_tracks'))
      await tx.run('DROP TABLE refill_tracks')
      return changed
    },
  }
}

export function createPlaysRefill (deps: { lake: Lake, plays: TableDef, log: FastifyBaseLogger, delayMs?: number, scheduler?: Scheduler }): PlaysRefill {
  const { lake, plays, log } = deps
  const fill = playsFill(plays)
  // Long enough that the next batch of a run always asks before it (a batch takes seconds on a busy machine, and a
  // refill that ran between batches would hold spotify_tracks for as long as it rewrites a million plays).
  const delayMs = deps.delayMs ?? refillDelayMs
  const scheduler = deps.scheduler ?? timerScheduler
  let timer: { cancel (): void } | undefined
  let running: Promise<void> | undefined
  let wanted = false
  let failed = false
  let closed = false

  function schedule (): void {
    if (timer || running || closed) return
    timer = scheduler(start, failed ? retryAfterFailureMs : delayMs)
  }

  function start (): void {
    timer?.cancel()
    timer = undefined
    wanted = false
    const started = Date.now()
    // Lean (one DuckDB thread, freed memory handed back at once): rewriting a million plays grows the service by
    // ~60 MB instead of ~125 MB, at 2-3× the time, in the background (scripts/bench/rewrite-memory.ts).
    running = lake.write([plays, spotifyTracks], (tx) => fill.run(tx), { lean: true })
      .then((filled) => {
        failed = false
        if (filled > 0) log.info({ filled, ms: Date.now() - started }, 'filled plays from resolved tracks')
      })
      // The tables are unchanged by a failed refill: it is tried again.
      .catch((err: unknown) => {
        failed = true
        wanted = true
        log.error({ err }, 'filling plays from resolved tracks failed; trying again later')
      })
      .finally(() => {
        running = undefined
        if (wanted) schedule()
      })
  }

  return {
    request () {
      if (closed) return
      wanted = true
      if (timer && !failed) {
        timer.cancel()
        timer = undefined
      }
      schedule()
    },
    async flush () {
      let ran = false
      while (timer || running) {
        if (running) {
          await running
          continue
        }
        // A refill that failed during this flush waits for its retry: readers go on with the plays as they are.
        if (failed && ran) return
        ran = true
        start()
      }
    },
    pending: () => lake.query(fill.countToFill).then(([row]) => Number(row?.n ?? 0)),
    close () {
      closed = true
      timer?.cancel()
      timer = undefined
    },
  }
}
