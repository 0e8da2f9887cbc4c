import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { AppError } from './errors.ts'

const digest = (value: string): Buffer => createHash('sha256').update(value).digest()

/**
 * Decided on the route the router matched, never on the raw URL: `/%761/tables` reaches the /v1/tables route, and an
 * unmatched path needs the token too (closed by default). The reports page's files carry no data (it reads
 * /v1/reports, which stays closed), so the page can load and ask for the token.
 */
function isOpenRoute (route: string | undefined): boolean {
  return route === '/health' || route === '/ready' || route === '/docs' || route?.startsWith('/docs/') === true ||
    route === '/reports' || route?.startsWith('/reports/') === true
}

/** When a token is configured, every route but /health, /ready, /docs and the reports page needs `Authorization: Bearer <token>`. */
export function installBearerAuth (app: FastifyInstance, token: string | undefined): void {
  if (!token) return
  const expected = digest(token)
  app.addHook('onRequest', async (request, reply) => {
    if (isOpenRoute(request.routeOptions.url)) return
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
