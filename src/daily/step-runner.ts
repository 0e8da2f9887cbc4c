import { answerMessage, errorCode, type RouteAnswer, type RouteCaller } from './route-caller.ts'
import type { StepDescriptor } from './steps.ts'

export type StepStatus = 'done' | 'nothing_to_do' | 'rate_limited' | 'failed' | 'not_available' | 'not_configured' | 'stopped'

/** How one step ended: the one line a run reports for it. */
export interface StepSummary {
  step: string
  title: string
  status: StepStatus
  /** items handled (granular: keys of the batches written; simple: the step's own units) */
  processed: number
  /** items there were to handle */
  total: number
  /** route calls made */
  calls: number
  /** upstream requests the fetches made (granular steps) */
  upstreamCalls: number
  failedBatches: number
  seconds: number
  retryAfterSeconds?: number
  message?: string
}

export interface StepProgressEvent {
  step: string
  title: string
  done: number
  total: number
  calls: number
  upstreamCalls: number
}

/** Where a step stands between two calls of the runner; plain JSON, kept in state/ by the daily run. */
export interface StepCursor {
  step: string
  processed: number
  total: number
  calls: number
  upstreamCalls: number
  failedBatches: number
  firstError: string | null
  seconds: number
  /** granular steps, once planned: the plan and the next batch to fetch */
  plan: { planId: string, batches: Array<{ offset: number, limit: number }>, next: number } | null
}

export type StepRunResult = { kind: 'finished', summary: StepSummary } | { kind: 'paused', cursor: StepCursor }

export interface StepRunOptions {
  call: RouteCaller
  now?: () => Date
  /** Checked before every batch and every call: true pauses the step there (Ctrl-C, a time box). */
  shouldStop?: () => boolean
  /** A simple step's `maxSeconds` for its next call; undefined leaves the step's own default. */
  secondsLeft?: () => number | undefined
  onProgress?: (event: StepProgressEvent) => void
  /** After every batch and call: the cursor to keep (the daily run writes it to state/). */
  onCursor?: (cursor: StepCursor) => Promise<void>
  /** Continue a paused step. */
  resume?: StepCursor
  /** A simple step called this often without being done has failed (a step must not loop forever). */
  maxSimpleCalls?: number
}

const maxRouteSeconds = 540
const noProgressLimit = 3

const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined)

function newCursor (step: StepDescriptor): StepCursor {
  return { step: step.name, processed: 0, total: 0, calls: 0, upstreamCalls: 0, failedBatches: 0, firstError: null, seconds: 0, plan: null }
}

function summaryOf (step: StepDescriptor, cursor: StepCursor, status: StepStatus, extra: { message?: string, retryAfterSeconds?: number } = {}): StepSummary {
  return {
    step: step.name,
    title: step.title,
    status,
    processed: cursor.processed,
    total: cursor.total,
    calls: cursor.calls,
    upstreamCalls: cursor.upstreamCalls,
    failedBatches: cursor.failedBatches,
    seconds: Math.round(cursor.seconds * 10) / 10,
    ...(extra.retryAfterSeconds !== undefined ? { retryAfterSeconds: extra.retryAfterSeconds } : {}),
    ...(extra.message !== undefined ? { message: extra.message } : {}),
  }
}

/** The summary of a step a person stopped (Ctrl-C): what it got through. */
export function stoppedSummary (step: StepDescriptor, cursor: StepCursor): StepSummary {
  return summaryOf(step, cursor, 'stopped', { message: 'stopped before the end; what was written stays, a rerun continues' })
}

const isMissingRoute = (answer: RouteAnswer): boolean => answer.status === 404 && errorCode(answer) === 'ROUTE_NOT_FOUND'
/** An optional stage left unconfigured (no MUSICBRAINZ_CONTACT, no OpenWeather key): skipped with what to set, not a failure. */
const isNotConfigured = (answer: RouteAnswer): boolean => answer.status === 503 && errorCode(answer) === 'NOT_CONFIGURED'

const refusesMaxSeconds = (answer: RouteAnswer): boolean =>
  answer.status === 400 && ((answer.body as { details?: Array<{ field?: unknown }> } | undefined)?.details ?? []).some((d) => d.field === 'body.maxSeconds')

/**
 * Drives one step through its routes. A granular step the way the n8n workflow does: plan, then for each batch fetch
 * and write it (naming planId and offset), stopping after a rate-limited batch; a failed batch does not stop the rest.
 * A simple step is called until it answers done (bounded). Whatever happens ends in one summary, never a throw.
 */
export async function runStep (step: StepDescriptor, options: StepRunOptions): Promise<StepRunResult> {
  const now = options.now ?? (() => new Date())
  const cursor: StepCursor = options.resume ? structuredClone(options.resume) : newCursor(step)
  const call = async (url: string, body?: unknown): Promise<RouteAnswer> => {
    const started = now().getTime()
    try {
      cursor.calls++
      return await options.call('POST', url, body)
    } catch (err) {
      // A caller that throws (the service went away) is a failed call, not a crash of the run.
      return { status: 0, body: { message: err instanceof Error ? err.message : String(err) } }
    } finally {
      cursor.seconds += (now().getTime() - started) / 1000
    }
  }
  const progress = (): void => options.onProgress?.({ step: step.name, title: step.title, done: cursor.processed, total: cursor.total, calls: cursor.calls, upstreamCalls: cursor.upstreamCalls })
  const keep = async (): Promise<void> => { await options.onCursor?.(structuredClone(cursor)) }
  const stop = (): boolean => options.shouldStop?.() === true

  return step.kind === 'granular' ? granular() : simple()

  async function plan (): Promise<StepSummary | undefined> {
    const answer = await call(`${step.path}/plan`, {})
    if (isMissingRoute(answer)) return summaryOf(step, cursor, 'not_available', { message: `no route ${step.path}/plan in this version` })
    if (isNotConfigured(answer)) return summaryOf(step, cursor, 'not_configured', { message: answerMessage(answer) })
    if (answer.status !== 200) return summaryOf(step, cursor, 'failed', { message: answerMessage(answer) })
    const body = answer.body as { planId: string, total: number, batches: Array<{ offset: number, limit: number }> }
    cursor.total = body.total
    cursor.plan = { planId: body.planId, batches: body.batches.map((b) => ({ offset: b.offset, limit: b.limit })), next: 0 }
    await keep()
    progress()
    return undefined
  }

  async function granular (): Promise<StepRunResult> {
    if (!cursor.plan) {
      if (stop()) return { kind: 'paused', cursor }
      const ended = await plan()
      if (ended) return { kind: 'finished', summary: ended }
    }
    if (cursor.total === 0) return { kind: 'finished', summary: summaryOf(step, cursor, 'nothing_to_do') }
    let resumedPlan = Boolean(options.resume?.plan)
    while (cursor.plan!.next < cursor.plan!.batches.length) {
      if (stop()) return { kind: 'paused', cursor }
      const { planId } = cursor.plan!
      const batch = cursor.plan!.batches[cursor.plan!.next]!
      const fetched = await call(`${step.path}/fetch`, { planId, offset: batch.offset, limit: batch.limit })
      const code = errorCode(fetched)
      if (resumedPlan && (code === 'PLAN_NOT_FOUND' || code === 'PLAN_EXPIRED')) {
        // A run paused for longer than a plan lives: plan again (what was written is no longer planned).
        resumedPlan = false
        cursor.plan = null
        const ended = await plan()
        if (ended) return { kind: 'finished', summary: ended }
        if (cursor.total === 0) return { kind: 'finished', summary: summaryOf(step, cursor, 'done') }
        continue
      }
      resumedPlan = false
      if (fetched.status !== 200) {
        failBatch(fetched)
        await keep()
        continue
      }
      const body = fetched.body as { status: string, records: unknown[], failures: unknown[], calls?: number, retryAfterSeconds?: number }
      cursor.upstreamCalls += num(body.calls) ?? 0
      const written = await call(`${step.path}/write`, { records: body.records, failures: body.failures, planId, offset: batch.offset })
      if (written.status !== 200) {
        failBatch(written)
        await keep()
        continue
      }
      const rateLimited = body.status === 'rate_limited'
      cursor.processed += rateLimited ? body.records.length + body.failures.length : batch.limit
      cursor.plan!.next++
      await keep()
      progress()
      if (rateLimited) {
        // The rest of the plan waits for the next run, like the workflow's "stop after a rate-limited batch".
        cursor.plan!.next = cursor.plan!.batches.length
        return { kind: 'finished', summary: ended(summaryOf(step, cursor, 'rate_limited', { retryAfterSeconds: num(body.retryAfterSeconds), message: 'the upstream asked to wait; the rest of the plan waits for the next run' })) }
      }
    }
    return { kind: 'finished', summary: ended(summaryOf(step, cursor, 'done')) }
  }

  function failBatch (answer: RouteAnswer): void {
    cursor.failedBatches++
    cursor.firstError ??= answerMessage(answer)
    cursor.plan!.next++
    progress()
  }

  /** Failed batches turn any ending into a failure that says how many and the first reason. */
  function ended (summary: StepSummary): StepSummary {
    if (cursor.failedBatches === 0) return summary
    const batches = cursor.plan!.batches.length
    return { ...summary, status: 'failed', message: `${cursor.failedBatches} of ${batches} batches failed, the others were written; first: ${cursor.firstError}` }
  }

  async function simple (): Promise<StepRunResult> {
    const maxCalls = options.maxSimpleCalls ?? 1000
    let idle = 0
    let timeBoxed = step.timeBoxed !== false
    for (;;) {
      if (stop()) return { kind: 'paused', cursor }
      if (cursor.calls >= maxCalls) return { kind: 'finished', summary: summaryOf(step, cursor, 'failed', { message: `not done after ${cursor.calls} calls` }) }
      const seconds = timeBoxed ? options.secondsLeft?.() : undefined
      const body = seconds === undefined ? {} : { maxSeconds: Math.min(maxRouteSeconds, Math.max(1, Math.floor(seconds))) }
      let answer = await call(step.path, body)
      if (refusesMaxSeconds(answer) && 'maxSeconds' in body) {
        // A step that takes no time box (its body schema has no maxSeconds) is called without one from then on.
        timeBoxed = false
        answer = await call(step.path, {})
      }
      if (isMissingRoute(answer)) return { kind: 'finished', summary: summaryOf(step, cursor, 'not_available', { message: `no route ${step.path} in this version` }) }
      if (isNotConfigured(answer)) return { kind: 'finished', summary: summaryOf(step, cursor, 'not_configured', { message: answerMessage(answer) }) }
      if (answer.status !== 200) return { kind: 'finished', summary: summaryOf(step, cursor, 'failed', { message: answerMessage(answer) }) }
      const result = answer.body as Record<string, unknown>
      const processed = num(result.processed) ?? num(result.inserted) ?? 0
      const remaining = num(result.remaining) ?? 0
      cursor.processed += processed
      cursor.total = cursor.processed + remaining
      await keep()
      progress()
      if (result.status === 'rate_limited') {
        return { kind: 'finished', summary: summaryOf(step, cursor, 'rate_limited', { retryAfterSeconds: num(result.retryAfterSeconds), message: 'the upstream asked to wait; the next run continues' }) }
      }
      if (result.done !== false) return { kind: 'finished', summary: summaryOf(step, cursor, cursor.processed === 0 ? 'nothing_to_do' : 'done') }
      idle = processed === 0 ? idle + 1 : 0
      if (idle >= noProgressLimit) return { kind: 'finished', summary: summaryOf(step, cursor, 'failed', { message: `made no progress in ${noProgressLimit} calls in a row (${remaining} remaining)` }) }
    }
  }
}
