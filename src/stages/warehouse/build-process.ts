import { fileURLToPath } from 'node:url'
import { forkChild } from '../../child-process.ts'
import { AppError, type ErrorCode, type FieldProblem } from '../../errors.ts'
import { buildWarehouse, TestsFailed, type BuildInput, type BuildOutcome, type ModelResult, type TestResult } from './build.ts'

/**
 * The build runs in a child process of its own (like dbt beside the original system): DuckDB needs 60–100 MB of
 * working memory for a million plays, which the service (about 135 MB at rest on such a lake) cannot add and stay
 * under 200 MB. The child has its own memory limit and dies with the build: a crash or a kill there never takes the
 * service down, and the service's memory is the same after a build as before.
 */

type ParentMessage = { input: Omit<BuildInput, 'progress'> }
type ChildMessage =
  | { progress: { model: ModelResult } | { test: TestResult } }
  | { outcome: BuildOutcome, peakRssBytes: number }
  | { error: { code?: ErrorCode, message: string, details?: FieldProblem[], outcome?: BuildOutcome }, peakRssBytes: number }

export interface ProcessOutcome extends BuildOutcome {
  /** peak resident memory of the build process */
  peakRssBytes: number
}

/** This module run as the child: one build, then exit. */
function runChild (): void {
  const send = (message: ChildMessage): Promise<void> => new Promise((resolve) => process.send!(message, () => resolve()))
  const peak = (): number => process.resourceUsage().maxRSS * 1024
  process.once('message', (message: ParentMessage) => {
    buildWarehouse({ ...message.input, progress: (done) => process.send!({ progress: done } satisfies ChildMessage) })
      .then((outcome) => send({ outcome, peakRssBytes: peak() }))
      .catch((err: unknown) => send({
        peakRssBytes: peak(),
        error: err instanceof AppError
          ? { code: err.code, message: err.message, details: err.details, outcome: err instanceof TestsFailed ? err.outcome : undefined }
          : { message: err instanceof Error ? err.message : String(err) },
      }))
      .finally(() => process.disconnect())
  })
}

const childFile = fileURLToPath(import.meta.url)

export interface BuildProcess {
  result: Promise<ProcessOutcome>
  /** ends the build (the service is closing) */
  kill (): void
}

/** Starts a build in a child process (a DuckDB child's flags, child-process.ts), nothing but this module. */
export function startBuildProcess (input: BuildInput): BuildProcess {
  const { child, lastStderrLine } = forkChild(childFile)
  const { progress, ...rest } = input
  const result = new Promise<ProcessOutcome>((resolve, reject) => {
    let settled = false
    child.on('message', (message: ChildMessage) => {
      if ('progress' in message) {
        progress?.(message.progress)
      } else if ('outcome' in message) {
        settled = true
        resolve({ ...message.outcome, peakRssBytes: message.peakRssBytes })
      } else {
        settled = true
        const { code, message: text, details, outcome } = message.error
        if (code === 'WAREHOUSE_TESTS_FAILED' && outcome) reject(new TestsFailed(text, details ?? [], outcome))
        else if (code) reject(new AppError(code, text, { details }))
        else reject(new AppError('WAREHOUSE_BUILD_FAILED', `the warehouse build failed: ${text.split('\n')[0]}; the previous warehouse is kept`))
      }
    })
    child.on('error', (err) => {
      if (!settled) reject(new AppError('WAREHOUSE_BUILD_FAILED', `the build process could not start: ${err.message}; the previous warehouse is kept`, { cause: err }))
      settled = true
    })
    // 'close', not 'exit': by then the child's stderr is read to its last line.
    child.on('close', (code, signal) => {
      if (settled) return
      const why = signal ? `was killed (${signal})` : `exited with ${code}`
      const last = lastStderrLine()
      reject(new AppError('WAREHOUSE_BUILD_FAILED', `the build process ${why} before it finished${last ? `: ${last}` : ''}; the previous warehouse is kept`))
    })
  })
  child.send({ input: rest } satisfies ParentMessage)
  return { result, kill: () => { child.kill('SIGKILL') } }
}

if (process.send && process.argv[1] === childFile) runChild()
