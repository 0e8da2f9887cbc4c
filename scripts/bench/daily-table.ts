import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

/** One line of the Daily ETL bench's table: a step of the chain, the import, a plan, or the whole run. */
export interface DailyRow {
  step: string
  items: number | null
  wallSeconds: number
  /** CPU time the service spent (all its threads), seconds */
  cpuSeconds: number | null
  upstreamCalls: number | null
  /** calls ÷ (wall × the upstream's allowed rate) */
  rateUse: number | null
  /** the service's peak resident memory during this line (VmHWM, reset at its start) */
  peakRssBytes: number | null
  /** the highest own peak of a child process of the service (the export's unpacking, the warehouse build) */
  childPeakRssBytes?: number
  floor?: { what: string, seconds: number }
  target?: string
  verdict: 'ok' | 'over target' | 'FAIL' | 'info'
  note?: string
}

export interface Check {
  what: string
  ok: boolean
  value: string
  expected: string
}

export interface DailyResults {
  machine: string
  loadAverage: { start: number, end: number }
  world: Record<string, unknown>
  rows: DailyRow[]
  checks: Check[]
  targets: Array<{ target: string, value: string, verdict: DailyRow['verdict'] }>
}

const mb = (bytes: number | null | undefined): string => bytes === null || bytes === undefined ? '-' : `${Math.round(bytes / 1024 / 1024)} MB`
const thousands = (n: number): string => Math.round(n).toLocaleString('en-US')
const seconds = (s: number): string => s >= 100 ? s.toFixed(0) : s >= 10 ? s.toFixed(1) : s.toFixed(2)

function cells (row: DailyRow): string[] {
  const rate = row.items !== null && row.wallSeconds > 0 ? row.items / row.wallSeconds : null
  const perItem = row.upstreamCalls !== null && row.items ? row.upstreamCalls / row.items : null
  return [
    row.step,
    row.items === null ? '-' : thousands(row.items),
    seconds(row.wallSeconds),
    row.cpuSeconds === null ? '-' : seconds(row.cpuSeconds),
    rate === null ? '-' : rate >= 100 ? thousands(rate) : rate.toFixed(1),
    perItem === null ? '-' : perItem.toFixed(3),
    row.rateUse === null ? '-' : `${Math.round(row.rateUse * 100)}%`,
    mb(row.peakRssBytes) + (row.childPeakRssBytes ? ` (+ child ${mb(row.childPeakRssBytes)})` : ''),
    row.floor ? `${row.floor.what} ${seconds(row.floor.seconds)} s` : '-',
    row.floor && row.floor.seconds > 0 ? `${(row.wallSeconds / row.floor.seconds).toFixed(1)}×` : '-',
    row.target ?? '-',
    row.verdict,
  ]
}

const header = ['step', 'items', 'wall s', 'cpu s', 'items/s', 'calls/item', 'rate use', 'peak RSS', 'floor (same run)', 'vs floor', 'target', 'verdict']

export function formatDailyTable (results: DailyResults): string {
  const all = [header, ...results.rows.map(cells)]
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i]!.length)))
  const numeric = new Set([1, 2, 3, 4, 5, 6, 9])
  const line = (r: string[]): string => r.map((c, i) => numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)).join('  ').trimEnd()
  const out = [line(header), '-'.repeat(line(header).length), ...results.rows.map(cells).map(line)]
  for (const row of results.rows) if (row.note) out.push(`  ${row.step}: ${row.note}`)
  out.push('', 'targets:')
  for (const t of results.targets) out.push(`  ${t.verdict.padEnd(11)} ${t.target}: ${t.value}`)
  const failed = results.checks.filter((c) => !c.ok)
  out.push('', `checks: ${results.checks.length - failed.length} of ${results.checks.length} passed`)
  for (const c of failed) out.push(`  FAIL ${c.what}: ${c.value} (expected ${c.expected})`)
  out.push('', results.machine)
  return out.join('\n')
}

export async function writeResults (file: string, results: DailyResults): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true })
  await fs.writeFile(file, JSON.stringify(results, null, 2) + '\n')
}

/** The machine and how busy it was: ratios measured in the same run are what compare across runs. */
export function machineLine (loadAtStart: number): { line: string, load: { start: number, end: number } } {
  const cpus = os.cpus()
  const end = os.loadavg()[0]!
  return {
    line: `machine: ${cpus[0]?.model ?? 'unknown cpu'} × ${cpus.length}, ${mb(os.totalmem())} RAM, ${os.type()} ${os.release()}, node ${process.version}, load average (1 min) ${loadAtStart.toFixed(2)} at start, ${end.toFixed(2)} at end`,
    load: { start: loadAtStart, end },
  }
}
