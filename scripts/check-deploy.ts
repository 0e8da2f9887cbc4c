// node scripts/check-deploy.ts: checks Dockerfile, docker-compose.yml, .dockerignore and .env.example against
// package.json, tsconfig.build.json and src/config.ts (everything that can be verified without a docker daemon).
import { fileURLToPath } from 'node:url'
import { checkDeploy } from './deploy-checks.ts'

const problems = checkDeploy(fileURLToPath(new URL('..', import.meta.url)))
if (problems.length > 0) {
  console.error(`deploy files are inconsistent:\n  - ${problems.join('\n  - ')}`)
  process.exit(1)
}
console.log('deploy files agree with package.json, tsconfig.build.json and src/config.ts')
