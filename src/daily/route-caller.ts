import type { FastifyInstance } from 'fastify'

export interface RouteAnswer {
  status: number
  body: unknown
}

/** Calls one route of the service: in-process (`app.inject`) or over HTTP, the runner cannot tell the difference. */
export type RouteCaller = (method: 'GET' | 'POST', url: string, body?: unknown) => Promise<RouteAnswer>

function parse (text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text)
  } catch {
    return text
  }
}

/** The same app, the same implementation: the routes are called in-process, with the bearer token when one is set. */
export function injectCaller (app: FastifyInstance, token: string | undefined): RouteCaller {
  const headers = token ? { authorization: `Bearer ${token}` } : {}
  return async (method, url, body) => {
    const response = await app.inject({ method, url, headers, ...(method === 'POST' ? { payload: (body ?? {}) as object } : {}) })
    return { status: response.statusCode, body: parse(response.body) }
  }
}

/** A running service, for a CLI on the same lake while the service holds it. */
export function httpCaller (baseUrl: string, token: string | undefined, fetchImpl: typeof fetch = fetch): RouteCaller {
  const base = baseUrl.replace(/\/+$/, '')
  return async (method, url, body) => {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {}
    if (method === 'POST') headers['content-type'] = 'application/json'
    const response = await fetchImpl(`${base}${url}`, { method, headers, ...(method === 'POST' ? { body: JSON.stringify(body ?? {}) } : {}) })
    return { status: response.status, body: parse(await response.text()) }
  }
}

/** The `message` of an error answer, or a short description of the answer. */
export function answerMessage (answer: RouteAnswer): string {
  const body = answer.body as { message?: unknown, code?: unknown } | undefined
  if (typeof body?.message === 'string') return typeof body.code === 'string' ? `${body.code}: ${body.message}` : body.message
  return `answered HTTP ${answer.status}`
}

export function errorCode (answer: RouteAnswer): string | undefined {
  const code = (answer.body as { code?: unknown } | undefined)?.code
  return typeof code === 'string' ? code : undefined
}
