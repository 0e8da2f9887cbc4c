import { count, duration } from './format.ts'
import type { Output } from './io.ts'

/** Progress of one step at a time: a bar redrawn in place on a terminal, plain lines now and then otherwise. */
export interface Progress {
  /** `format` shows amounts (counts by default; `bytes` for an upload) */
  start (name: string, title: string, format?: (n: number) => string): void
  update (done: number, total: number, extra?: string): void
  /** the step's closing line (its summary) */
  end (line: string): void
}

const barWidth = 24
/** Plain lines: at most one every this many ms, besides the first and the last. */
const plainEveryMs = 5000

export function createProgress (out: Output, now: () => number = Date.now): Progress {
  const terminal = out.isTTY === true
  let name = ''
  let title = ''
  let startedAt = 0
  let firstDone: number | undefined
  let lastPlainAt: number | undefined
  let drawn = false
  let format: (n: number) => string = count

  function rateAndEta (done: number, total: number): { rate: string, eta: string } {
    const elapsed = (now() - startedAt) / 1000
    const perSecond = firstDone === undefined || elapsed <= 0 ? 0 : (done - firstDone) / elapsed
    const rate = perSecond <= 0 ? '–/s' : format === count ? `${perSecond < 10 ? perSecond.toFixed(1) : Math.round(perSecond)}/s` : `${format(Math.round(perSecond))}/s`
    const eta = done >= total ? '0 s' : perSecond > 0 ? duration((total - done) / perSecond) : '?'
    return { rate, eta }
  }

  return {
    start (stepName, stepTitle, amounts = count) {
      name = stepName
      title = stepTitle
      format = amounts
      startedAt = now()
      firstDone = undefined
      lastPlainAt = undefined
      drawn = false
    },
    update (done, total, extra) {
      firstDone ??= done
      const { rate, eta } = rateAndEta(done, total)
      const percent = total > 0 ? Math.floor((done / total) * 100) : 100
      const tail = extra ? `  ${extra}` : ''
      if (terminal) {
        const filled = total > 0 ? Math.round((done / total) * barWidth) : barWidth
        const bar = '█'.repeat(Math.min(barWidth, filled)) + '░'.repeat(Math.max(0, barWidth - filled))
        const line = `${title.padEnd(26).slice(0, 26)} ${bar} ${format(done)}/${format(total)} ${String(percent).padStart(3)}%  ${rate}  ${eta} left${tail}`
        out.write(`\r\x1b[2K${line.slice(0, Math.max(20, (out.columns || 120) - 1))}`)
        drawn = true
        return
      }
      const at = now()
      if (total === 0) return
      if (lastPlainAt !== undefined && done < total && at - lastPlainAt < plainEveryMs) return
      lastPlainAt = at
      out.write(`${name}: ${format(done)}/${format(total)} (${percent}%), ${rate}, ${eta} left${tail}\n`)
    },
    end (line) {
      if (terminal && drawn) out.write('\r\x1b[2K')
      out.write(`${line}\n`)
      drawn = false
    },
  }
}
