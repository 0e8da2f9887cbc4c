// npm run workflows: writes n8n-workflows/*.json from scripts/workflows/definitions.ts; a test fails when they drift.
import fs from 'node:fs/promises'
import { allWorkflows } from './workflows/definitions.ts'

const dir = new URL('../n8n-workflows/', import.meta.url)
await fs.mkdir(dir, { recursive: true })
for (const [file, definition] of Object.entries(allWorkflows())) {
  await fs.writeFile(new URL(file, dir), JSON.stringify(definition, null, 2) + '\n')
  console.log(`wrote n8n-workflows/${file}`)
}
