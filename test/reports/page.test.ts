import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'
import Fastify from 'fastify'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { reportPage } from '../../src/reports/page.ts'
import { buildTestApp, makeTempDir, type TestApp } from '../helpers/build-app.ts'

describe('the reports page at /reports', () => {
  let t: TestApp

  beforeAll(async () => {
    t = await buildTestApp({ TRACKLAKE_API_TOKEN: 'page-token' })
  })
  afterAll(async () => { await t?.close() })

  it('serves the page without the token (its files carry no data); /v1/reports stays closed', async () => {
    const page = await request(t.app.server).get('/reports')
    expect(page.status).toBe(200)
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(page.text).toContain('<script type="module" src="reports/assets/app.js">')
    for (const asset of ['app.js', 'styles.css', 'icon.svg', 'views/places.js', 'vendor/echarts.js', 'world.json']) {
      expect((await request(t.app.server).get(`/reports/assets/${asset}`)).status, asset).toBe(200)
    }
    expect((await request(t.app.server).get('/v1/reports')).status).toBe(401)
  })

  it('allows no script but its own files and its import map (by hash): nothing from elsewhere', async () => {
    const page = await request(t.app.server).get('/reports')
    const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(page.text)![1]!
    const csp = String(page.headers['content-security-policy'])
    expect(csp).toContain(`script-src 'self' 'sha256-${createHash('sha256').update(importMap).digest('base64')}'`)
    expect(csp).toContain("default-src 'self'")
    expect(csp).toContain("connect-src 'self'")
    // The page refers to nothing outside the service.
    expect(page.text).not.toMatch(/(?:src|href)="(?:https?:)?\/\//)
    expect(JSON.parse(importMap).imports.echarts).toBe('./reports/assets/vendor/echarts.js')
  })

  it('ECharts is the package\'s ESM build; the world map is world-atlas\'s countries as GeoJSON with ISO codes', async () => {
    const echarts = await request(t.app.server).get('/reports/assets/vendor/echarts.js')
    expect(echarts.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(echarts.text).toMatch(/export\s*\{[^}]*\bas init\b/)
    const world = await request(t.app.server).get('/reports/assets/world.json')
    expect(world.body.type).toBe('FeatureCollection')
    const codes = world.body.features.map((f: { properties: { code: string | null } }) => f.properties.code)
    expect(codes).toEqual(expect.arrayContaining(['GB', 'US', 'BR', 'JP', 'XK']))
    expect(codes).not.toContain('AQ')
  })

  it('answers gzip when asked, an ETag, and 304 for a copy the browser has', async () => {
    // inject: supertest would unzip the body itself.
    const plain = await t.app.inject({ url: '/reports/assets/app.js', headers: { 'accept-encoding': 'identity' } })
    const zipped = await t.app.inject({ url: '/reports/assets/app.js', headers: { 'accept-encoding': 'gzip, br' } })
    expect(zipped.headers['content-encoding']).toBe('gzip')
    expect(plain.headers['content-encoding']).toBeUndefined()
    expect(gunzipSync(zipped.rawPayload).equals(plain.rawPayload)).toBe(true)
    expect(plain.headers['cache-control']).toBe('no-cache')
    const etag = String(plain.headers.etag)
    expect(etag).toMatch(/^".+"$/)
    const again = await request(t.app.server).get('/reports/assets/app.js').set('if-none-match', etag)
    expect(again.status).toBe(304)
  })

  it('/reports/ sends the browser to /reports; an unknown asset is a 404', async () => {
    const slash = await request(t.app.server).get('/reports/')
    expect(slash.status).toBe(301)
    expect(slash.headers.location).toBe('../reports')
    const missing = await request(t.app.server).get('/reports/assets/nope.js')
    expect(missing.status).toBe(404)
    expect(missing.body.code).toBe('ROUTE_NOT_FOUND')
    // The page's type-check configuration is no asset.
    expect((await request(t.app.server).get('/reports/assets/tsconfig.json')).status).toBe(404)
    expect((await request(t.app.server).get('/reports/assets/..%2F..%2Fapp.ts')).status).toBe(404)
  })

  it('is not in the OpenAPI document', async () => {
    const doc = t.app.swagger() as { paths: Record<string, unknown> }
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/reports'))).toEqual([])
    expect(Object.keys(doc.paths)).toContain('/v1/reports/places')
  })
})

it('refuses to start without the page\'s files (a build that did not copy them)', async () => {
  const dir = await makeTempDir()
  const app = Fastify()
  try {
    await expect(app.register(reportPage, { prefix: '/reports', dir }).ready()).rejects.toThrow(/no index\.html/)
  } finally {
    await app.close().catch(() => {})
    await fs.rm(dir, { recursive: true, force: true })
  }
})

it('serves any file of the page folder, in sub-folders too', async () => {
  const dir = await makeTempDir()
  await fs.mkdir(path.join(dir, 'views'))
  await fs.writeFile(path.join(dir, 'index.html'), '<!doctype html><title>t</title>')
  await fs.writeFile(path.join(dir, 'views', 'x.js'), 'export const x = 1\n')
  await fs.writeFile(path.join(dir, 'notes.txt'), 'not served')
  const app = Fastify()
  try {
    await app.register(reportPage, { prefix: '/reports', dir })
    expect((await app.inject('/reports/assets/views/x.js')).body).toBe('export const x = 1\n')
    expect((await app.inject('/reports/assets/notes.txt')).statusCode).toBe(404)
  } finally {
    await app.close()
    await fs.rm(dir, { recursive: true, force: true })
  }
})
