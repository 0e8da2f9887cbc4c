import fs from 'node:fs/promises'
import pino from 'pino'
import { afterEach, beforeEach } from 'vitest'
import { catalog } from '../../src/catalog.ts'
import { createLake, type Lake, type LakeHooks } from '../../src/lake/lake.ts'
import { makeTempDir } from './build-app.ts'

export const silentLog = pino({ level: 'silent' })

export function openLake (dataDir: string, hooks?: LakeHooks): Promise<Lake> {
  return createLake({ dataDir, log: silentLog, tables: catalog, hooks })
}

/** A new lake in a temp dir for each test of the describe block that calls this; closed and removed after it. */
export function lakePerTest (): { readonly dir: string, readonly lake: Lake } {
  const current = {} as { dir: string, lake: Lake }
  beforeEach(async () => {
    current.dir = await makeTempDir()
    current.lake = await openLake(current.dir)
  })
  afterEach(async () => {
    await current.lake.close().catch(() => {})
    await fs.rm(current.dir, { recursive: true, force: true })
  })
  return current
}
