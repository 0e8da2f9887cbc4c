import { AjvCompiler } from '@fastify/ajv-compiler'
import type { FastifyServerOptions } from 'fastify'

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
          return (route) => (route.httpPart === 'body' ? strict(route) : coercing(route))
        },
      },
    },
  }
}
