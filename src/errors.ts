/**
 * The one table of error codes: the HTTP status each answers with, whether calling again can help (n8n and scripts
 * read `retryable`), and what it means. Routes list the codes they can answer; the OpenAPI document shows them.
 */
export const errorTable = {
  VALIDATION_FAILED: { status: 400, retryable: false, meaning: 'the request is invalid; the message names the field' },
  INVALID_EXPORT: { status: 400, retryable: false, meaning: 'the upload is not a readable Spotify export' },
  OFFSET_OUT_OF_RANGE: { status: 400, retryable: false, meaning: 'the offset lies outside the plan' },
  REQUEST_ABORTED: { status: 400, retryable: true, meaning: 'the client went away mid-body (logged; nobody receives this answer)' },
  UNAUTHORIZED: { status: 401, retryable: false, meaning: 'missing or wrong bearer token' },
  ROUTE_NOT_FOUND: { status: 404, retryable: false, meaning: 'no such route' },
  TABLE_NOT_FOUND: { status: 404, retryable: false, meaning: 'no such lake table' },
  PLAN_NOT_FOUND: { status: 404, retryable: false, meaning: 'no such plan (plans are kept for a day)' },
  PLAN_EXPIRED: { status: 404, retryable: false, meaning: 'the plan expired; make a new one' },
  REQUEST_TIMEOUT: { status: 408, retryable: true, meaning: 'the request body stopped arriving (TRACKLAKE_BODY_TIMEOUT_SECONDS)' },
  WAREHOUSE_NOT_BUILT: { status: 404, retryable: false, meaning: 'no warehouse has been built yet (POST /v1/warehouse/build)' },
  WAREHOUSE_BEHIND: { status: 409, retryable: false, meaning: 'the lake holds more plays the warehouse has not read than a report adds on the fly (after a big import): POST /v1/warehouse/build, or wait for the Daily ETL' },
  PAYLOAD_TOO_LARGE: { status: 413, retryable: false, meaning: 'the body is larger than this route accepts' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, retryable: false, meaning: 'this Content-Type is not accepted here' },
  UPSTREAM_AUTH_FAILED: { status: 502, retryable: false, meaning: 'an upstream refused our credentials; the message says which to fix' },
  UPSTREAM_FAILED: { status: 502, retryable: true, meaning: 'an upstream failed after retries; nothing was recorded as missing' },
  NOT_CONFIGURED: { status: 503, retryable: false, meaning: 'not configured: the message names the missing variable' },
  UPSTREAM_TIMEOUT: { status: 504, retryable: true, meaning: 'an upstream did not answer in time' },
  LAKE_UNAVAILABLE: { status: 503, retryable: true, meaning: 'the data directory is full or not writable; nothing was written: free space or make it writable, then call again' },
  LAKE_WRITE_FAILED: { status: 500, retryable: true, meaning: 'the lake could not be written; the stored tables are unchanged (the service log has the cause)' },
  WAREHOUSE_BUILD_FAILED: { status: 500, retryable: false, meaning: 'a warehouse model (or the seed file, or the project) failed; the message names it; the previous warehouse is kept' },
  WAREHOUSE_BUILD_TIMED_OUT: { status: 503, retryable: true, meaning: 'the warehouse build ran past maxSeconds and was ended (a busy machine?); the previous warehouse is kept: call again, with a larger maxSeconds' },
  WAREHOUSE_TESTS_FAILED: { status: 500, retryable: false, meaning: 'model tests of the new warehouse failed; the message and details name them; the previous warehouse is kept' },
  INTERNAL_ERROR: { status: 500, retryable: false, meaning: 'internal error (details are in the service log)' },
} as const satisfies Record<string, { status: number, retryable: boolean, meaning: string }>

export type ErrorCode = keyof typeof errorTable

/** Fastify's own errors (body parsing), answered as one of ours. */
export const fastifyErrorCodes: Record<string, { code: ErrorCode, message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'VALIDATION_FAILED', message: 'body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'VALIDATION_FAILED', message: 'body is empty but Content-Type is application/json' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', message: 'body is larger than this route accepts' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'this Content-Type is not accepted here' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'VALIDATION_FAILED', message: 'Content-Length does not match the body' },
}

export interface FieldProblem {
  field: string
  problem: string
}

export interface AppErrorOptions {
  details?: FieldProblem[]
  cause?: unknown
}

export class AppError extends Error {
  readonly code: ErrorCode
  readonly statusCode: number
  readonly retryable: boolean
  readonly details: FieldProblem[] | undefined

  constructor (code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, { cause: options.cause })
    this.name = 'AppError'
    this.code = code
    this.statusCode = errorTable[code].status
    this.retryable = errorTable[code].retryable
    this.details = options.details
  }
}

/** A 400 that names the field and what is wrong with it. */
export function invalidField (field: string, problem: string): AppError {
  return new AppError('VALIDATION_FAILED', `${field} ${problem}`, { details: [{ field, problem }] })
}

export function notConfigured (stage: string, variables: string[]): AppError {
  const list = variables.join(', ')
  return new AppError('NOT_CONFIGURED', `${stage} is not configured: set ${list} in the environment of the tracklake service`, {
    details: variables.map((field) => ({ field, problem: 'is not set' })),
  })
}

/** `text` cut to `max` characters (never inside a surrogate pair), saying how much was left out. */
export function truncate (text: string, max: number): string {
  if (text.length <= max) return text
  const end = /[\uD800-\uDBFF]/.test(text[max - 1] ?? '') ? max - 1 : max
  return `${text.slice(0, end)}… (${text.length - end} more characters)`
}

/** A bad value for a message: quoted, and only its first `max` characters (a request must not echo itself back). */
export function quote (value: unknown, max = 40): string {
  const text = typeof value === 'string' ? value : typeof value === 'object' && value !== null ? `[${Array.isArray(value) ? 'array' : 'object'}]` : String(value)
  if (text.length <= max) return JSON.stringify(text)
  const end = /[\uD800-\uDBFF]/.test(text[max - 1] ?? '') ? max - 1 : max
  return JSON.stringify(`${text.slice(0, end)}…`)
}
