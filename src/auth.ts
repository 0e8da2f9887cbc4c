import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { AppError } from './errors.ts'

const digest = (value: string): Buffer => createHash('sha256').update(value).digest()

/** When a token is configured, every /v1 route needs `Authorization: Bearer <token>`; /health, /ready and /docs stay open. */
export function installBearerAuth (app: FastifyInstance, token: string | undefined): void {
  if (!token) return
  const expected = digest(token)
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? ''
    if (path !== '/v1' && !path.startsWith('/v1/')) return
    const header = request.headers.authorization ?? ''
    const match = /^Bearer\s+(.+)$/i.exec(header)
    // Comparing fixed-length digests keeps the comparison constant-time whatever the given token's length.
    if (match && timingSafeEqual(digest(match[1]!.trim()), expected)) return
    reply.header('www-authenticate', 'Bearer realm="tracklake"')
    throw new AppError('UNAUTHORIZED', match
      ? 'the bearer token is wrong'
      : 'this route needs Authorization: Bearer <TRACKLAKE_API_TOKEN>', { details: [{ field: 'headers.authorization', problem: match ? 'does not match TRACKLAKE_API_TOKEN' : 'is missing' }] })
  })
}
