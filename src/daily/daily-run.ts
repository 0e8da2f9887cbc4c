import { randomUUID } from 'node:crypto'
import type { StateStore } from '../lake/state-store.ts'
import type { RouteCaller } from './route-caller.ts'
import { runStep, type StepCursor, type StepProgressEvent, type StepStatus, type StepSummary } from './step-runner.ts'
import type { StepDescriptor } from './steps.ts'

/** The Daily ETL run as kept in state/: where it is, and the summary of every step through. */
export interface DailyRunState {
  runId: string
  startedAt: string
  finishedAt: string | null
  /** the chain position of the step running or next to run */
  stepIndex: number
  /** the running step's cursor when a call stopped in the middle of it */
  cursor: StepCursor | null
  steps: StepSummary[]
}

export type DailyStepStatus = StepStatus | 'pending' | 'running'

export interface DailyStepView extends Omit<StepSummary, 'status'> {
  status: DailyStepStatus
}

export interface DailyView {
  runId: string
  startedAt: string
  finishedAt: string | null
  done: boolean
  /** the step a stopped call was in the middle of */
  current: { step: string, title: string, processed: number, total: number } | null
  steps: DailyStepView[]
}

export interface DailyAdvanceOptions {
  /** true stops the run between two batches or calls; the next call continues there */
  timeUp: () => boolean
  secondsLeft?: () => number | undefined
  onProgress?: (event: StepProgressEvent) => void
  onStepStart?: (step: StepDescriptor, resumed: StepCursor | null) => void
  onStepEnd?: (summary: StepSummary) => void
  /** abandon an unfinished run and start a new one */
  restart?: boolean
}

export interface DailyRun {
  /** Runs the chain from where it is until it is through or time is up; one call at a time. */
  advance (options: DailyAdvanceOptions): Promise<{ run: DailyRunState, finished: number, resumed: boolean }>
  read (): Promise<DailyRunState | undefined>
  view (run: DailyRunState): DailyView
}

const stateName = 'daily-run'

export function createDailyRun (deps: { chain: readonly StepDescriptor[], call: RouteCaller, state: StateStore, now: () => Date }): DailyRun {
  const { chain, call, state, now } = deps
  // One run at a time: a second call waits for the first, then continues the same run within its own time box.
  let tail: Promise<unknown> = Promise.resolve()
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const result = tail.then(fn)
    tail = result.catch(() => {})
    return result
  }
  const save = (run: DailyRunState): Promise<void> => state.write(stateName, run)
  const fresh = (): DailyRunState => ({ runId: randomUUID(), startedAt: now().toISOString(), finishedAt: null, stepIndex: 0, cursor: null, steps: [] })

  function view (run: DailyRunState): DailyView {
    const cursor = run.cursor
    const steps = chain.map((step, index): DailyStepView => {
      const summary = run.steps.find((s) => s.step === step.name)
      if (summary) return summary
      const running = index === run.stepIndex && cursor?.step === step.name
      return {
        step: step.name,
        title: step.title,
        status: running ? 'running' : 'pending',
        processed: running ? cursor.processed : 0,
        total: running ? cursor.total : 0,
        calls: running ? cursor.calls : 0,
        upstreamCalls: running ? cursor.upstreamCalls : 0,
        failedBatches: running ? cursor.failedBatches : 0,
        seconds: running ? Math.round(cursor.seconds * 10) / 10 : 0,
      }
    })
    const current = cursor && run.stepIndex < chain.length
      ? { step: cursor.step, title: chain[run.stepIndex]!.title, processed: cursor.processed, total: cursor.total }
      : null
    return { runId: run.runId, startedAt: run.startedAt, finishedAt: run.finishedAt, done: run.finishedAt !== null, current, steps }
  }

  return {
    view,
    read: () => state.read<DailyRunState>(stateName),
    advance: (options) => exclusive(async () => {
      const stored = await state.read<DailyRunState>(stateName)
      const resumed = stored !== undefined && stored.finishedAt === null && options.restart !== true
      const run = resumed ? stored : fresh()
      let finished = 0
      // Every call gets at least one unit of work done (a plan, a batch, a call), however short its time box.
      let worked = false
      const timeUp = (): boolean => worked && options.timeUp()
      await save(run)
      while (run.stepIndex < chain.length && !timeUp()) {
        const step = chain[run.stepIndex]!
        // A cursor of another step (the chain changed between two calls) is dropped: the step starts afresh.
        const resume = run.cursor?.step === step.name ? run.cursor : null
        options.onStepStart?.(step, resume)
        const result = await runStep(step, {
          call,
          now,
          shouldStop: timeUp,
          secondsLeft: options.secondsLeft,
          onProgress: options.onProgress,
          resume: resume ?? undefined,
          onCursor: async (cursor) => {
            worked = true
            run.cursor = cursor
            await save(run)
          },
        })
        if (result.kind === 'paused') {
          run.cursor = result.cursor
          await save(run)
          break
        }
        worked = true
        run.steps.push(result.summary)
        run.cursor = null
        run.stepIndex++
        finished++
        if (run.stepIndex === chain.length) run.finishedAt = now().toISOString()
        await save(run)
        options.onStepEnd?.(result.summary)
      }
      return { run, finished, resumed }
    }),
  }
}
