import type { Config } from '../../config.ts'
import { RateLimited, createWaitBudget } from '../../http/rate-limited.ts'
import { int, str } from '../../json-values.ts'
import type { Lake } from '../../lake/lake.ts'
import { createLockSet } from '../../lake/lock.ts'
import { quarantineRow, type QuarantineRow } from '../../lake/quarantine.ts'
import type { RawZone } from '../../lake/raw-zone.ts'
import { withStaging } from '../../lake/staging-writer.ts'
import type { StateStore } from '../../lake/state-store.ts'
import { listensPerPage, type ListenBrainzClient, type ListensPage } from './listenbrainz-client.ts'
import { playId, spotifyTrackId, type PlayInput } from './play-rows.ts'
import { writePlays } from './plays-store.ts'
import { rawFileTime, type PollResult } from './recently-played.ts'
import { tracksPlayed } from './tables.ts'

/** Pages of 1,000 listens, and time, one call may spend; a longer history continues on the next call (`done: false`). */
const maxListenBrainzPages = 500
const maxListenBrainzCallMs = 240_000
const listenBrainzCursorState = 'cursors/listenbrainz'
/** Listens kept in the quarantine table per call; past this they are only counted. */
const maxQuarantinedKept = 1000

/**
 * For one ListenBrainz user, in Unix seconds. `resume`: a pass stopped early; read on from `before` back to
 * `readUpTo`, then move it to `newest`.
 */
interface ListenBrainzCursor {
  user: string
  readUpTo?: number
  resume?: { before?: number, newest: number }
}

const maxDefined = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined ? a : Math.max(a, b)

/** An ISO time, or null for a time JavaScript cannot represent (a hostile listened_at of 1e16). */
const isoTime = (ms: number): string | null => (Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : null)

export function createListenBrainzIngest (deps: {
  config: Config
  lake: Lake
  raw: RawZone
  state: StateStore
  client: ListenBrainzClient
  now: () => Date
  /** Test seam: pages of ListenBrainz listens read in one call. */
  pagesPerCall?: number
}): () => Promise<PollResult> {
  const { config, lake, raw, state, now } = deps
  const userId = config.userId
  const pageBudget = deps.pagesPerCall ?? maxListenBrainzPages
  const lock = createLockSet()

  function playFromListen (listen: unknown, ingestedAt: string): PlayInput | undefined {
    const l = listen as { listened_at?: unknown, track_metadata?: Record<string, unknown> }
    const meta = l?.track_metadata
    const listenedAt = int(l?.listened_at)
    const trackName = str(meta?.track_name)
    const artistName = str(meta?.artist_name)
    if (listenedAt === null || !trackName || !artistName) return undefined
    const info = (meta?.additional_info ?? {}) as Record<string, unknown>
    const mapping = (meta?.mbid_mapping ?? {}) as Record<string, unknown>
    const trackId = spotifyTrackId(info.spotify_id) ?? spotifyTrackId(info.origin_url)
    const durationMs = int(info.duration_ms) ?? (int(info.duration) !== null ? int(info.duration)! * 1000 : null)
    const mbids = (value: unknown): string[] | null => Array.isArray(value) && value.every((v) => typeof v === 'string') && value.length > 0 ? value as string[] : null
    const playedAtMs = listenedAt * 1000
    return {
      play_id: playId('listenbrainz', userId, playedAtMs, trackId, artistName, trackName),
      user_id: userId,
      played_at: isoTime(playedAtMs) as string,
      track_id: trackId,
      track_uri: trackId ? `spotify:track:${trackId}` : null,
      track_isrc: str(info.isrc)?.toUpperCase() ?? null,
      track_name: trackName,
      album_name: str(meta?.release_name),
      artist_name: artistName,
      artist_names: [artistName],
      duration_ms: durationMs,
      counts_as_play: true,
      recording_mbid: str(mapping.recording_mbid) ?? str(info.recording_mbid),
      artist_mbids: mbids(mapping.artist_mbids) ?? mbids(info.artist_mbids),
      source: 'listenbrainz',
      ingested_at: ingestedAt,
    }
  }

  /**
   * Pages back from the newest listen with max_ts until it reaches the listens already read: max_ts ("older than")
   * pages the same way on every ListenBrainz version, where what min_ts answers when more listens follow is not
   * documented. The cursor (`readUpTo`, the newest listen read) lives in state/, not in the lake: a listen merged into
   * a Spotify play keeps the Spotify row, so the lake alone would lose track of it (weakness W4 of the original moved
   * the cursor back). A pass stopped by the page budget or a long rate limit keeps what it read and remembers where
   * to resume; the cursor moves only once everything down to it has been read.
   */
  async function listenbrainz (): Promise<PollResult> {
    deps.client.requireConfig()
    // One read at a time: two overlapping reads could save their cursors out of order.
    return lock.run(['listenbrainz'], readListens)
  }

  async function readListens (): Promise<PollResult> {
    const ingestedAt = now().toISOString()
    const lbUser = config.listenbrainz.user!
    const saved = await state.read<ListenBrainzCursor>(listenBrainzCursorState)
    // No cursor (a new lake, state/ cleared, another account): read everything; stored listens count as duplicates.
    const stored = saved?.user === lbUser ? saved : undefined
    let readUpTo = stored?.readUpTo
    let resume = stored?.resume
    let pages = 0
    let rateLimited: RateLimited | undefined
    const waits = createWaitBudget()
    const startedAt = Date.now()
    const cursorOf = (seconds: number | undefined): string | null => seconds === undefined ? null : new Date(seconds * 1000).toISOString()
    const outOfBudget = (): boolean => pages >= pageBudget || Date.now() - startedAt > maxListenBrainzCallMs
    // Saved before anything reaches the lake, so a crash after the write re-reads rather than trusting the lake.
    if (!stored) await state.write(listenBrainzCursorState, { user: lbUser } satisfies ListenBrainzCursor)

    const quarantined: QuarantineRow[] = []
    let where = ''
    return withStaging(lake.tmpDir, 'listenbrainz', {
      table: tracksPlayed,
      // A listen the lake cannot store is set aside; one bad listen never blocks the others (nor the cursor).
      onReject: (bad) => {
        if (quarantined.length < maxQuarantinedKept) quarantined.push(quarantineRow(tracksPlayed.name, where, bad, ingestedAt))
      },
    }, async (staging) => {
      /** One pass from `before` (or the newest listen) back to `readUpTo`; answers where it stopped, if it did. */
      async function pass (before: number | undefined, newest: number | undefined): Promise<{ finished: boolean, before?: number, newest?: number }> {
        let maxTs = before
        for (;;) {
          if (outOfBudget()) return { finished: false, before: maxTs, newest }
          let page: ListensPage
          try {
            page = await deps.client.listensBefore(maxTs, waits)
          } catch (err) {
            if (!(err instanceof RateLimited)) throw err
            rateLimited = err
            return { finished: false, before: maxTs, newest }
          }
          pages++
          await raw.save('listenbrainz/listens', `${rawFileTime(now())}-page-${pages}`, { fetchedAt: ingestedAt, url: page.url, status: 200, body: page.body })
          let oldest: number | undefined
          let reachedCursor = false
          for (const listen of page.listens) {
            // Paging follows every listen's time, readable or not: a page of unreadable listens is not the end.
            const seconds = int((listen as { listened_at?: unknown } | null)?.listened_at)
            if (seconds === null) continue
            oldest = Math.min(oldest ?? seconds, seconds)
            const row = playFromListen(listen, ingestedAt)
            if (!row) continue
            newest = Math.max(newest ?? seconds, seconds)
            // Listens in the cursor's own second may be new (several listens can share a second); older ones are read.
            if (readUpTo !== undefined && seconds < readUpTo) {
              reachedCursor = true
              continue
            }
            where = `listenbrainz:${seconds}`
            await staging.write(row)
          }
          if (reachedCursor || oldest === undefined || page.listens.length < listensPerPage) return { finished: true, newest }
          // Ask again from the oldest second (deduplicated by play id) so listens sharing it across the page boundary
          // are not lost; a page filled by a single second moves on past it.
          maxTs = oldest + 1 < (maxTs ?? Number.POSITIVE_INFINITY) ? oldest + 1 : oldest
        }
      }

      let done = false
      for (;;) {
        const resuming = resume !== undefined
        const stop = await pass(resume?.before, resume?.newest)
        if (!stop.finished) {
          // Keep the newest listen seen in the pass that started at the top: it becomes the cursor once the gap is read.
          resume = stop.newest === undefined ? resume : { before: stop.before ?? resume?.before, newest: stop.newest }
          break
        }
        readUpTo = maxDefined(readUpTo, stop.newest)
        resume = undefined
        // A finished resume leaves listens newer than its start unread: one more pass from the top picks them up.
        if (!resuming) {
          done = true
          break
        }
      }

      const staged = await staging.finish()
      const result = await writePlays(lake, staged, quarantined)
      // After the write: a crash in between re-reads listens (stored once by play id) rather than skipping any.
      await state.write(listenBrainzCursorState, { user: lbUser, readUpTo, ...(resume ? { resume } : {}) } satisfies ListenBrainzCursor)
      return {
        status: rateLimited ? 'rate_limited' : 'complete',
        done,
        fetched: staged.rows,
        inserted: result.inserted,
        duplicates: result.duplicates,
        quarantined: result.quarantined,
        cursor: cursorOf(readUpTo),
        pages,
        ...(rateLimited ? { retryAfterSeconds: rateLimited.retryAfterSeconds } : {}),
      }
    })
  }

  return listenbrainz
}
