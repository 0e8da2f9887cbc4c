import { describe, expect, it } from 'vitest'
import type { RouteAnswer, RouteCaller } from '../../src/daily/route-caller.ts'
import { runStep, type StepCursor, type StepProgressEvent } from '../../src/daily/step-runner.ts'
import type { StepDescriptor } from '../../src/daily/steps.ts'

const granular: StepDescriptor = { name: 'toy-things', title: 'Toy things', kind: 'granular', path: '/v1/toy/things' }
const simple: StepDescriptor = { name: 'toy-parse', title: 'Toy parse', kind: 'simple', path: '/v1/toy/parse' }

const ok = (body: unknown): RouteAnswer => ({ status: 200, body })
const error = (status: number, code: string, message: string): RouteAnswer => ({ status, body: { statusCode: status, code, message } })
const missingRoute = error(404, 'ROUTE_NOT_FOUND', 'no route')

/** A caller answering from a script per URL, recording every call. */
function scripted (handlers: Record<string, (body: any, n: number) => RouteAnswer>) {
  const calls: Array<{ url: string, body: any }> = []
  const counts = new Map<string, number>()
  const call: RouteCaller = async (_method, url, body) => {
    calls.push({ url, body })
    const n = (counts.get(url) ?? 0) + 1
    counts.set(url, n)
    const handler = handlers[url]
    return handler ? handler(body, n) : missingRoute
  }
  return { call, calls }
}

const plan = (total: number, batchSize: number) => ok({
  planId: 'plan-1',
  total,
  batches: Array.from({ length: Math.ceil(total / batchSize) }, (_, i) => ({ planId: 'plan-1', batchIndex: i, offset: i * batchSize, limit: Math.min(batchSize, total - i * batchSize) })),
})
const fetched = (body: { offset: number, limit: number }, status = 'complete', extra = {}) => ok({
  planId: 'plan-1', offset: body.offset, limit: body.limit, status, calls: body.limit, records: Array.from({ length: body.limit }, (_, i) => ({ id: `r${body.offset + i}` })), failures: [], ...extra,
})

describe('the step runner, granular steps', () => {
  it('plans, then fetches and writes each batch naming planId and offset, and reports progress', async () => {
    const { call, calls } = scripted({
      '/v1/toy/things/plan': () => plan(5, 2),
      '/v1/toy/things/fetch': (body) => fetched(body),
      '/v1/toy/things/write': () => ok({ records: { inserted: 2 }, failures: { recorded: 0, unchanged: 0 } }),
    })
    const events: StepProgressEvent[] = []
    const result = await runStep(granular, { call, onProgress: (e) => events.push(e) })
    expect(calls.map((c) => c.url.split('/').at(-1))).toEqual(['plan', 'fetch', 'write', 'fetch', 'write', 'fetch', 'write'])
    expect(calls[2]!.body).toEqual({ records: [{ id: 'r0' }, { id: 'r1' }], failures: [], planId: 'plan-1', offset: 0 })
    expect(calls[5]!.body).toEqual({ planId: 'plan-1', offset: 4, limit: 1 })
    expect(events.map((e) => `${e.done}/${e.total}`)).toEqual(['0/5', '2/5', '4/5', '5/5'])
    expect(result).toMatchObject({ kind: 'finished', summary: { step: 'toy-things', status: 'done', processed: 5, total: 5, calls: 7, upstreamCalls: 5, failedBatches: 0 } })
  })

  it('an empty plan is "nothing to do"', async () => {
    const { call, calls } = scripted({ '/v1/toy/things/plan': () => plan(0, 2) })
    expect(await runStep(granular, { call })).toMatchObject({ kind: 'finished', summary: { status: 'nothing_to_do', total: 0 } })
    expect(calls).toHaveLength(1)
  })

  it('stops after a rate-limited batch (written first) and says when to retry', async () => {
    const { call, calls } = scripted({
      '/v1/toy/things/plan': () => plan(6, 2),
      '/v1/toy/things/fetch': (body, n) => n === 2 ? fetched({ offset: body.offset, limit: 1 }, 'rate_limited', { retryAfterSeconds: 48925 }) : fetched(body),
      '/v1/toy/things/write': () => ok({}),
    })
    const result = await runStep(granular, { call })
    expect(calls.map((c) => c.url.split('/').at(-1))).toEqual(['plan', 'fetch', 'write', 'fetch', 'write'])
    expect(result).toMatchObject({ kind: 'finished', summary: { status: 'rate_limited', retryAfterSeconds: 48925, processed: 3, total: 6 } })
  })

  it('a failed batch does not stop the rest; the step fails saying how many and why', async () => {
    const { call, calls } = scripted({
      '/v1/toy/things/plan': () => plan(6, 2),
      '/v1/toy/things/fetch': (body, n) => n === 1 ? error(502, 'UPSTREAM_FAILED', 'the toy upstream is down') : fetched(body),
      '/v1/toy/things/write': () => ok({}),
    })
    const result = await runStep(granular, { call })
    expect(calls.map((c) => c.url.split('/').at(-1))).toEqual(['plan', 'fetch', 'fetch', 'write', 'fetch', 'write'])
    expect(result).toMatchObject({
      kind: 'finished',
      summary: { status: 'failed', processed: 4, failedBatches: 1, message: '1 of 3 batches failed, the others were written; first: UPSTREAM_FAILED: the toy upstream is down' },
    })
  })

  it('a route that does not exist yet is "not available"; a stage without its credential is "not configured"; a refused plan is a failure with its message', async () => {
    expect(await runStep(granular, { call: scripted({}).call })).toMatchObject({ kind: 'finished', summary: { status: 'not_available' } })
    const refused = scripted({ '/v1/toy/things/plan': () => error(503, 'NOT_CONFIGURED', 'Toy is not configured: set TOY_KEY') })
    expect(await runStep(granular, { call: refused.call })).toMatchObject({ kind: 'finished', summary: { status: 'not_configured', message: 'NOT_CONFIGURED: Toy is not configured: set TOY_KEY' } })
    const down = scripted({ '/v1/toy/things/plan': () => error(503, 'LAKE_UNAVAILABLE', 'the lake cannot be opened') })
    expect(await runStep(granular, { call: down.call })).toMatchObject({ kind: 'finished', summary: { status: 'failed', message: 'LAKE_UNAVAILABLE: the lake cannot be opened' } })
    const thrown: RouteCaller = async () => { throw new Error('connect ECONNREFUSED 127.0.0.1:8080') }
    expect(await runStep(granular, { call: thrown })).toMatchObject({ kind: 'finished', summary: { status: 'failed', message: 'connect ECONNREFUSED 127.0.0.1:8080' } })
  })

  it('pauses between batches when asked and continues from its cursor; a plan gone meanwhile is made again', async () => {
    let stop = false
    const cursors: StepCursor[] = []
    const handlers = {
      '/v1/toy/things/plan': () => plan(6, 2),
      '/v1/toy/things/fetch': (body: any) => { stop = true; return fetched(body) },
      '/v1/toy/things/write': () => ok({}),
    }
    const first = scripted(handlers)
    const paused = await runStep(granular, { call: first.call, shouldStop: () => stop, onCursor: async (c) => { cursors.push(c) } })
    expect(paused.kind).toBe('paused')
    if (paused.kind !== 'paused') return
    expect(paused.cursor).toMatchObject({ processed: 2, total: 6, plan: { planId: 'plan-1', next: 1 } })
    expect(cursors.at(-1)).toEqual(paused.cursor)

    stop = false
    const second = scripted({ ...handlers, '/v1/toy/things/fetch': (body: any) => fetched(body) })
    const resumed = await runStep(granular, { call: second.call, resume: paused.cursor })
    expect(second.calls.map((c) => c.body.offset ?? c.url)).toEqual([2, 2, 4, 4])
    expect(resumed).toMatchObject({ kind: 'finished', summary: { status: 'done', processed: 6, calls: 7 } })

    const expired = scripted({ ...handlers, '/v1/toy/things/fetch': (body: any, n: number) => n === 1 ? error(404, 'PLAN_EXPIRED', 'expired') : fetched(body), '/v1/toy/things/plan': () => plan(4, 2) })
    const replanned = await runStep(granular, { call: expired.call, resume: paused.cursor })
    expect(expired.calls.map((c) => c.url.split('/').at(-1))).toEqual(['fetch', 'plan', 'fetch', 'write', 'fetch', 'write'])
    expect(replanned).toMatchObject({ kind: 'finished', summary: { status: 'done', failedBatches: 0 } })
  })
})

describe('the step runner, simple steps', () => {
  it('calls until done, passing the time left as maxSeconds', async () => {
    const remaining = [3, 1, 0]
    const { call, calls } = scripted({ '/v1/toy/parse': (_body, n) => ok({ done: remaining[n - 1] === 0, processed: 2, remaining: remaining[n - 1], status: 'complete' }) })
    const events: StepProgressEvent[] = []
    const result = await runStep(simple, { call, secondsLeft: () => 42.7, onProgress: (e) => events.push(e) })
    expect(calls.map((c) => c.body)).toEqual([{ maxSeconds: 42 }, { maxSeconds: 42 }, { maxSeconds: 42 }])
    expect(events.map((e) => `${e.done}/${e.total}`)).toEqual(['2/5', '4/5', '6/6'])
    expect(result).toMatchObject({ kind: 'finished', summary: { status: 'done', processed: 6, calls: 3 } })
  })

  it('a step whose body takes no maxSeconds is called without one', async () => {
    const { call, calls } = scripted({
      '/v1/toy/parse': (body) => 'maxSeconds' in body
        ? { status: 400, body: { code: 'VALIDATION_FAILED', message: 'body.maxSeconds is not allowed', details: [{ field: 'body.maxSeconds', problem: 'is not allowed' }] } }
        : ok({ done: true, processed: 4, remaining: 0, status: 'complete' }),
    })
    expect(await runStep(simple, { call, secondsLeft: () => 30 })).toMatchObject({ kind: 'finished', summary: { status: 'done', processed: 4 } })
    expect(calls.map((c) => c.body)).toEqual([{ maxSeconds: 30 }, {}])
  })

  it('nothing processed is "nothing to do"; rate limited says when; no progress is bounded', async () => {
    const idle = scripted({ '/v1/toy/parse': () => ok({ done: true, processed: 0, remaining: 0, status: 'complete' }) })
    expect(await runStep(simple, { call: idle.call })).toMatchObject({ kind: 'finished', summary: { status: 'nothing_to_do' } })
    const limited = scripted({ '/v1/toy/parse': () => ok({ done: false, processed: 1, remaining: 9, status: 'rate_limited', retryAfterSeconds: 30 }) })
    expect(await runStep(simple, { call: limited.call })).toMatchObject({ kind: 'finished', summary: { status: 'rate_limited', retryAfterSeconds: 30 } })
    const stuck = scripted({ '/v1/toy/parse': () => ok({ done: false, processed: 0, remaining: 9, status: 'complete' }) })
    expect(await runStep(simple, { call: stuck.call })).toMatchObject({ kind: 'finished', summary: { status: 'failed', calls: 3 } })
    const endless = scripted({ '/v1/toy/parse': () => ok({ done: false, processed: 1, remaining: 9, status: 'complete' }) })
    expect(await runStep(simple, { call: endless.call, maxSimpleCalls: 5 })).toMatchObject({ kind: 'finished', summary: { status: 'failed', message: 'not done after 5 calls' } })
    expect(await runStep(simple, { call: scripted({}).call })).toMatchObject({ kind: 'finished', summary: { status: 'not_available' } })
  })
})
