import type { FastifyRequest, FastifyServerOptions } from 'fastify'
import type { LogLevel } from './config.ts'
import { redactUrl, type Secrets } from './secrets.ts'

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
          url: secrets.scrub(redactUrl(request.url)),
          host: secrets.scrub(request.host),
          remoteAddress: request.ip,
          remotePort: request.socket?.remotePort,
        }
      },
    },
    hooks: {
      logMethod (args, method) {
        method.apply(this, secrets.scrubDeep(args) as typeof args)
      },
    },
  }
}
