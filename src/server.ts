// The service (what `tracklake serve` and `npm start` run): checks the Node version before importing anything.
import { nodeVersionProblem } from './cli/node-version.ts'
import { restartWithTwoMallocArenas } from './malloc-arenas.ts'

const problem = nodeVersionProblem()
if (problem) {
  console.error(problem)
  process.exit(1)
}
restartWithTwoMallocArenas()
const { serveFromEnvironment } = await import('./cli/serve.ts')
await serveFromEnvironment()
