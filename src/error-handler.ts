import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { STATUS_CODES } from 'node:http'
import { AppError, errorTable, fastifyErrorCodes, truncate, type ErrorCode, type FieldProblem } from './errors.ts'
import { dataDirUnavailable } from './lake/data-dir-state.ts'

interface AjvError {
  instancePath: string
  keyword: string
  message?: string
  params: Record<string, unknown>
}

/** `/records/0/artist_id` in body → `body.records[0].artist_id` */
export function fieldName (context: string, instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
  if (extra) parts.push(extra)
  let out = context === 'querystring' ? 'query' : context
  for (const part of parts) out += /^\d+$/.test(part) ? `[${part}]` : `.${part}`
  return out
}

function validationProblems (error: FastifyError): FieldProblem[] {
  const context = error.validationContext ?? 'body'
  return (error.validation as AjvError[] | undefined ?? []).map((issue) => {
    if (issue.keyword === 'required') {
      return { field: fieldName(context, issue.instancePath, String(issue.params.missingProperty)), problem: 'is required' }
    }
    if (issue.keyword === 'additionalProperties') {
      return { field: fieldName(context, issue.instancePath, String(issue.params.additionalProperty)), problem: 'is not allowed' }
    }
    return { field: fieldName(context, issue.instancePath), problem: issue.message ?? 'is invalid' }
  })
}

/** Messages quote at most a short prefix of a bad value; this is the backstop for any that quotes more. */
const maxMessageChars = 2000

function send (reply: FastifyReply, code: ErrorCode, message: string, details?: FieldProblem[], status: number = errorTable[code].status): FastifyReply {
  const shortDetails = details?.map(({ field, problem }) => ({ field: truncate(field, 500), problem: truncate(problem, 500) }))
  return reply.status(status).send({ statusCode: status, code, error: STATUS_CODES[status] ?? 'Error', message: truncate(message, maxMessageChars), retryable: errorTable[code].retryable, ...(shortDetails ? { details: shortDetails } : {}) })
}

/** The one error handler: 4xx bodies name the field and the problem, 5xx bodies never carry internals. */
export function handleError (error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  // Answered before the body was read to its end (a bad entry, too large, stalled): the rest is not worth waiting for.
  if (!request.raw.complete) reply.header('connection', 'close')
  if (error.validation) {
    const details = validationProblems(error)
    const message = details.map((d) => `${d.field} ${d.problem}`).join('; ')
    return send(reply, 'VALIDATION_FAILED', message, details)
  }
  if (error instanceof AppError) {
    // Our own failures get a stack in the log; refusals and upstream trouble are explained by their message.
    if (error.statusCode === 500) request.log.error({ err: error, cause: error.cause }, error.message)
    else if (error.statusCode > 500) request.log.warn({ code: error.code }, error.message)
    else request.log.info({ code: error.code }, error.message)
    return send(reply, error.code, error.message, error.details)
  }
  const known = error.code ? fastifyErrorCodes[error.code] : undefined
  if (known) {
    const hint = error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ? `${known.message}: ${error.message.replace(/^Body is not valid JSON but content-type is set to 'application\/json'\s*/i, '').trim() || 'parse error'}` : known.message
    return send(reply, known.code, hint, [{ field: 'body', problem: hint }])
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return send(reply, 'VALIDATION_FAILED', error.message, undefined, error.statusCode)
  }
  // A full or read-only data directory met outside a lake write (an upload spooled to disk, a raw answer, a plan).
  const unavailable = dataDirUnavailable(error)
  if (unavailable) {
    request.log.warn({ err: error, errno: unavailable.code }, `the data directory ${unavailable.state}`)
    return send(reply, 'LAKE_UNAVAILABLE', `the data directory ${unavailable.state} (${unavailable.code}); the stored tables are unchanged. Free space or make it writable, then call again`)
  }
  request.log.error({ err: error }, 'unhandled error')
  return send(reply, 'INTERNAL_ERROR', `internal error; the service log has the details (request ${request.id})`)
}
