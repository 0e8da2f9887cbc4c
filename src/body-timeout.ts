import { PassThrough } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { AppError } from './errors.ts'

/**
 * Reads every request body through an idle timer: a body that sends nothing for `idleMs` while the service waits for
 * it fails with 408 (the answer closes the connection), and a client that goes away mid-body fails with
 * REQUEST_ABORTED, logged as information (nobody is left to answer). Time spent with the service busy (the reader
 * applying backpressure) does not count. Fastify's own timeouts cover neither: it has none on bodies.
 */
export function installBodyTimeout (app: FastifyInstance, idleMs: number): void {
  app.addHook('preParsing', async (request, reply, payload) => {
    const raw = request.raw
    const hasBody = raw.headers['transfer-encoding'] !== undefined || Number(raw.headers['content-length'] ?? 0) > 0
    if (!hasBody || raw.complete) return payload

    const body = new PassThrough()
    let timer: NodeJS.Timeout | undefined
    let done = false
    const stop = (err?: Error): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      if (!err) return
      payload.unpipe(body)
      body.destroy(err)
    }
    const arm = (): void => {
      clearTimeout(timer)
      if (done) return
      timer = setTimeout(() => {
        stop(new AppError('REQUEST_TIMEOUT', `the request body sent nothing for ${Math.round(idleMs / 100) / 10} s; the connection is closed`))
      }, idleMs)
    }
    const aborted = (): void => stop(new AppError('REQUEST_ABORTED', 'the client closed the connection before the body was complete'))

    // Readers hear errors through their own listeners; this one keeps an error on a body nobody reads (refused
    // before reading it) from becoming an uncaught exception.
    body.on('error', () => {})
    // Answered: nothing waits for the rest of the body any more. Closed unanswered: the client went away.
    reply.raw.once('close', () => { if (reply.raw.writableFinished) stop(); else aborted() })
    payload.pipe(body)
    // After pipe's own listener: a chunk the reader cannot take yet pauses the clock until it drains.
    payload.on('data', () => { if (body.writableNeedDrain) clearTimeout(timer); else arm() })
    body.on('drain', arm)
    payload.once('end', () => stop())
    payload.once('error', aborted)
    payload.once('close', () => { if (!raw.complete) aborted() })
    body.once('close', () => stop())
    arm()
    return body
  })
}
