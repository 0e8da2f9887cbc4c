import { Type, type TSchema } from 'typebox'
import { errorTable, type ErrorCode } from './errors.ts'

export const FieldProblemSchema = Type.Object({
  field: Type.String({ description: 'where the problem is, e.g. body.records[0].artist_id' }),
  problem: Type.String({ description: 'what is wrong with it' }),
})

export const ErrorSchema = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String({ description: 'stable error code, e.g. VALIDATION_FAILED' }),
  error: Type.String({ description: 'HTTP reason phrase' }),
  message: Type.String({ description: 'what went wrong and, where possible, how to fix it' }),
  retryable: Type.Boolean({ description: 'whether calling again (later) can help' }),
  details: Type.Optional(Type.Array(FieldProblemSchema)),
}, { $id: 'Error', title: 'Error' })

/** Every route can answer these: a wrong token, and our own failure. */
const always: ErrorCode[] = ['UNAUTHORIZED', 'INTERNAL_ERROR']
/** A route that writes the lake can also find the data directory full or read-only. */
const companions: Partial<Record<ErrorCode, ErrorCode[]>> = { LAKE_WRITE_FAILED: ['LAKE_UNAVAILABLE'] }

/**
 * Response schemas for the error codes a route can answer (besides 401 and 500, which every route can): each status
 * documents its codes, their meaning and whether a retry can help.
 */
export function errorResponses (...codes: ErrorCode[]): Record<number, TSchema> {
  const byStatus = new Map<number, ErrorCode[]>()
  for (const code of [...codes, ...codes.flatMap((c) => companions[c] ?? []), ...always]) {
    const status = errorTable[code].status
    byStatus.set(status, [...new Set([...(byStatus.get(status) ?? []), code])])
  }
  const out: Record<number, TSchema> = {}
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    const description = list.map((code) => `${code}: ${errorTable[code].meaning}${errorTable[code].retryable ? ' (retryable)' : ''}`).join('; ')
    out[status] = Type.Ref('Error', { description })
  }
  return out
}

export const TimestampSchema = Type.String({ format: 'date-time', description: 'ISO 8601 timestamp' })
