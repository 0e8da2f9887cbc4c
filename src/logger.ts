import type { FastifyRequest, FastifyServerOptions } from 'fastify'
import type { LogLevel } from './config.ts'
import { truncate } from './errors.ts'
import { redactUrl, type Secrets } from './secrets.ts'

/** Per string in a log line: a message or field quoting a request's input must not turn into a 300 MB line. */
const maxLogChars = 8 * 1024
const maxUrlChars = 2 * 1024

/**
 * pino options: auth headers and secret-looking fields are censored by path, and every known secret value is scrubbed.
 * The request serializer runs after the logMethod hook, so it scrubs the URL itself.
 */
export function loggerOptions (level: LogLevel, secrets: Secrets, stream?: { write (line: string): void }): NonNullable<FastifyServerOptions['logger']> {
  return {
    level,
    ...(stream ? { stream } : {}),
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        '*.headers.authorization',
        '*.access_token',
        '*.refresh_token',
        '*.client_secret',
        '*.apiKey',
        '*.token',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req (request: FastifyRequest) {
        return {
          method: request.method,
          url: truncate(secrets.scrub(redactUrl(request.url)), maxUrlChars),
          host: secrets.scrub(request.host),
          remoteAddress: request.ip,
          remotePort: request.socket?.remotePort,
        }
      },
    },
    hooks: {
      logMethod (args, method) {
        method.apply(this, secrets.scrubDeep(args, { maxChars: maxLogChars }) as typeof args)
      },
    },
  }
}
