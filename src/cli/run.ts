import type { Config } from '../config.ts'
import { createDailyRun, type DailyView } from '../daily/daily-run.ts'
import { runStep, stoppedSummary, type StepSummary } from '../daily/step-runner.ts'
import { allSteps, dailyChain, findStep } from '../daily/steps.ts'
import { openService, type ServiceHandle } from './context.ts'
import { count, duration, relative, table } from './format.ts'
import { CliFailure, type CliIo } from './io.ts'
import { createProgress, type Progress } from './progress.ts'

/** A simple step's calls are time-boxed this short, so Ctrl-C between two calls comes soon. */
const simpleCallSeconds = (): number => 30

/** Ctrl-C (or SIGTERM) once: stop after the current batch; twice: stop now (the lake's writes are atomic either way). */
function createStopper (io: CliIo): { requested: () => boolean, dispose: () => void } {
  let requested = false
  const onSignal = (signal: NodeJS.Signals): void => {
    if (requested) {
      io.info(`${signal} again: stopping now`)
      process.exit(130)
    }
    requested = true
    io.info(`${signal}: stopping after the current batch (what is written stays; Ctrl-C again to stop now)`)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    requested: () => requested,
    dispose: () => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    },
  }
}

const resultWords: Record<StepSummary['status'], string> = {
  done: 'done',
  nothing_to_do: 'nothing to do',
  rate_limited: 'rate limited',
  failed: 'failed',
  not_available: 'not available',
  not_configured: 'not configured',
  stopped: 'stopped',
}

function result (summary: StepSummary): string {
  if (summary.status === 'rate_limited' && summary.retryAfterSeconds !== undefined) return `rate limited, retry in ${duration(summary.retryAfterSeconds)}`
  return resultWords[summary.status]
}

/** The closing line of a step. */
export function stepLine (summary: StepSummary): string {
  const items = summary.total > 0 ? `, ${count(summary.processed)} of ${count(summary.total)}` : ''
  const note = summary.status === 'failed' || summary.status === 'stopped' || summary.status === 'not_configured' ? `: ${summary.message ?? ''}` : ''
  const took = summary.status === 'not_available' || summary.status === 'nothing_to_do' || summary.status === 'not_configured' ? '' : ` in ${duration(summary.seconds)}`
  return `${summary.step}: ${result(summary)}${items}${took}${note}`
}

export function summaryTable (summaries: readonly StepSummary[]): string {
  return table(['step', 'result', 'items', 'calls', 'time', 'note'], summaries.map((s) => [
    s.step,
    result(s),
    s.total > 0 || s.processed > 0 ? `${count(s.processed)}/${count(s.total)}` : '',
    String(s.calls),
    duration(s.seconds),
    s.status === 'failed' || s.status === 'rate_limited' || s.status === 'stopped' || s.status === 'not_configured' ? s.message ?? '' : '',
  ]), { right: [2, 3, 4] })
}

/** `tracklake run daily` and `tracklake run <step>`: through the step runner, against the lake or the running service. */
export async function runCommand (target: string, options: { restart?: boolean }, config: Config, io: CliIo): Promise<number> {
  const step = target === 'daily' ? undefined : findStep(target)
  if (target !== 'daily' && !step) {
    throw new CliFailure(`unknown step ${JSON.stringify(target)}; run daily or one of: ${allSteps.map((s) => s.name).join(', ')}`, 2)
  }
  const service = await openService(config, io, `run ${target}`)
  const stopper = createStopper(io)
  const progress = createProgress(io.out)
  let summaries: StepSummary[]
  try {
    if (step) {
      progress.start(step.name, step.title)
      const outcome = await runStep(step, { call: service.call, shouldStop: stopper.requested, secondsLeft: simpleCallSeconds, onProgress: (e) => progress.update(e.done, e.total) })
      summaries = [outcome.kind === 'finished' ? outcome.summary : stoppedSummary(step, outcome.cursor)]
      progress.end(stepLine(summaries[0]!))
    } else if (service.mode === 'in-process') {
      summaries = await dailyInProcess(service, options, io, progress, stopper.requested)
    } else {
      if (options.restart) throw new CliFailure('--restart works on the lake in-process; the running service continues its own run (POST /v1/daily)')
      summaries = await dailyThroughService(service, progress, stopper.requested)
    }
  } finally {
    stopper.dispose()
    await service.close()
  }
  io.out.write(`\n${summaryTable(summaries)}`)
  // One step asked for by name that is not configured is a failure; in the daily chain it is an optional stage skipped.
  const failed = summaries.filter((s) => s.status === 'failed' || (step !== undefined && s.status === 'not_configured'))
  if (failed.length > 0) {
    const first = failed[0]!
    throw new CliFailure(`${failed.length} of ${summaries.length} step${summaries.length === 1 ? '' : 's'} failed; ${first.step}: ${first.message ?? 'failed'}`)
  }
  if (stopper.requested()) {
    io.info('stopped; run the same command again to continue')
    return 130
  }
  return 0
}

async function dailyInProcess (service: ServiceHandle, options: { restart?: boolean }, io: CliIo, progress: Progress, stop: () => boolean): Promise<StepSummary[]> {
  const daily = createDailyRun({ chain: dailyChain, call: service.call, state: service.state!, now: () => new Date() })
  const before = await daily.read()
  if (before && before.finishedAt === null && !options.restart) {
    io.info(`continuing the daily run started ${relative(before.startedAt, Date.now())} (${before.stepIndex} of ${dailyChain.length} stages through; --restart starts over)`)
  }
  const { run } = await daily.advance({
    timeUp: stop,
    secondsLeft: simpleCallSeconds,
    restart: options.restart,
    onStepStart: (step) => progress.start(step.name, step.title),
    onProgress: (event) => progress.update(event.done, event.total),
    onStepEnd: (summary) => progress.end(stepLine(summary)),
  })
  if (run.finishedAt !== null || !run.cursor) return run.steps
  const current = dailyChain[run.stepIndex]!
  const stopped = stoppedSummary(current, run.cursor)
  progress.end(stepLine(stopped))
  return [...run.steps, stopped]
}

/** The service holds the lake: its /v1/daily runs the chain, called in short time boxes so progress shows. */
async function dailyThroughService (service: ServiceHandle, progress: Progress, stop: () => boolean): Promise<StepSummary[]> {
  let shown = new Set<string>()
  let currentStep: string | undefined
  for (;;) {
    const answer = await service.call('POST', '/v1/daily', { maxSeconds: 15 })
    if (answer.status !== 200) throw new CliFailure(`POST /v1/daily answered ${answer.status}: ${(answer.body as { message?: string })?.message ?? ''}`)
    const view = answer.body as DailyView
    const finished = view.steps.filter((s): s is StepSummary => s.status !== 'pending' && s.status !== 'running')
    for (const summary of finished) {
      if (shown.has(summary.step)) continue
      if (currentStep !== summary.step) progress.start(summary.step, summary.title)
      progress.end(stepLine(summary))
      currentStep = undefined
    }
    shown = new Set(finished.map((s) => s.step))
    if (view.current) {
      if (currentStep !== view.current.step) progress.start(view.current.step, view.current.title)
      currentStep = view.current.step
      progress.update(view.current.processed, view.current.total)
    }
    if (view.done) return finished
    if (stop()) {
      const running = view.steps.find((s) => s.status === 'running')
      return running ? [...finished, { ...running, status: 'stopped', message: 'stopped before the end; what was written stays, a rerun continues' } as StepSummary] : finished
    }
  }
}
