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
  /** Resolves when no refill is waiting or running (runs a waiting one now). */
  flush (): Promise<void>
  /** How many stored plays a refill would fill now. */
  pending (): Promise<number>
}

export function createPlaysRefill (deps: { lake: Lake, log: FastifyBaseLogger, delayMs?: number }): PlaysRefill {
  const { lake, log } = deps
  const delayMs = deps.delayMs ?? 1000
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let wanted = false

  function schedule (): void {
    if (timer || running) return
    timer = setTimeout(start, delayMs)
    timer.unref()
  }

  function start (): void {
    clearTimeout(timer)
    timer = undefined
    wanted = false
    const started = Date.now()
    running = lake.write([tracksPlayed, spotifyTracks], (tx) => refillPlays(tx))
      .then((filled) => { if (filled > 0) log.info({ filled, ms: Date.now() - started }, 'filled plays from resolved tracks') })
      // The tables are unchanged by a failed refill; the next request (or start) tries again.
      .catch((err: unknown) => { log.error({ err }, 'filling plays from resolved tracks failed') })
      .finally(() => {
        running = undefined
        if (wanted) schedule()
      })
  }

  return {
    request () {
      wanted = true
      if (timer) {
        clearTimeout(timer)
        timer = undefined
      }
      schedule()
    },
    async flush () {
      while (timer || running) {
        if (timer) start()
        await running
      }
    },
    pending: () => lake.query(countPlaysToFill).then(([row]) => Number(row?.n ?? 0)),
  }
}
