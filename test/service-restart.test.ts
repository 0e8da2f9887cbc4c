import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import fs from 'node:fs/promises'
import { stripTypeScriptTypes } from 'node:module'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeTempDir } from './helpers/build-app.ts'

// A process that asks for the restart, then says which process it is and what it runs with. The module as built code:
// lite mode has no WebAssembly, which Node's TypeScript stripping needs.
const script = `const { restartForTheService } = await import('./service-restart.mjs')
restartForTheService({ liteMode: process.env.LITE === 'yes' })
const pid = process.pid
console.log(JSON.stringify({ pid, arenas: process.env.MALLOC_ARENA_MAX ?? null, argv: process.argv.slice(2), execArgv: process.execArgv, wasm: typeof WebAssembly }))`

let dir: string
beforeAll(async () => {
  dir = await makeTempDir()
  writeFileSync(path.join(dir, 'service.mjs'), script)
  writeFileSync(path.join(dir, 'service-restart.mjs'), stripTypeScriptTypes(readFileSync(new URL('../src/service-restart.ts', import.meta.url), 'utf8')))
})
afterAll(async () => { await fs.rm(dir, { recursive: true, force: true }) })

function run (env: NodeJS.ProcessEnv): { pid: number, spawned: number, arenas: string | null, argv: string[], execArgv: string[], wasm: string } {
  const result = spawnSync(process.execPath, ['--max-semi-space-size=2', path.join(dir, 'service.mjs'), 'serve', '--flag'], { env, encoding: 'utf8' })
  expect(result.stderr).toBe('')
  return { ...JSON.parse(result.stdout.trim().split('\n').pop()!), spawned: result.pid }
}

describe.runIf(process.platform === 'linux')('restartForTheService', () => {
  const { MALLOC_ARENA_MAX: _, TRACKLAKE_V8_LITE_MODE: __, ...inherited } = process.env

  it('starts the same process again with MALLOC_ARENA_MAX=2 and its arguments', () => {
    const seen = run(inherited)
    expect(seen.arenas).toBe('2')
    // The same process, not a child: signals and the pid Docker or a supervisor knows still reach the service.
    expect(seen.pid).toBe(seen.spawned)
    expect(seen.argv).toEqual(['serve', '--flag'])
    expect(seen.execArgv).toEqual(['--max-semi-space-size=2'])
    expect(seen.wasm).toBe('object')
  })

  it('leaves a MALLOC_ARENA_MAX the user set as it is, and then starts again only for lite mode', () => {
    const kept = run({ ...inherited, MALLOC_ARENA_MAX: '8' })
    expect(kept).toMatchObject({ arenas: '8', execArgv: ['--max-semi-space-size=2'] })

    const lite = run({ ...inherited, MALLOC_ARENA_MAX: '8', LITE: 'yes' })
    expect(lite).toMatchObject({ arenas: '8', argv: ['serve', '--flag'], execArgv: ['--max-semi-space-size=2', '--lite-mode'], wasm: 'undefined' })
    expect(lite.pid).toBe(lite.spawned)
  })

  it('adds lite mode and the arenas in one start', () => {
    expect(run({ ...inherited, LITE: 'yes' })).toMatchObject({ arenas: '2', execArgv: ['--max-semi-space-size=2', '--lite-mode'] })
  })

  it('keeps the compilers when TRACKLAKE_V8_LITE_MODE is off, and starts again for the arenas only', () => {
    const full = run({ ...inherited, LITE: 'yes', TRACKLAKE_V8_LITE_MODE: 'off' })
    expect(full).toMatchObject({ arenas: '2', execArgv: ['--max-semi-space-size=2'], wasm: 'object' })
    expect(full.pid).toBe(full.spawned)
    expect(run({ ...inherited, LITE: 'yes', TRACKLAKE_V8_LITE_MODE: 'on' })).toMatchObject({ execArgv: ['--max-semi-space-size=2', '--lite-mode'] })
  })
})
