#!/usr/bin/env node
// The `tracklake` command. Nothing is imported before the Node check but the check itself: an older Node would fail
// on the first import with a message that does not say why.
import { nodeVersionProblem } from './cli/node-version.ts'
import { restartForTheService } from './service-restart.ts'

const problem = nodeVersionProblem()
if (problem) {
  console.error(problem)
  process.exit(1)
}
// The service only: the other commands are short, and a restart would add Node's start-up to each.
if (process.argv.slice(2).find((arg) => !arg.startsWith('-')) === 'serve') restartForTheService({ liteMode: import.meta.url.endsWith('.js') })
const { main } = await import('./cli/main.ts')
const code = await main(process.argv.slice(2))
// `serve` answers undefined: it runs until a signal closes it.
if (code !== undefined) process.exit(code)
