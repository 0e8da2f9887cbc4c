import { describe, expect, it } from 'vitest'
import { createProgress } from '../../src/cli/progress.ts'

function output (isTTY: boolean) {
  let text = ''
  return { out: { isTTY, columns: 200, write: (chunk: string) => { text += chunk } }, text: () => text }
}

describe('progress', () => {
  it('on a terminal: one bar per step redrawn in place, with items, rate and time left, closed by the summary line', () => {
    const clock = { now: 0 }
    const { out, text } = output(true)
    const progress = createProgress(out, () => clock.now)
    progress.start('spotify-artists', 'Spotify artists')
    progress.update(0, 300)
    clock.now = 10_000
    progress.update(100, 300)
    progress.end('spotify-artists: done, 300 of 300 in 30 s')
    const frames = text().split('\r\x1b[2K')
    expect(frames[1]).toMatch(/^Spotify artists\s+░{24} 0\/300\s+0%\s+–\/s\s+\? left$/)
    expect(frames[2]).toMatch(/^Spotify artists\s+█{8}░{16} 100\/300\s+33%\s+10\/s\s+20 s left$/)
    expect(frames.at(-1)).toBe('spotify-artists: done, 300 of 300 in 30 s\n')
  })

  it('not on a terminal: plain lines, the first, then at most one every 5 s, and the last', () => {
    const clock = { now: 0 }
    const { out, text } = output(false)
    const progress = createProgress(out, () => clock.now)
    progress.start('spotify-albums', 'Spotify albums')
    progress.update(0, 1000)
    for (let done = 50; done <= 1000; done += 50) {
      clock.now += 1000
      progress.update(done, 1000)
    }
    progress.end('spotify-albums: done, 1,000 of 1,000 in 20 s')
    expect(text().split('\n').filter(Boolean)).toEqual([
      'spotify-albums: 0/1,000 (0%), –/s, ? left',
      'spotify-albums: 250/1,000 (25%), 50/s, 15 s left',
      'spotify-albums: 500/1,000 (50%), 50/s, 10 s left',
      'spotify-albums: 750/1,000 (75%), 50/s, 5 s left',
      'spotify-albums: 1,000/1,000 (100%), 50/s, 0 s left',
      'spotify-albums: done, 1,000 of 1,000 in 20 s',
    ])
    expect(text()).not.toContain('\r')
  })
})
