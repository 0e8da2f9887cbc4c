import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { openApiDocument } from '../scripts/openapi-document.ts'

describe('openapi/openapi.json', () => {
  it('matches the routes (run npm run openapi after changing a route)', async () => {
    const committed = readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8')
    expect(JSON.parse(await openApiDocument())).toEqual(JSON.parse(committed))
  })

  it('gives every operation a summary, tags and response schemas', async () => {
    const doc = JSON.parse(await openApiDocument())
    const operations = Object.entries(doc.paths as Record<string, Record<string, any>>)
      .flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })))
    const visible = operations.filter(({ path }) => !path.startsWith('/docs'))
    expect(visible.length).toBeGreaterThan(15)
    for (const { path, method, op } of visible) {
      expect(op.summary, `${method} ${path} summary`).toBeTruthy()
      expect(op.tags?.length, `${method} ${path} tags`).toBeGreaterThan(0)
      const ok = op.responses?.['200']
      expect(ok?.content?.['application/json']?.schema, `${method} ${path} 200 schema`).toBeTruthy()
    }
  })
})
