/** The one table of error codes and the HTTP status each maps to. */
export const errorStatus = {
  VALIDATION_FAILED: 400,
  INVALID_EXPORT: 400,
  OFFSET_OUT_OF_RANGE: 400,
  /** the client went away mid-body: logged, never seen by anyone */
  REQUEST_ABORTED: 400,
  UNAUTHORIZED: 401,
  ROUTE_NOT_FOUND: 404,
  TABLE_NOT_FOUND: 404,
  PLAN_NOT_FOUND: 404,
  PLAN_EXPIRED: 404,
  REQUEST_TIMEOUT: 408,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UPSTREAM_AUTH_FAILED: 502,
  UPSTREAM_FAILED: 502,
  NOT_CONFIGURED: 503,
  UPSTREAM_TIMEOUT: 504,
  LAKE_WRITE_FAILED: 500,
  INTERNAL_ERROR: 500,
} as const

export type ErrorCode = keyof typeof errorStatus

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
  readonly details: FieldProblem[] | undefined

  constructor (code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, { cause: options.cause })
    this.name = 'AppError'
    this.code = code
    this.statusCode = errorStatus[code]
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
