import type { StepStatus, StepSummary } from '../daily/step-runner.ts'
import type { StepDescriptor } from '../daily/steps.ts'
import type { RunRecord } from './run-log.ts'

/** How a stage went in a window of run records: the statuses of POST /v1/daily, and not_run when no call arrived. */
export type StageStatus = Exclude<StepStatus, 'not_available'> | 'not_run'

export interface StageSummary extends Omit<StepSummary, 'status'> {
  status: StageStatus
}

export interface RunSummary {
  since: string
  until: string
  /** false when the run log was rotated past records of the window: the stages may miss calls */
  complete: boolean
  /** every stage of the chain, in its order */
  stages: StageSummary[]
  counts: Record<StageStatus, number>
  /** one line, e.g. "12 stages: 9 done, 2 nothing to do, 1 rate limited" */
  headline: string
}

export const stageStatuses: readonly StageStatus[] = ['done', 'nothing_to_do', 'rate_limited', 'not_configured', 'failed', 'stopped', 'not_run']

/** The run records' name of a chain step: its route without /v1, dots for slashes (spotify.tracks, warehouse.build). */
export function recordName (step: StepDescriptor): string {
  return step.path.replace(/^\/v1\//, '').split('/').join('.')
}

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0)
const count = (run: RunRecord, key: string): number => run.counts[key] ?? 0

/** A failed call as the runner words it: the code, then the message. */
function failure (run: RunRecord): { status: 'not_configured' | 'failed', message: string } {
  const text = run.error ?? `answered HTTP ${run.httpStatus}`
  const message = run.code ? `${run.code}: ${text}` : text
  return { status: run.code === 'NOT_CONFIGURED' ? 'not_configured' : 'failed', message }
}

function empty (step: StepDescriptor, runs: RunRecord[]): StageSummary {
  return {
    step: step.name,
    title: step.title,
    status: 'not_run',
    processed: 0,
    total: 0,
    calls: runs.length,
    upstreamCalls: 0,
    failedBatches: 0,
    seconds: Math.round(sum(runs.map((r) => r.durationMs)) / 100) / 10,
  }
}

const notRun = (summary: StageSummary): StageSummary => ({ ...summary, message: 'no call of this stage reached the service in this window' })

/**
 * A granular stage from its plan, fetch and write records, by the rules of the runner (src/daily/step-runner.ts): an
 * empty plan is nothing to do; failed batches make the stage failed whatever else happened; a rate-limited fetch ends
 * it; batches of the plan never fetched (the workflow stopped) make it stopped.
 */
function granularStage (step: StepDescriptor, records: RunRecord[]): StageSummary {
  const name = recordName(step)
  const plans = records.filter((r) => r.step === `${name}.plan`)
  const fetches = records.filter((r) => r.step === `${name}.fetch`)
  const writes = records.filter((r) => r.step === `${name}.write`)
  const summary = empty(step, [...plans, ...fetches, ...writes])
  if (summary.calls === 0) return notRun(summary)
  const planned = plans.filter((r) => r.status !== 'error')
  if (planned.length === 0) {
    const refused = plans.find((r) => r.status === 'error')
    return { ...summary, ...(refused ? failure(refused) : { status: 'failed', message: 'batches fetched or written without a plan in this window' }) }
  }
  const fetched = fetches.filter((r) => r.status !== 'error')
  const failed = [...fetches, ...writes].filter((r) => r.status === 'error')
  const batches = sum(planned.map((r) => count(r, 'batches')))
  const rateLimited = fetched.find((r) => r.status === 'rate_limited')
  const result: StageSummary = {
    ...summary,
    total: sum(planned.map((r) => count(r, 'total'))),
    processed: sum(fetched.map((r) => (r.status === 'rate_limited' ? count(r, 'records') + count(r, 'failures') : count(r, 'limit')))),
    upstreamCalls: sum(fetches.map((r) => count(r, 'calls'))),
    failedBatches: failed.length,
  }
  if (result.total === 0) return { ...result, status: 'nothing_to_do' }
  if (failed.length > 0) {
    return { ...result, status: 'failed', message: `${failed.length} of ${batches} batches failed, the others were written; first: ${failure(failed[0]!).message}` }
  }
  if (rateLimited) {
    const retryAfter = rateLimited.counts.retryAfterSeconds
    return { ...result, status: 'rate_limited', ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}), message: 'the upstream asked to wait; the rest of the plan waits for the next run' }
  }
  const attempted = fetches.length
  if (attempted < batches) return { ...result, status: 'stopped', message: `${attempted} of ${batches} batches fetched; the next run plans the rest` }
  return { ...result, status: 'done' }
}

/** A simple stage from its calls: the answers' processed add up; the last call's remaining says whether it got through. */
function simpleStage (step: StepDescriptor, records: RunRecord[]): StageSummary {
  const calls = records.filter((r) => r.step === recordName(step))
  const summary = empty(step, calls)
  const last = calls.at(-1)
  if (!last) return notRun(summary)
  const answered = calls.filter((r) => r.status !== 'error')
  const processed = sum(answered.map((r) => count(r, 'processed')))
  const remaining = last.status === 'error' ? 0 : count(last, 'remaining')
  // The hierarchy walk reports its MusicBrainz requests as `calls`; the steps that call nobody report none.
  const result: StageSummary = { ...summary, processed, total: processed + remaining, upstreamCalls: sum(answered.map((r) => count(r, 'calls'))) }
  const failed = calls.find((r) => r.status === 'error')
  if (failed) return { ...result, ...failure(failed) }
  if (last.status === 'rate_limited') {
    const retryAfter = last.counts.retryAfterSeconds
    return { ...result, status: 'rate_limited', ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}), message: 'the upstream asked to wait; the next run continues' }
  }
  if (remaining > 0) return { ...result, status: 'stopped', message: `${remaining} remaining after ${calls.length} calls; the next run continues` }
  return { ...result, status: processed === 0 ? 'nothing_to_do' : 'done' }
}

export function summariseStage (step: StepDescriptor, records: RunRecord[]): StageSummary {
  return step.kind === 'granular' ? granularStage(step, records) : simpleStage(step, records)
}

/** Every stage of the chain from the run records of a window (oldest first), with the counts and one line. */
export function summariseRuns (chain: readonly StepDescriptor[], window: { since: Date, until: Date, runs: RunRecord[], complete: boolean }): RunSummary {
  const stages = chain.map((step) => summariseStage(step, window.runs))
  const counts = Object.fromEntries(stageStatuses.map((s) => [s, stages.filter((stage) => stage.status === s).length])) as Record<StageStatus, number>
  const parts = stageStatuses.filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s.replaceAll('_', ' ')}`)
  return {
    since: window.since.toISOString(),
    until: window.until.toISOString(),
    complete: window.complete,
    stages,
    counts,
    headline: `${stages.length} stages: ${parts.join(', ')}${window.complete ? '' : ' (the run log no longer holds every call of this window)'}`,
  }
}
