import fs from 'node:fs/promises'
import pino from 'pino'
import { afterEach, beforeEach } from 'vitest'
import { catalog } from '../../src/catalog.ts'
import { createLake, type Lake, type LakeHooks } from '../../src/lake/lake.ts'
import { makeTempDir } from './build-app.ts'

export const silentLog = pino({ level: 'silent' })

/** A spotify_artists row with only its id and name (`Artist <i>`) set. */
export const artistRow = (i: number) => ({
  artist_id: `id${String(i).padStart(20, '0')}`,
  artist_name: `Artist ${i}`,
  genres: [],
  popularity: null,
  followers: null,
  image_url: null,
  artist_mbid: null,
  fetched_at: '2026-01-01T00:00:00.000Z',
})

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
