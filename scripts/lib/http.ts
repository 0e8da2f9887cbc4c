import { createReadStream } from 'node:fs'
import fs from 'node:fs/promises'
import http from 'node:http'
import { performance } from 'node:perf_hooks'

export type Body = { json: unknown } | { file: string, contentType: string } | { raw: string | Buffer, contentType?: string }

export interface CallOptions {
  headers?: Record<string, string>
  /** give up after this long: the call rejects with a CallTimeout and the connection is dropped */
  timeoutMs?: number
}

export class CallTimeout extends Error {
  constructor (method: string, path: string, ms: number) {
    super(`${method} ${path} did not answer within ${ms / 1000} s`)
    this.name = 'CallTimeout'
  }
}

export interface Answer {
  status: number
  body: any
  /** the body as received */
  text: string
  ms: number
}

/** One request to the service, timed from the first byte sent to the last byte received. */
export async function call (baseUrl: string, method: string, path: string, body?: Body, options: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string | number> = { ...options.headers }
  let payload: Buffer | undefined
  if (body && 'json' in body) {
    payload = Buffer.from(JSON.stringify(body.json))
    headers['content-type'] = 'application/json'
    headers['content-length'] = payload.length
  } else if (body && 'raw' in body) {
    payload = Buffer.isBuffer(body.raw) ? body.raw : Buffer.from(body.raw)
    if (body.contentType !== undefined) headers['content-type'] = body.contentType
    headers['content-length'] = payload.length
  } else if (body) {
    headers['content-type'] = body.contentType
    headers['content-length'] = (await fs.stat(body.file)).size
  }
  const started = performance.now()
  const { status, text } = await new Promise<{ status: number, text: string }>((resolve, reject) => {
    // The path goes out as given, not normalised by URL: `/v1/tables/../x` reaches the service as written.
    const base = new URL(baseUrl)
    const req = http.request({ hostname: base.hostname, port: base.port, path, method, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    if (options.timeoutMs !== undefined) {
      // A deadline for the whole exchange, not an idle timeout: a service trickling its answer still fails it.
      const timer = setTimeout(() => {
        reject(new CallTimeout(method, path, options.timeoutMs!))
        req.destroy()
      }, options.timeoutMs)
      req.on('close', () => clearTimeout(timer))
    }
    if (body && 'file' in body) createReadStream(body.file).on('error', reject).pipe(req)
    else req.end(payload)
  })
  const elapsed = performance.now() - started
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {}
  return { status, body: parsed, text, ms: elapsed }
}

/** Like call, but a status other than 200 is an error naming the route and the service's answer. */
export async function ok (baseUrl: string, method: 'GET' | 'POST', path: string, body?: Body, options: CallOptions = {}): Promise<Answer> {
  const answer = await call(baseUrl, method, path, body, options)
  if (answer.status !== 200) {
    const detail = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body)
    throw new Error(`${method} ${path} answered ${answer.status}: ${detail.slice(0, 400)}`)
  }
  return answer
}
