// Property-based fuzzing of every route of openapi/openapi.json (read at run time: a new route is covered the day it
// is documented) and of the export parser. Never a 500, never a hang, never a stack trace or a path in an answer,
// never a write by a refused request, never an open /v1 route without the token, never a process exit.
import { readFileSync } from 'node:fs'
import fs from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import fc from 'fast-check'
import { errorTable } from '../../src/errors.ts'
import { call, type Answer } from '../lib/http.ts'
import { tableFile } from '../lib/lake-integrity.ts'
import { expandDeep, fromSchema, hostileString, hostileValue, mutate, type JsonSchema } from './arbitraries.ts'
import { exportUploads, type Upload } from './fuzz-export.ts'
import type { Section, Suite } from './suite.ts'
import { createWorld, logErrors, must, seedResolvedPlays, settle, type World } from './world.ts'

const token = 'fuzz-token-5b0d7c1e9a'
const requestTimeoutMs = 30_000

interface Operation {
  method: string
  template: string
  parameters: Array<{ name: string, in: string, required?: boolean, schema: JsonSchema }>
  body?: JsonSchema
  bodyTypes: string[]
}

export interface FuzzRequest {
  method: string
  /** path and query as sent, not normalised */
  path: string
  body?: { raw: string | Buffer, contentType?: string }
  auth: 'token' | 'none' | 'wrong'
  /** what was generated, for the violation message */
  note: string
}

function operations (document: any): Operation[] {
  const out: Operation[] = []
  for (const [template, methods] of Object.entries(document.paths as Record<string, Record<string, any>>)) {
    for (const [method, op] of Object.entries(methods)) {
      const content = op.requestBody?.content ?? {}
      out.push({
        method: method.toUpperCase(),
        template,
        parameters: op.parameters ?? [],
        body: content['application/json']?.schema,
        bodyTypes: Object.keys(content),
      })
    }
  }
  return out
}

/** Percent-encodes a value for a path or query, byte by byte (a lone surrogate becomes U+FFFD's bytes, as UTF-8 does). */
function encode (value: string, raw: boolean): string {
  if (raw && /^[\x21-\x7e]*$/.test(value) && !/[?#&=]/.test(value)) return value
  return [...Buffer.from(value, 'utf8')].map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('')
}

const asText = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v) ?? 'undefined')

const wrongTypes = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/json; charset=utf-16', 'application/zip']

function requestArbitrary (op: Operation, components: Record<string, JsonSchema>, hints: Record<string, string[]>): fc.Arbitrary<FuzzRequest> {
  const pathParams = op.parameters.filter((p) => p.in === 'path')
  const queryParams = op.parameters.filter((p) => p.in === 'query')
  const paramValue = (p: Operation['parameters'][number]): fc.Arbitrary<{ value: string, raw: boolean } | undefined> => fc.oneof(
    { arbitrary: fromSchema(p.schema, components, hints, 0, p.name).map((v) => ({ value: asText(v), raw: false })), weight: 3 },
    { arbitrary: hostileValue.map((v) => ({ value: asText(v).slice(0, 3000), raw: false })), weight: 2 },
    { arbitrary: hostileString.map((v) => ({ value: v.slice(0, 3000), raw: true })), weight: 1 },
    { arbitrary: fc.constant(undefined), weight: p.in === 'path' ? 0 : 1 }
  )
  const path = fc.tuple(...pathParams.map(paramValue)).map((values) => {
    let out = op.template
    pathParams.forEach((p, i) => { out = out.replace(`{${p.name}}`, values[i] ? encode(values[i].value, values[i].raw) : '') })
    return out
  })
  const extraQuery = fc.constantFrom('', '', '', '&limit=1&limit=2', '&%ZZ=1', '&a[b]=c', '&__proto__[x]=1', `&x=${'y'.repeat(10_000)}`, '&=&&=')
  const query = fc.tuple(fc.tuple(...queryParams.map(paramValue)), extraQuery).map(([values, extra]) => {
    const parts = queryParams.flatMap((p, i) => (values[i] ? [`${encode(p.name, false)}=${encode(values[i].value, values[i].raw)}`] : []))
    const text = parts.join('&') + extra
    return text ? `?${text.replace(/^&/, '')}` : ''
  })
  const valid = op.body ? fromSchema(op.body, components, hints) : fc.constant(undefined)
  const jsonBody = (note: string) => (v: unknown) => ({ body: { raw: expandDeep(JSON.stringify(v) ?? 'null'), contentType: 'application/json' }, note })
  const body: fc.Arbitrary<{ body?: FuzzRequest['body'], note: string }> = op.method === 'GET'
    ? fc.constant({ note: 'query' })
    : fc.oneof(
      { arbitrary: valid.map(jsonBody('valid-shaped body')), weight: 3 },
      { arbitrary: valid.chain((v) => mutate(v ?? {})).map(jsonBody('body with a hostile value')), weight: 4 },
      { arbitrary: valid.map((v) => JSON.stringify(v ?? {})).chain((text) => fc.nat(text.length).map((cut) => ({ body: { raw: text.slice(0, cut), contentType: 'application/json' }, note: 'truncated JSON' }))), weight: 1 },
      { arbitrary: fc.constantFrom('not json', '{"a":', '[', '', '\u0000', '{"a":1}{"b":2}', '{"a":1,"a":2}', '["\\ud800"]', '{"__proto__":{"polluted":true}}', '1e400').map((raw) => ({ body: { raw, contentType: 'application/json' }, note: 'raw body' })), weight: 1 },
      { arbitrary: fc.tuple(fc.constantFrom(...wrongTypes), valid).map(([contentType, v]) => ({ body: { raw: JSON.stringify(v ?? {}), contentType }, note: `Content-Type ${contentType}` })), weight: 1 },
      { arbitrary: fc.constant({ note: 'no body' }), weight: 1 }
    )
  const auth = fc.constantFrom<FuzzRequest['auth']>('token', 'token', 'token', 'token', 'token', 'token', 'token', 'token', 'none', 'wrong')
  return fc.tuple(path, query, body, auth).map(([p, q, b, a]) => ({ method: op.method, path: p + q, body: b.body, auth: a, note: b.note }))
}

/** Identity of every table file: a commit renames a new file in, so a write shows as a new inode. */
async function lakeStamp (world: World): Promise<Map<string, string>> {
  const stamp = new Map<string, string>()
  for (const table of world.tables) {
    const stat = await fs.stat(tableFile(world.service.dataDir, table.name)).catch(() => undefined)
    stamp.set(table.name, stat ? `${stat.ino}:${stat.size}:${stat.mtimeMs}` : 'missing')
  }
  return stamp
}

/** After a request got no answer: waits until the service either exits (a crash on its way out) or answers /health. */
async function exitOrAnswer (world: World): Promise<void> {
  for (let waited = 0; waited < 20_000 && !world.service.exit; waited += 250) {
    const health = await call(world.service.url, 'GET', '/health', undefined, { timeoutMs: 1000 }).catch(() => undefined)
    if (health?.status === 200) return
    await sleep(250)
  }
}

/** A clear 5xx names one of our codes with its status; anything else 5xx is a failure of ours. */
function clear5xx (answer: Answer): boolean {
  const code = answer.body?.code as keyof typeof errorTable | undefined
  return answer.status < 500 || (code !== undefined && code !== 'INTERNAL_ERROR' && errorTable[code]?.status === answer.status)
}

export interface Fuzzer {
  send (name: string, request: FuzzRequest, world: World): Promise<void>
}

/** Sends one generated request and checks everything a hostile request must not achieve. */
function createFuzzer (section: Section): Fuzzer {
  return {
    async send (name, request, world) {
      const before = await lakeStamp(world)
      const headers: Record<string, string> = request.auth === 'token' ? { authorization: `Bearer ${token}` } : request.auth === 'wrong' ? { authorization: `Bearer ${token}x` } : {}
      const sent = `${request.path} ${typeof request.body?.raw === 'string' ? request.body.raw.slice(0, 100_000) : ''}`
      const answer = await section.call(name, world.service, request.method, request.path, request.body, { headers, timeoutMs: requestTimeoutMs, sent, expect: [502, 503, 504], closedOk: true })
      const what = `${request.method} ${request.path.slice(0, 100)} (${request.note}, auth ${request.auth})`
      if (answer.ms > 2000) section.log(`${name}: ${what} took ${(answer.ms / 1000).toFixed(1)} s (${answer.status})`)
      if (answer.status === 0) await exitOrAnswer(world)
      // A 500 is reported by the call itself; another 5xx must name one of our codes.
      if (answer.status !== 500 && !clear5xx(answer)) section.violation(name, `${what} answered ${answer.status} without a clear code: ${answer.text.slice(0, 200)}`)
      const route = request.path.split('?')[0]!
      // Without the token a /v1 route may refuse in any way (401, or 414 and 431 from the HTTP parser), never serve.
      if (request.auth !== 'token' && route.startsWith('/v1/')) {
        if (answer.status >= 200 && answer.status < 400) section.violation(name, `${what} answered ${answer.status} without a valid token`)
        else section.count('auth', `refused without the token: ${answer.status}`)
      }
      if (world.service.exit) {
        section.violation(name, `the service exited (${world.service.exit}) on ${what}`)
        await world.restart()
        return
      }
      if (answer.status >= 200 && answer.status < 300) {
        await settle(world.service)
        return
      }
      const after = await lakeStamp(world)
      const changed = [...after].filter(([table, stamp]) => before.get(table) !== stamp).map(([table]) => table)
      if (changed.length > 0) section.violation(name, `${what} was refused (${answer.status}) but changed ${changed.join(', ')}`)
    },
  }
}

export async function runFuzzSection (suite: Suite): Promise<void> {
  const section = suite.section('fuzz')
  const document = JSON.parse(readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8'))
  const ops = operations(document)
  const wanted = ops.filter((op) => section.selected(`${op.method} ${op.template}`))
  const exportCase = 'export parser'
  if (wanted.length === 0 && !section.selected(exportCase)) return
  const world = await createWorld('fuzz', { spotifyArtists: 30, listenbrainz: true, musicbrainz: true, env: { TRACKLAKE_API_TOKEN: token } })
  const fuzzer = createFuzzer(section)
  try {
    await seedResolvedPlays(section, 'setup', world)
    const hints = await realValues(section, world)
    for (const op of wanted) {
      const name = `${op.method} ${op.template}`
      const seed = section.random(name).int(0, 2 ** 31 - 1)
      const requests = fc.sample(requestArbitrary(op, document.components?.schemas ?? {}, hints), { seed, numRuns: suite.options.fuzzRuns })
      for (const request of requests) {
        section.trial(name)
        await fuzzer.send(name, request, world)
      }
      section.count('routes', `${op.method} ${op.template}`, requests.length)
    }
    if (section.selected(exportCase)) {
      const seed = section.random(exportCase).int(0, 2 ** 31 - 1)
      for (const upload of await exportUploads(seed, suite.options.fuzzRuns * 2)) {
        section.trial(exportCase)
        section.count(exportCase, upload.kind)
        await fuzzer.send(exportCase, uploadRequest(upload), world)
      }
    }
    const read = await world.reader.read(world.service.dataDir, world.tables)
    for (const problem of read.problems) section.violation('tables', problem)
    section.rows(read.rows)
  } catch (err) {
    section.violation('fuzz', `the section stopped: ${(err as Error).stack ?? err}`)
  } finally {
    logErrors(section, 'fuzz', world)
    await world.close()
  }
}

function uploadRequest (upload: Upload): FuzzRequest {
  return { method: 'POST', path: upload.path, body: { raw: upload.body, contentType: upload.contentType }, auth: 'token', note: upload.kind }
}

/** Real ids for the generators to use now and then: table names, plan ids, step names. */
async function realValues (section: Section, world: World): Promise<Record<string, string[]>> {
  const planIds: string[] = []
  for (const resource of ['tracks', 'artists', 'albums']) {
    const plan = await must(section, 'setup', world.service, 'POST', `/v1/spotify/${resource}/plan`, { json: { limit: 10 } })
    if (plan?.body.planId) planIds.push(plan.body.planId)
  }
  return { name: world.tables.map((t) => t.name), planId: planIds, step: ['spotify.artists', 'ingest.streaming-history', 'spotify'], file: ['Streaming_History_Audio_2024.json'] }
}
