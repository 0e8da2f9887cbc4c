import { call, CallTimeout, type Answer, type Body } from '../lib/http.ts'
import type { Service } from '../lib/service.ts'
import { leakIn } from './leaks.ts'
import { createRandom, type Random } from './random.ts'

export interface SuiteOptions {
  seed: number
  /** run only cases whose `section:case` name contains one of these */
  only: string[]
  /** SIGKILL trials per scenario */
  trials: number
  /** generated requests per route in the fuzzing section */
  fuzzRuns: number
}

export interface Violation {
  section: string
  name: string
  message: string
}

export interface CheckedCall {
  /** instead of the service's own (its bearer token) */
  headers?: Record<string, string>
  /** per-request deadline; past it the call is a hang (default 60 s) */
  timeoutMs?: number
  /** what was sent, as text: markers the request held are not leaks when echoed */
  sent?: string
  /** statuses this call may answer besides the usual; 500 is never allowed */
  expect?: number[]
  /** a connection the service closes while the request is sent is not a violation: the caller checks liveness */
  closedOk?: boolean
}

export interface Section {
  readonly name: string
  selected (name: string): boolean
  random (name: string): Random
  trial (name: string): void
  violation (name: string, message: string): void
  skip (name: string, reason: string): void
  rows (count: number): void
  /** a counter shown under the case in the summary (versions found after a kill, statuses of a storm …) */
  count (name: string, what: string, by?: number): void
  /**
   * One request to the service, counted. Never throws: a 500, a hang, a dropped connection, an answer with a stack
   * trace or a path are violations of `name`; the answer (status 0 when none came) is returned.
   */
  call (name: string, service: Service, method: string, path: string, body?: Body, options?: CheckedCall): Promise<Answer>
  log (message: string): void
}

export interface Suite {
  readonly options: SuiteOptions
  section (name: string): Section
  readonly violations: Violation[]
  /** Prints the figures; answers the exit code. */
  report (): number
}

const defaultTimeoutMs = 60_000

interface SectionFigures {
  /** first and last moment the section did anything */
  from: number
  to: number
  trials: number
  requests: number
  skipped: string[]
  counters: Map<string, Map<string, number>>
}

export function createSuite (options: SuiteOptions): Suite {
  const started = Date.now()
  const violations: Violation[] = []
  const statuses = new Map<number, number>()
  const sections = new Map<string, SectionFigures>()
  let rowsChecked = 0

  const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s`

  function section (name: string): Section {
    const figures: SectionFigures = sections.get(name) ?? { from: Date.now(), to: Date.now(), trials: 0, requests: 0, skipped: [], counters: new Map() }
    sections.set(name, figures)
    const full = (caseName: string): string => `${name}:${caseName}`
    const log = (message: string): void => { console.log(`[faults ${elapsed()}] ${name}: ${message}`) }

    function violation (caseName: string, message: string): void {
      violations.push({ section: name, name: caseName, message })
      log(`VIOLATION ${caseName}: ${message}`)
    }

    function count (caseName: string, what: string, by = 1): void {
      const counters = figures.counters.get(caseName) ?? new Map<string, number>()
      figures.counters.set(caseName, counters)
      counters.set(what, (counters.get(what) ?? 0) + by)
    }

    return {
      name,
      log,
      violation,
      count,
      selected: (caseName) => options.only.length === 0 || options.only.some((o) => full(caseName).includes(o)),
      random: (caseName) => createRandom(options.seed).derive(full(caseName)),
      trial: () => {
        figures.trials++
        figures.to = Date.now()
      },
      skip (caseName, reason) {
        figures.skipped.push(`${caseName} (${reason})`)
        log(`SKIPPED ${caseName}: ${reason}`)
      },
      rows: (n) => {
        rowsChecked += n
        figures.to = Date.now()
      },
      async call (caseName, service, method, path, body, callOptions = {}) {
        figures.requests++
        const timeoutMs = callOptions.timeoutMs ?? defaultTimeoutMs
        let answer: Answer
        try {
          answer = await call(service.url, method, path, body, { headers: callOptions.headers ?? service.headers, timeoutMs })
        } catch (err) {
          // A service that refuses a body early (413, 414, 431) may close the connection while it is still being
          // sent: the answer is lost. With `closedOk` the caller checks that the service still serves.
          const code = (err as NodeJS.ErrnoException).code
          if (callOptions.closedOk && (code === 'EPIPE' || code === 'ECONNRESET')) {
            statuses.set(0, (statuses.get(0) ?? 0) + 1)
            count(caseName, `connection closed while sending (${code})`)
            return { status: 0, body: undefined, text: '', ms: 0 }
          }
          const what = err instanceof CallTimeout ? `hung: no answer within ${timeoutMs / 1000} s` : `no answer (${(err as Error).message})`
          violation(caseName, `${method} ${path.slice(0, 120)}: ${what}${service.exit ? `; the service is gone (${service.exit})` : ''}`)
          statuses.set(0, (statuses.get(0) ?? 0) + 1)
          return { status: 0, body: undefined, text: '', ms: timeoutMs }
        }
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1)
        figures.to = Date.now()
        const where = `${method} ${path.slice(0, 120)}`
        if (answer.status >= 500 && !(callOptions.expect ?? []).includes(answer.status)) {
          violation(caseName, `${where} answered ${answer.status}: ${answer.text.slice(0, 300)}`)
        }
        const leak = leakIn(answer.text, callOptions.sent ?? (body && 'json' in body ? JSON.stringify(body.json) : ''), [service.dataDir])
        if (leak) violation(caseName, `${where} answered ${answer.status} showing ${leak}: ${answer.text.slice(0, 200)}`)
        return answer
      },
    }
  }

  function report (): number {
    const seconds = (Date.now() - started) / 1000
    const lines: string[] = []
    const pad = (s: string | number, n: number): string => String(s).padEnd(n)
    lines.push('', `fault suite, seed ${options.seed}: ${seconds.toFixed(0)} s`, '')
    lines.push(`${pad('section', 14)}${pad('trials', 8)}${pad('requests', 10)}${pad('violations', 12)}seconds`)
    let trials = 0
    let requests = 0
    for (const [name, f] of sections) {
      const own = violations.filter((v) => v.section === name).length
      lines.push(`${pad(name, 14)}${pad(f.trials, 8)}${pad(f.requests, 10)}${pad(own, 12)}${((f.to - f.from) / 1000).toFixed(0)}`)
      trials += f.trials
      requests += f.requests
    }
    lines.push(`${pad('all', 14)}${pad(trials, 8)}${pad(requests, 10)}${pad(violations.length, 12)}${seconds.toFixed(0)}`, '')
    const byStatus = [...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s === 0 ? 'none' : s} ×${n}`)
    lines.push(`statuses: ${byStatus.join(', ')}`)
    lines.push(`rows checked: ${rowsChecked.toLocaleString('en-US')}`)
    for (const [name, f] of sections) {
      for (const [caseName, counters] of f.counters) {
        lines.push(`  ${name}:${caseName}: ${[...counters].map(([k, v]) => `${k} ${v}`).join(', ')}`)
      }
      for (const skipped of f.skipped) lines.push(`  ${name}: SKIPPED ${skipped}`)
    }
    if (violations.length > 0) {
      lines.push('', `${violations.length} violations:`)
      const shown = new Map<string, number>()
      for (const v of violations) {
        const key = `${v.section}:${v.name}`
        shown.set(key, (shown.get(key) ?? 0) + 1)
        if (shown.get(key)! <= 5) lines.push(`  ${key}: ${v.message.slice(0, 400)}`)
      }
      for (const [key, n] of shown) if (n > 5) lines.push(`  ${key}: … ${n - 5} more`)
      const cases = [...shown.keys()].join(',')
      lines.push('', `replay: npm run test:faults -- --seed=${options.seed} --only=${cases}`)
    }
    console.log(lines.join('\n'))
    return violations.length > 0 ? 1 : 0
  }

  return { options, section, violations, report }
}
