import { AppError, errorTable, type ErrorCode, type FieldProblem } from './errors.ts'

/**
 * An error as it crosses from a child process (or thread) to the service: an AppError keeps its code and details, a
 * file system error its errno (a full or read-only disk is answered 503, not 500).
 */
export interface SentError {
  message: string
  appCode?: ErrorCode
  details?: FieldProblem[]
  errno?: string
}

export function sendableError (err: unknown): SentError {
  if (err instanceof AppError) return { message: err.message, appCode: err.code, ...err.details ? { details: err.details } : {} }
  const errno = (err as NodeJS.ErrnoException | undefined)?.code
  return { message: err instanceof Error ? err.message : String(err), ...typeof errno === 'string' ? { errno } : {} }
}

export function receivedError (sent: SentError): Error {
  if (sent.appCode && sent.appCode in errorTable) return new AppError(sent.appCode, sent.message, sent.details ? { details: sent.details } : {})
  return Object.assign(new Error(sent.message), sent.errno ? { code: sent.errno } : {})
}
