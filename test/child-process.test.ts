import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { duckDbChildFlags, forkChild, siblingModule } from '../src/child-process.ts'
import { makeTempDir } from './helpers/build-app.ts'

let dir: string
beforeAll(async () => { dir = await makeTempDir() })
afterAll(async () => { await fs.rm(dir, { recursive: true, force: true }) })

describe('forkChild', () => {
  it('runs DuckDB children lite from built code only (TypeScript stripping needs WebAssembly)', () => {
    expect(duckDbChildFlags('/app/dist/lake/write-process.js')).toEqual(['--max-semi-space-size=2', '--optimize-for-size', '--lite-mode'])
    expect(duckDbChildFlags('/app/src/lake/write-process.ts')).toEqual(['--max-semi-space-size=2', '--optimize-for-size'])
  })

  it('finds a module beside another with its extension: .ts in src/, .js in the build', () => {
    expect(siblingModule('file:///app/src/lake/lake.ts', 'write-process').href).toBe('file:///app/src/lake/write-process.ts')
    expect(siblingModule('file:///app/dist/lake/lake.js', 'write-process').href).toBe('file:///app/dist/lake/write-process.js')
  })

  it('gives the child its own flags, an IPC channel, and keeps the last line of its stderr', async () => {
    const file = path.join(dir, 'child.mjs')
    writeFileSync(file, `process.once('message', (m) => process.send({ echo: m, execArgv: process.execArgv }, () => {
  console.error('first line\\nthe child gives up')
  process.exit(3)
}))`)
    const { child, lastStderrLine } = forkChild(file, ['--max-semi-space-size=1'])
    const answer = once(child, 'message')
    child.send({ big: 10n })
    expect((await answer)[0]).toEqual({ echo: { big: 10n }, execArgv: ['--max-semi-space-size=1'] })
    // 'close': the child has exited and its stderr is read to the end.
    const [code] = await once(child, 'close')
    expect(code).toBe(3)
    expect(lastStderrLine()).toBe('the child gives up')
  })
})
