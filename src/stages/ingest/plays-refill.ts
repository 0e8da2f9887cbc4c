import type { FastifyBaseLogger } from 'fastify'
import type { Lake } from '../../lake/lake.ts'
import { spotifyTracks, tracksPlayed } from '../../lake/tables.ts'
import { countPlaysToFill, refillPlays } from './plays-store.ts'

/**
 * Fills plays lacking track metadata from spotify_tracks, a little after track resolution writes. Filling rewrites all
 * of tracks_played (about 2 s at a million plays), so the writes of a resolution run do not each pay it: they ask,
 * and one refill runs after the last ask, while n8n fetches the next batch. Readers that need the filled plays
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

/** A failed refill (a full disk, say) is tried again after this, and on the next flush. */
const retryAfterFailureMs = 30_000

export function createPlaysRefill (deps: { lake: Lake, log: FastifyBaseLogger, delayMs?: number }): PlaysRefill {
  const { lake, log } = deps
  const delayMs = deps.delayMs ?? 1000
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let wanted = false
  let failed = false
  let closed = false

  function schedule (): void {
    if (timer || running || closed) return
    timer = setTimeout(start, failed ? retryAfterFailureMs : delayMs)
    timer.unref()
  }

  function start (): void {
    clearTimeout(timer)
    timer = undefined
    wanted = false
    const started = Date.now()
    running = lake.write([tracksPlayed, spotifyTracks], (tx) => refillPlays(tx))
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
        clearTimeout(timer)
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
    pending: () => lake.query(countPlaysToFill).then(([row]) => Number(row?.n ?? 0)),
    close () {
      closed = true
      clearTimeout(timer)
      timer = undefined
    },
  }
}
