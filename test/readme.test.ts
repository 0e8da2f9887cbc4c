import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { envNames } from '../src/config.ts'
import { catalog as tables } from '../src/catalog.ts'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
const openapi = JSON.parse(readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8'))

describe('README', () => {
  it('documents every environment variable and every lake table', () => {
    for (const name of envNames) expect(readme, name).toContain(`\`${name}\``)
    for (const table of tables) expect(readme, table.name).toContain(`\`${table.name}\``)
  })

  it('mentions every /v1 route family', () => {
    const families = new Set(Object.keys(openapi.paths).filter((p) => p.startsWith('/v1/')).map((p) => p.split('/').slice(0, 3).join('/')))
    for (const family of families) expect(readme, family).toContain(family)
  })
})
