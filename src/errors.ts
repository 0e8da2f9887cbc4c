/** The one table of error codes and the HTTP status each maps to. */
export const errorStatus = {
  VALIDATION_FAILED: 400,
  INVALID_EXPORT: 400,
  OFFSET_OUT_OF_RANGE: 400,
  UNAUTHORIZED: 401,
  ROUTE_NOT_FOUND: 404,
  TABLE_NOT_FOUND: 404,
  PLAN_NOT_FOUND: 404,
  PLAN_EXPIRED: 404,
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
