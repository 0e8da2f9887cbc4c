// npm run openapi: writes openapi/openapi.json from the route schemas. test/openapi.test.ts fails when it drifts.
import fs from 'node:fs/promises'
import { openApiDocument } from './openapi-document.ts'

const target = new URL('../openapi/openapi.json', import.meta.url)
await fs.mkdir(new URL('.', target), { recursive: true })
await fs.writeFile(target, await openApiDocument())
console.log(`wrote ${target.pathname}`)
