import { round1 } from './query.ts'

/** A bucket of plays: its local start as text (YYYY-MM-DD HH:00, YYYY-MM-DD or YYYY-MM). */
export interface Bucket {
  start: string
  plays: number
  minutes: number
}

export type Unit = 'hour' | 'day' | 'month'

/** Longer spans of days are shown by month. */
const maxDays = 92
const dayMs = 86_400_000

/** Local times as text are read as if they were UTC: plain calendar arithmetic, no time zone involved. */
const parse = (text: string): number => Date.parse(text.length === 10 ? `${text}T00:00:00Z` : `${text.replace(' ', 'T')}:00Z`)
const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10)
const hour = (ms: number): string => `${new Date(ms).toISOString().slice(0, 13).replace('T', ' ')}:00`

function months (from: string, to: string): string[] {
  const out: string[] = []
  let [year, month] = from.slice(0, 7).split('-').map(Number) as [number, number]
  const last = to.slice(0, 7)
  for (;;) {
    const label = `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}`
    if (label > last) return out
    out.push(label)
    month++
    if (month > 12) {
      month = 1
      year++
    }
  }
}

/**
 * Every bucket from `from` to `to` (inclusive, local), the empty ones with zeros: hours for a rolling window; days, or
 * months when the dates span more than 92 days (then only from the first to the last bucket with plays, so an open
 * or generous range does not draw decades of nothing). Without bounds there is nothing to draw.
 */
export function fillBuckets (buckets: readonly Bucket[], unit: 'hour' | 'day', from: string | null, to: string | null): { unit: Unit, points: Bucket[] } {
  if (from === null || to === null || to < from) return { unit, points: [] }
  if (unit === 'hour') {
    const byStart = new Map(buckets.map((b) => [b.start, b]))
    const points: Bucket[] = []
    for (let t = parse(from); t <= parse(to); t += 3_600_000) {
      const start = hour(t)
      points.push({ start, plays: byStart.get(start)?.plays ?? 0, minutes: round1(byStart.get(start)?.minutes ?? 0) })
    }
    return { unit, points }
  }
  if ((parse(to) - parse(from)) / dayMs < maxDays) {
    const byStart = new Map(buckets.map((b) => [b.start, b]))
    const points: Bucket[] = []
    for (let t = parse(from); t <= parse(to); t += dayMs) {
      const start = day(t)
      points.push({ start, plays: byStart.get(start)?.plays ?? 0, minutes: round1(byStart.get(start)?.minutes ?? 0) })
    }
    return { unit: 'day', points }
  }
  const byMonth = new Map<string, Bucket>()
  for (const b of buckets) {
    const start = b.start.slice(0, 7)
    const sum = byMonth.get(start) ?? { start, plays: 0, minutes: 0 }
    sum.plays += b.plays
    sum.minutes += b.minutes
    byMonth.set(start, sum)
  }
  const seen = [...byMonth.keys()].sort()
  if (seen.length === 0) return { unit: 'month', points: [] }
  const first = seen[0]! > from.slice(0, 7) ? seen[0]! : from
  const last = seen.at(-1)! < to.slice(0, 7) ? seen.at(-1)! : to
  return {
    unit: 'month',
    points: months(first, last).map((start) => ({ start, plays: byMonth.get(start)?.plays ?? 0, minutes: round1(byMonth.get(start)?.minutes ?? 0) })),
  }
}
