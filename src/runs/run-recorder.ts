import type { FastifyInstance, FastifyRequest } from 'fastify'
import { truncate } from '../errors.ts'
import type { Secrets } from '../secrets.ts'
import { maxRunErrorChars, type RunLog, type RunStatus } from './run-log.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set on step routes: every call leaves a run record named by it (e.g. spotify.artists.fetch). */
    step?: string
  }
}

const maxPlanIdChars = 80

/** Numbers at the top level (and one level down) of a step's answer; arrays count their items. */
export function countsOf (payload: unknown): Record<string, number> {
  const counts: Record<string, number> = {}
  if (!payload || typeof payload !== 'object') return counts
  for (const [key, value] of Object.entries(payload)) {
    if (typeof value === 'number') counts[key] = value
    else if (Array.isArray(value)) counts[key] = value.length
    else if (value && typeof value === 'object') {
      for (const [inner, innerValue] of Object.entries(value)) {
        if (typeof innerValue === 'number') counts[`${key}.${inner}`] = innerValue
      }
    }
  }
  return counts
}

/** Records every call of a route that has `config.step`, whatever its outcome. */
export function installRunRecorder (app: FastifyInstance, runs: RunLog, secrets: Secrets): void {
  const payloads = new WeakMap<FastifyRequest, unknown>()

  // onSend sees every answer, error bodies included (preSerialization skips those).
  app.addHook('onSend', async (request, _reply, payload) => {
    if (request.routeOptions.config?.step && typeof payload === 'string') {
      try {
        payloads.set(request, JSON.parse(payload))
      } catch {
        // not JSON: no counts to record
      }
    }
    return payload
  })

  app.addHook('onResponse', async (request, reply) => {
    const step = request.routeOptions.config?.step
    if (!step) return
    const payload = payloads.get(request) as Record<string, unknown> | undefined
    const httpStatus = reply.statusCode
    const status: RunStatus = httpStatus >= 400 ? 'error' : payload?.status === 'rate_limited' ? 'rate_limited' : 'ok'
    const body = request.body as Record<string, unknown> | undefined
    const named = typeof payload?.planId === 'string' ? payload.planId : typeof body?.planId === 'string' ? body.planId : null
    // A body's planId is the caller's word, even when validation refused it: kept only as long as a plan id can be.
    const planId = named === null ? null : truncate(named, maxPlanIdChars)
    const message = httpStatus >= 400 && typeof payload?.message === 'string' ? secrets.scrubDeep(payload.message, { maxChars: maxRunErrorChars }) : null
    // A code from the one error table (short, never a secret): the run summary tells "not configured" from a failure by it.
    const code = httpStatus >= 400 && typeof payload?.code === 'string' && /^[A-Z_]{1,40}$/.test(payload.code) ? payload.code : undefined
    await runs.record({
      step,
      startedAt: new Date(Date.now() - reply.elapsedTime).toISOString(),
      durationMs: Math.round(reply.elapsedTime),
      status,
      httpStatus,
      counts: httpStatus >= 400 ? {} : countsOf(payload),
      error: message,
      ...(code !== undefined ? { code } : {}),
      planId,
    })
  })
}
