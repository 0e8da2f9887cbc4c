import { createHash } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { gzip } from 'node:zlib'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { AppError, truncate } from '../errors.ts'
import { worldMap } from './world.ts'

const require = createRequire(import.meta.url)
const gzipAsync = promisify(gzip)

/** The page's own files: src/reports/page/, copied to dist/reports/page/ by `npm run build`. */
export const pageDir = fileURLToPath(new URL('./page/', import.meta.url))

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
}

interface Asset {
  body: Buffer
  gzipped: Buffer
  etag: string
  type: string
}

type Source = () => Promise<Buffer>

/** Every file under `dir` whose type the page serves, by its path relative to `dir` (a/b.js). */
function pageFiles (dir: string): Map<string, Source> {
  const files = new Map<string, Source>()
  const entries = readdirSync(dir, { recursive: true, withFileTypes: true })
  for (const entry of entries) {
    // tsconfig.json type-checks the page's scripts (npm run typecheck); it is no part of the page.
    if (!entry.isFile() || !(path.extname(entry.name) in contentTypes) || entry.name === 'tsconfig.json') continue
    const full = path.join(entry.parentPath, entry.name)
    files.set(path.relative(dir, full).split(path.sep).join('/'), () => readFile(full))
  }
  if (!files.has('index.html')) throw new Error(`the reports page is missing: no index.html in ${dir} (npm run build copies it)`)
  return files
}

/**
 * What the page loads, all from the service (nothing from the internet): its own files, Apache ECharts (ESM build,
 * mapped to `echarts` by the page's import map) and the world map (world-atlas's 1:110m countries as GeoJSON).
 */
function assetSources (dir: string): Map<string, Source> {
  const sources = pageFiles(dir)
  const echarts = require.resolve('echarts/dist/echarts.esm.min')
  sources.set('vendor/echarts.js', () => readFile(echarts))
  sources.set('world.json', async () => Buffer.from(JSON.stringify(await worldMap())))
  return sources
}

/** The page's inline import map is its only inline script: the Content-Security-Policy allows it by hash. */
function contentSecurityPolicy (html: string): string {
  const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)?.[1]
  const hash = importMap === undefined ? '' : ` 'sha256-${createHash('sha256').update(importMap).digest('base64')}'`
  return [
    "default-src 'self'",
    `script-src 'self'${hash}`,
    // ECharts' tooltips are HTML with style attributes.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
}

/**
 * The reports page at /reports, served by the service itself. Its files carry no data (the data comes from
 * /v1/reports, behind the token), so they are open (auth.ts). Views and filters live in the query string
 * (/reports?view=places&continent=EU), so every link opens the same view.
 */
export const reportPage: FastifyPluginAsync<{ dir?: string }> = async (app, options) => {
  const sources = assetSources(options.dir ?? pageDir)
  const loaded = new Map<string, Promise<Asset>>()

  function asset (name: string): Promise<Asset> | undefined {
    const source = sources.get(name)
    if (!source) return undefined
    let promise = loaded.get(name)
    if (!promise) {
      promise = source().then(async (body) => ({
        body,
        gzipped: await gzipAsync(body),
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
        type: contentTypes[path.extname(name)] ?? 'application/octet-stream',
      }))
      // A failed read is tried again on the next request.
      promise.catch(() => loaded.delete(name))
      loaded.set(name, promise)
    }
    return promise
  }

  async function send (request: FastifyRequest, reply: FastifyReply, name: string): Promise<FastifyReply> {
    const pending = asset(name)
    if (!pending) throw new AppError('ROUTE_NOT_FOUND', `no reports asset ${truncate(name, 200)}`)
    const file = await pending
    reply
      .header('content-type', file.type)
      .header('etag', file.etag)
      // Revalidated on every load: an upgrade never leaves a stale page script beside a new API.
      .header('cache-control', 'no-cache')
      .header('vary', 'accept-encoding')
      .header('x-content-type-options', 'nosniff')
    if (name === 'index.html') reply.header('content-security-policy', contentSecurityPolicy(file.body.toString('utf8')))
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send()
    if (/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) return reply.header('content-encoding', 'gzip').send(file.gzipped)
    return reply.send(file.body)
  }

  const hidden = { schema: { hide: true } }
  app.get('/', { ...hidden, prefixTrailingSlash: 'no-slash' }, (request, reply) => send(request, reply, 'index.html'))
  // /reports/ would resolve the page's relative links one folder too deep.
  app.get('/', { ...hidden, prefixTrailingSlash: 'slash' }, (_request, reply) => reply.redirect('../reports', 301))
  app.get<{ Params: { '*': string } }>('/assets/*', hidden, (request, reply) => send(request, reply, request.params['*']))
}
