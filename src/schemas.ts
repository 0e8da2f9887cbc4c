import { Type, type TSchema } from 'typebox'
import { errorStatus, type ErrorCode } from './errors.ts'

export const FieldProblemSchema = Type.Object({
  field: Type.String({ description: 'where the problem is, e.g. body.records[0].artist_id' }),
  problem: Type.String({ description: 'what is wrong with it' }),
})

export const ErrorSchema = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String({ description: 'stable error code, e.g. VALIDATION_FAILED' }),
  error: Type.String({ description: 'HTTP reason phrase' }),
  message: Type.String({ description: 'what went wrong and, where possible, how to fix it' }),
  details: Type.Optional(Type.Array(FieldProblemSchema)),
}, { $id: 'Error', title: 'Error' })

const reason: Record<number, string> = {
  400: 'the request is invalid; the message names the field',
  401: 'missing or wrong bearer token',
  404: 'not found',
  413: 'body too large',
  415: 'unsupported content type',
  500: 'internal error (details are in the service log)',
  502: 'an upstream failed or refused our credentials',
  503: 'not configured: the message names the missing variable',
  504: 'an upstream did not answer in time',
}

/** Response schemas for the error statuses a route can answer. */
export function errorResponses (...statuses: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {}
  for (const status of statuses) out[status] = Type.Ref('Error', { description: reason[status] ?? 'error' })
  return out
}

export const statusesOf = (...codes: ErrorCode[]): number[] => [...new Set(codes.map((code) => errorStatus[code]))]

export const SpotifyIdSchema = Type.String({ pattern: '^[0-9A-Za-z]{22}$', description: 'Spotify base-62 id (22 characters)' })
export const TimestampSchema = Type.String({ format: 'date-time', description: 'ISO 8601 timestamp' })
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])
