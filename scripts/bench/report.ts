/** The rows of the bench table: timings and memory are judged against a target, checks pass or fail the run. */
export type Verdict = 'ok' | 'over target' | 'FAIL' | 'info'

export interface Row {
  measure: string
  value: string
  target: string
  verdict: Verdict
}

export interface Report {
  readonly rows: Row[]
  /** true once a correctness check failed or a measure could not run */
  failed (): boolean
  timing (measure: string, ms: number, targetMs?: number): void
  memory (measure: string, bytes: number, targetBytes?: number): void
  /** A measured quantity against its target; missing the target is reported, not failed. */
  compare (measure: string, value: string, target: string, withinTarget: boolean): void
  check (measure: string, ok: boolean, value: string, expected: string): void
  info (measure: string, value: string): void
  error (measure: string, err: unknown): void
}

export const ms = (value: number): string => value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`
export const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`

export function createReport (): Report {
  const rows: Row[] = []
  let failed = false
  const judge = (value: number, target: number | undefined): Verdict => {
    if (target === undefined) return 'info'
    return value < target ? 'ok' : 'over target'
  }
  return {
    rows,
    failed: () => failed,
    timing (measure, value, targetMs) {
      rows.push({ measure, value: ms(value), target: targetMs === undefined ? '-' : `< ${ms(targetMs)}`, verdict: judge(value, targetMs) })
    },
    memory (measure, bytes, targetBytes) {
      rows.push({ measure, value: mb(bytes), target: targetBytes === undefined ? '-' : `< ${mb(targetBytes)}`, verdict: judge(bytes, targetBytes) })
    },
    compare (measure, value, target, withinTarget) {
      rows.push({ measure, value, target, verdict: withinTarget ? 'ok' : 'over target' })
    },
    check (measure, ok, value, expected) {
      if (!ok) failed = true
      rows.push({ measure, value, target: expected, verdict: ok ? 'ok' : 'FAIL' })
    },
    info (measure, value) {
      rows.push({ measure, value, target: '-', verdict: 'info' })
    },
    error (measure, err) {
      failed = true
      const message = err instanceof Error ? err.message : String(err)
      rows.push({ measure, value: `error: ${message.split('\n')[0]!.slice(0, 160)}`, target: 'runs', verdict: 'FAIL' })
    },
  }
}

export function formatTable (rows: readonly Row[]): string {
  const header: Record<keyof Row, string> = { measure: 'measure', value: 'value', target: 'target', verdict: 'verdict' }
  const all = [header, ...rows]
  const width = (key: keyof Row): number => Math.max(...all.map((r) => r[key].length))
  const widths = { measure: width('measure'), value: width('value'), target: width('target') }
  const line = (r: Record<keyof Row, string>): string =>
    `${r.measure.padEnd(widths.measure)}  ${r.value.padEnd(widths.value)}  ${r.target.padEnd(widths.target)}  ${r.verdict}`
  const rule = '-'.repeat(line(header).length)
  return [line(header), rule, ...rows.map(line)].join('\n')
}
