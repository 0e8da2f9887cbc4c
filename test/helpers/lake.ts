import pino from 'pino'
import { catalog } from '../../src/catalog.ts'
import { createLake, type Lake, type LakeHooks } from '../../src/lake/lake.ts'

export const silentLog = pino({ level: 'silent' })

export function openLake (dataDir: string, hooks?: LakeHooks): Promise<Lake> {
  return createLake({ dataDir, log: silentLog, tables: catalog, hooks })
}
