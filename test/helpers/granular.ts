import request from 'supertest'
import type { FastifyInstance } from 'fastify'

export interface StepRun {
  planId: string
  total: number
  batches: number
  fetched: Array<{ status: string, records: Array<Record<string, any>>, failures: Array<Record<string, any>>, retryAfterSeconds?: number }>
  stoppedBy?: 'rate_limited'
}

/**
 * Drives a granular step the way the n8n workflow does: plan, then for each batch fetch and write it before the next
 * batch, stopping after a rate-limited batch.
 */
export async function runStep (app: FastifyInstance, path: string, plan: { limit?: number, batchSize?: number } = {}): Promise<StepRun> {
  const planned = await request(app.server).post(`${path}/plan`).send(plan)
  if (planned.status !== 200) throw new Error(`plan answered ${planned.status}: ${JSON.stringify(planned.body)}`)
  const run: StepRun = { planId: planned.body.planId, total: planned.body.total, batches: planned.body.batches.length, fetched: [] }
  for (const batch of planned.body.batches) {
    const fetched = await request(app.server).post(`${path}/fetch`).send({ planId: batch.planId, offset: batch.offset, limit: batch.limit })
    if (fetched.status !== 200) throw new Error(`fetch answered ${fetched.status}: ${JSON.stringify(fetched.body)}`)
    run.fetched.push(fetched.body)
    const written = await request(app.server).post(`${path}/write`).send({ records: fetched.body.records, failures: fetched.body.failures, planId: batch.planId, offset: batch.offset })
    if (written.status !== 200) throw new Error(`write answered ${written.status}: ${JSON.stringify(written.body)}`)
    if (fetched.body.status === 'rate_limited') {
      run.stoppedBy = 'rate_limited'
      break
    }
  }
  return run
}

export async function tableRows (app: FastifyInstance, table: string): Promise<Array<Record<string, any>>> {
  const rows: Array<Record<string, any>> = []
  for (let offset = 0; ; offset += 1000) {
    const page = await request(app.server).get(`/v1/tables/${table}?limit=1000&offset=${offset}`)
    rows.push(...page.body.rows)
    if (page.body.rows.length < 1000) return rows
  }
}
