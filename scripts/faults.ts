// npm run test:faults: the production build as a child process, hurt on purpose — SIGKILL at random moments, concurrent
// calls, upstream storms, generated hostile requests, a data directory that fills up or turns read-only — and checked
// for lost, doubled or mixed rows, 500s, hangs and leaks. Seeded: `--seed=N` replays a run's data and delays.
// Options: --seed=N, --only=kill,storm:spotify (section or case names, comma-separated), --trials=N (kills per
// scenario, default 20), --fuzz-runs=N (requests per route, default 40), --no-build.
import { runConcurrencySection } from './faults/concurrency.ts'
import { runDiskSection } from './faults/disk.ts'
import { runFuzzSection } from './faults/fuzz.ts'
import { killScenarios } from './faults/kill-scenarios.ts'
import { runKillSection } from './faults/kill.ts'
import { runStormSection } from './faults/storms.ts'
import { createSuite, type SuiteOptions } from './faults/suite.ts'
import { buildProduction } from './lib/service.ts'

function parseArgs (argv: string[]): SuiteOptions & { build: boolean } {
  const value = (name: string): string | undefined => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3)
  const number = (name: string, fallback: number): number => {
    const raw = value(name) ?? process.env[`FAULTS_${name.toUpperCase().replace('-', '_')}`]
    if (raw === undefined) return fallback
    const n = Number(raw)
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, not ${raw}`)
    return n
  }
  return {
    seed: number('seed', Math.floor(Math.random() * 2 ** 31)),
    only: (value('only') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    trials: number('trials', 20),
    fuzzRuns: number('fuzz-runs', 40),
    build: !argv.includes('--no-build'),
  }
}

const options = parseArgs(process.argv.slice(2))
console.log(`[faults] seed ${options.seed}${options.only.length > 0 ? `, only ${options.only.join(', ')}` : ''}: replay with npm run test:faults -- --seed=${options.seed}`)
if (options.build) await buildProduction()
const suite = createSuite(options)

// The kills and the storms run side by side: the storms mostly wait out upstream timeouts.
await Promise.all([
  runKillSection(suite, killScenarios),
  runStormSection(suite),
])
await runConcurrencySection(suite)
await runFuzzSection(suite)
await runDiskSection(suite)

process.exitCode = suite.report()
