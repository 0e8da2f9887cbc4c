import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeTempDir } from './helpers/build-app.ts'

const moduleUrl = new URL('../src/malloc-arenas.ts', import.meta.url).href
// A process that asks for the restart, then says which process it is and what it runs with.
const script = `const { restartWithTwoMallocArenas } = await import(${JSON.stringify(moduleUrl)})
restartWithTwoMallocArenas()
const pid = process.pid
console.log(JSON.stringify({ pid, arenas: process.env.MALLOC_ARENA_MAX ?? null, argv: process.argv.slice(2), execArgv: process.execArgv }))`

let dir: string
beforeAll(async () => {
  dir = await makeTempDir()
  writeFileSync(path.join(dir, 'service.mjs'), script)
})
afterAll(async () => { await fs.rm(dir, { recursive: true, force: true }) })

function run (env: NodeJS.ProcessEnv): { pid: number, spawned: number, arenas: string | null, argv: string[], execArgv: string[] } {
  const result = spawnSync(process.execPath, ['--max-semi-space-size=2', path.join(dir, 'service.mjs'), 'serve', '--flag'], { env, encoding: 'utf8' })
  expect(result.stderr).toBe('')
  return { ...JSON.parse(result.stdout.trim().split('\n').pop()!), spawned: result.pid }
}

describe.runIf(process.platform === 'linux')('restartWithTwoMallocArenas', () => {
  const { MALLOC_ARENA_MAX: _, ...inherited } = process.env

  it('starts the same process again with MALLOC_ARENA_MAX=2 and its arguments', () => {
    const seen = run(inherited)
    expect(seen.arenas).toBe('2')
    // The same process, not a child: signals and the pid Docker or a supervisor knows still reach the service.
    expect(seen.pid).toBe(seen.spawned)
    expect(seen.argv).toEqual(['serve', '--flag'])
    expect(seen.execArgv).toEqual(['--max-semi-space-size=2'])
  })

  it('leaves a MALLOC_ARENA_MAX the user set as it is', () => {
    expect(run({ ...inherited, MALLOC_ARENA_MAX: '8' }).arenas).toBe('8')
  })
})
