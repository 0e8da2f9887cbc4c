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
          return (route) => (route.httpPart === 'body' ? strict(route) : coercing(route))
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
