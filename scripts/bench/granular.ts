import { ok } from '../lib/http.ts'

export type Resource = 'tracks' | 'artists' | 'albums'

export interface GranularRun {
  planned: number
  batches: number
  /** upstream calls the fetch answers say they made */
  reportedCalls: number
  records: number
  failures: number
  inserted: number
  nonComplete: number
  ms: number
}

interface Batch {
  planId: string
  offset: number
  limit: number
}

/** plan → fetch → write for every batch of one resource, over HTTP, the way the n8n workflow drives it. */
export async function runGranular (baseUrl: string, resource: Resource): Promise<GranularRun> {
  const started = Date.now()
  const plan = (await ok(baseUrl, 'POST', `/v1/spotify/${resource}/plan`, { json: {} })).body as { total: number, batches: Batch[] }
  const run: GranularRun = { planned: plan.total, batches: plan.batches.length, reportedCalls: 0, records: 0, failures: 0, inserted: 0, nonComplete: 0, ms: 0 }
  for (const batch of plan.batches) {
    const fetched = (await ok(baseUrl, 'POST', `/v1/spotify/${resource}/fetch`, {
      json: { planId: batch.planId, offset: batch.offset, limit: batch.limit },
    })).body as { status: string, calls: number, records: unknown[], failures: unknown[] }
    run.reportedCalls += fetched.calls
    run.records += fetched.records.length
    run.failures += fetched.failures.length
    if (fetched.status !== 'complete') run.nonComplete++
    const written = (await ok(baseUrl, 'POST', `/v1/spotify/${resource}/write`, {
      json: { records: fetched.records, failures: fetched.failures },
    })).body as { records: { inserted?: number } }
    run.inserted += written.records.inserted ?? 0
  }
  run.ms = Date.now() - started
  return run
}
