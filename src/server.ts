// The service (what `tracklake serve` and `npm start` run): checks the Node version before importing anything.
import { nodeVersionProblem } from './cli/node-version.ts'
import { restartForTheService } from './service-restart.ts'

const problem = nodeVersionProblem()
if (problem) {
  console.error(problem)
  process.exit(1)
}
restartForTheService({ liteMode: import.meta.url.endsWith('.js') })
const { serveFromEnvironment } = await import('./cli/serve.ts')
await serveFromEnvironment()
