import path from 'node:path'
import type { Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../config.ts'
import { httpCaller, injectCaller, type RouteAnswer, type RouteCaller } from '../daily/route-caller.ts'
import { createStateStore, type StateStore } from '../lake/state-store.ts'
import { acquireLake, currentOwner, LakeBusy, ownerUrl } from './lake-owner.ts'
import { CliFailure, type CliIo } from './io.ts'

/** Sends a body from a stream (an export zip, a history file) to a route. */
export type StreamUpload = (url: string, contentType: string, body: Readable, bytes: number) => Promise<RouteAnswer>

/** The service a command works with: the app in this process on the lake, or the running service that holds it. */
export interface ServiceHandle {
  mode: 'in-process' | 'remote'
  /** where the remote service answers */
  url?: string
  call: RouteCaller
  upload: StreamUpload
  /** state/ of the lake (in-process only) */
  state?: StateStore
  close (): Promise<void>
}

/**
 * Opens the lake in this process, or, when the service holds it, talks to the service over HTTP: the same routes
 * either way. Another CLI command holding the lake is a failure naming it.
 */
export async function openService (config: Config, io: CliIo, command: string): Promise<ServiceHandle> {
  const owner = await currentOwner(config.dataDir)
  const url = owner?.command === 'serve' ? ownerUrl(owner) : undefined
  if (owner && url) {
    io.info(`the service (pid ${owner.pid}) holds the lake in ${config.dataDir}: working through it at ${url}`)
    return remoteService(url, config.apiToken)
  }
  let lock
  try {
    lock = await acquireLake(config.dataDir, command)
  } catch (err) {
    if (err instanceof LakeBusy) throw new CliFailure(`${err.message}; wait for it to finish`)
    throw err
  }
  let app: FastifyInstance
  try {
    // Log lines go to stderr, errors only unless LOG_LEVEL asks for more: stdout is for progress and results, and a
    // step's refusal (a missing credential) is in its summary already.
    // Imported here: commands that fail before opening the lake answer without loading DuckDB and the app.
    const { buildApp } = await import('../app.ts')
    app = await buildApp({ ...config, logLevel: io.env.LOG_LEVEL ? config.logLevel : 'error' }, { logStream: process.stderr })
    await app.ready()
  } catch (err) {
    await lock.release()
    throw err
  }
  const headers = config.apiToken ? { authorization: `Bearer ${config.apiToken}` } : {}
  return {
    mode: 'in-process',
    call: injectCaller(app, config.apiToken),
    async upload (url, contentType, body, bytes) {
      const response = await app.inject({ method: 'POST', url, headers: { ...headers, 'content-type': contentType, 'content-length': String(bytes) }, payload: body })
      return { status: response.statusCode, body: parseBody(response.body) }
    },
    state: createStateStore(path.join(config.dataDir, 'state')),
    async close () {
      try {
        await app.close()
      } finally {
        await lock.release()
      }
    },
  }
}

function remoteService (url: string, token: string | undefined): ServiceHandle {
  const call = httpCaller(url, token)
  return {
    mode: 'remote',
    url,
    async call (method, route, body) {
      try {
        return await call(method, route, body)
      } catch (err) {
        throw new CliFailure(`the service at ${url} does not answer (${err instanceof Error ? err.message : String(err)})`)
      }
    },
    async upload (route, contentType, body, bytes) {
      const headers: Record<string, string> = { 'content-type': contentType, 'content-length': String(bytes) }
      if (token) headers.authorization = `Bearer ${token}`
      const response = await fetch(`${url}${route}`, { method: 'POST', headers, body: body as unknown as ReadableStream, duplex: 'half' } as RequestInit)
      return { status: response.status, body: parseBody(await response.text()) }
    },
    async close () {},
  }
}

function parseBody (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
