import { describe, expect, it } from 'vitest'
import { fillBuckets } from '../../src/reports/timeline.ts'

describe('fillBuckets', () => {
  it('every hour of a window, empty ones as zeros', () => {
    const { unit, points } = fillBuckets([{ start: '2026-02-15 01:00', plays: 2, minutes: 7.04 }], 'hour', '2026-02-14 23:00', '2026-02-15 02:00')
    expect(unit).toBe('hour')
    expect(points).toEqual([
      { start: '2026-02-14 23:00', plays: 0, minutes: 0 },
      { start: '2026-02-15 00:00', plays: 0, minutes: 0 },
      { start: '2026-02-15 01:00', plays: 2, minutes: 7 },
      { start: '2026-02-15 02:00', plays: 0, minutes: 0 },
    ])
  })

  it('days up to 92 of them, months beyond (from the first to the last month with plays)', () => {
    expect(fillBuckets([], 'day', '2026-01-30', '2026-02-02').points.map((p) => p.start)).toEqual(['2026-01-30', '2026-01-31', '2026-02-01', '2026-02-02'])
    const months = fillBuckets([{ start: '2025-11-03', plays: 1, minutes: 1 }, { start: '2025-11-20', plays: 2, minutes: 2 }, { start: '2026-01-05', plays: 1, minutes: 3 }], 'day', '2020-01-01', '2026-02-15')
    expect(months).toEqual({
      unit: 'month',
      points: [{ start: '2025-11', plays: 3, minutes: 3 }, { start: '2025-12', plays: 0, minutes: 0 }, { start: '2026-01', plays: 1, minutes: 3 }],
    })
  })

  it('nothing to draw without bounds', () => {
    expect(fillBuckets([], 'day', null, null)).toEqual({ unit: 'day', points: [] })
    expect(fillBuckets([], 'day', '2026-01-01', '2020-01-01').points).toEqual([])
  })
})
