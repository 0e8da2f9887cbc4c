import { AjvCompiler } from '@fastify/ajv-compiler'
import { Ajv, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifyServerOptions } from 'fastify'
import type { TSchema } from 'typebox'
import { isStrictDate, isStrictDateTime } from './lake/values.ts'

/**
 * Dates and date-times are checked as the lake stores them: real calendar dates only, no leap second, years 1–9999.
 * (ajv-formats takes 23:59:60 and a year 0000, which DuckDB refuses mid-write.)
 */
function strictFormats (ajv: Ajv): void {
  ajv.addFormat('date-time', { type: 'string', validate: isStrictDateTime })
  ajv.addFormat('date', { type: 'string', validate: isStrictDate })
}

interface Validator {
  (data: unknown, context?: object): boolean
  errors?: unknown[] | null
}

type Compiled = ReturnType<ReturnType<ReturnType<typeof AjvCompiler>>>

const nonFinite = (value: unknown): boolean =>
  (typeof value === 'number' && !Number.isFinite(value)) || (Array.isArray(value) && value.some(nonFinite))

/**
 * Ajv coerces `Infinity`, `-Infinity` and `1e400` in a query string to a non-finite number, calls it an integer and
 * then skips minimum/maximum (which only look at finite numbers): refuse such values after coercion.
 */
function finiteOnly (compiled: Compiled): Compiled {
  const validate = compiled as unknown as Validator
  const wrapped: Validator = (data, context) => {
    const ok = validate(data, context)
    wrapped.errors = validate.errors
    if (!ok || !data || typeof data !== 'object') return ok
    for (const [key, value] of Object.entries(data)) {
      if (nonFinite(value)) {
        wrapped.errors = [{ instancePath: `/${key}`, keyword: 'type', params: { type: 'number' }, message: 'must be a finite number' }]
        return false
      }
    }
    return true
  }
  // Keeps schema and schemaEnv: fastify hands Ajv the parent (so a root value can be coerced) only when schemaEnv is set.
  return Object.assign(wrapped, compiled) as unknown as Compiled
}

/**
 * Query strings and path parameters arrive as text and are coerced to their schema types; JSON bodies are taken as
 * sent. Coercing bodies would turn `"popularity": null` into 0 (Ajv tries the integer branch of integer-or-null first).
 */
export function validationOptions (): Pick<FastifyServerOptions, 'schemaController' | 'ajv'> {
  const factory = AjvCompiler()
  return {
    ajv: { customOptions: { removeAdditional: false }, onCreate: strictFormats },
    schemaController: {
      compilersFactory: {
        buildValidator (externalSchemas, options) {
          const coercing = factory(externalSchemas, options)
          const strict = factory(externalSchemas, { ...options, customOptions: { ...options?.customOptions, coerceTypes: false } } as typeof options)
          return (route) => (route.httpPart === 'body' ? strict(route) : finiteOnly(coercing(route)))
        },
      },
    },
  }
}

let checker: Ajv | undefined

/**
 * The same check a write route makes, outside a request: a fetch keeps only records its write will take, so one odd
 * upstream record fails alone instead of failing its whole batch. Answers the first problem, or undefined.
 */
export function recordCheck (schema: TSchema): (value: unknown) => string | undefined {
  checker ??= (() => {
    const ajv = new Ajv({ allErrors: false, strict: false })
    addFormats.default(ajv)
    strictFormats(ajv)
    return ajv
  })()
  const validate: ValidateFunction = checker.compile({ ...schema, $id: undefined })
  return (value) => {
    if (validate(value)) return undefined
    const issue = validate.errors?.[0]
    return issue ? `${issue.instancePath.replace(/^\//, '').replace(/\//g, '.') || 'record'} ${issue.message ?? 'is invalid'}` : 'is invalid'
  }
}
