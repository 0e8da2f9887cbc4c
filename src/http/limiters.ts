import Bottleneck from 'bottleneck'

export type Upstream = 'spotify' | 'listenbrainz' | 'musicbrainz' | 'openweather'

interface Budget {
  maxConcurrent: number
  minTimeMs: number
  /** Requests allowed per refresh interval, for upstreams with a per-minute cap. */
  perMinute?: number
  source: string
}

/**
 * What each upstream allows, as data. Spotify publishes no numbers (rolling 30 s window, 429 with Retry-After);
 * MusicBrainz allows 1 request/s per IP; OpenWeather's free plan 60 calls/min.
 */
export function budgets (musicbrainzRatePerSec: number): Record<Upstream, Budget> {
  return {
    spotify: { maxConcurrent: 2, minTimeMs: 50, source: 'https://developer.spotify.com/documentation/web-api/concepts/rate-limits' },
    listenbrainz: { maxConcurrent: 1, minTimeMs: 100, source: 'https://listenbrainz.readthedocs.io/en/latest/users/api/index.html#rate-limiting' },
    musicbrainz: { maxConcurrent: 1, minTimeMs: Math.ceil(1000 / musicbrainzRatePerSec), source: 'https://musicbrainz.org/doc/MusicBrainz_API/Rate_Limiting' },
    openweather: { maxConcurrent: 1, minTimeMs: 1000, perMinute: 60, source: 'https://openweathermap.org/price' },
  }
}

export type Limiters = Record<Upstream, Bottleneck>

/** One limiter per upstream, shared by the whole process. */
export function createLimiters (musicbrainzRatePerSec: number): Limiters {
  const entries = Object.entries(budgets(musicbrainzRatePerSec)).map(([name, budget]) => [name, new Bottleneck({
    maxConcurrent: budget.maxConcurrent,
    minTime: budget.minTimeMs,
    ...(budget.perMinute
      ? { reservoir: budget.perMinute, reservoirRefreshAmount: budget.perMinute, reservoirRefreshInterval: 60_000 }
      : {}),
  })])
  return Object.fromEntries(entries) as Limiters
}

export async function stopLimiters (limiters: Limiters): Promise<void> {
  await Promise.all(Object.values(limiters).map((limiter) => limiter.stop({ dropWaitingJobs: true }).catch(() => {})))
}
