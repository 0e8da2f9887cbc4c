import { AjvCompiler } from '@fastify/ajv-compiler'
import type { FastifyServerOptions } from 'fastify'

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
    ajv: { customOptions: { removeAdditional: false } },
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
