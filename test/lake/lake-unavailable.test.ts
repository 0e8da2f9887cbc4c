import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { dataDirUnavailable } from '../../src/lake/data-dir-state.ts'
import type { Lake } from '../../src/lake/lake.ts'
import { spotifyArtists } from '../../src/stages/spotify/tables.ts'
import { makeTempDir } from '../helpers/build-app.ts'
import { artistRow as artist, openLake } from '../helpers/lake.ts'

const errno = (code: string, message: string): NodeJS.ErrnoException => Object.assign(new Error(message), { code })

describe('dataDirUnavailable', () => {
  it('knows a full, read-only or unwritable data directory by errno code', () => {
    expect(dataDirUnavailable(errno('ENOSPC', 'ENOSPC: no space left on device, write'))).toEqual({ code: 'ENOSPC', state: 'is full' })
    expect(dataDirUnavailable(errno('EFBIG', 'EFBIG: file too large, write'))).toEqual({ code: 'EFBIG', state: 'is full' })
    expect(dataDirUnavailable(errno('EROFS', 'EROFS: read-only file system, rename'))).toEqual({ code: 'EROFS', state: 'is read-only' })
    expect(dataDirUnavailable(errno('EACCES', 'EACCES: permission denied, open'))).toEqual({ code: 'EACCES', state: 'is not writable' })
  })

  it('knows DuckDB IO errors by their message, also as the cause of another error', () => {
    const duckdb = new Error('IO Error: Could not write file "/data/lake/x/.x.parquet.1.partial": No space left on device')
    expect(dataDirUnavailable(duckdb)).toEqual({ code: 'ENOSPC', state: 'is full' })
    expect(dataDirUnavailable(new Error('wrapped', { cause: new Error('IO Error: Cannot open file: Read-only file system') })))
      .toEqual({ code: 'EROFS', state: 'is read-only' })
  })

  it('leaves every other failure alone', () => {
    expect(dataDirUnavailable(new Error('Conversion Error: Could not convert string'))).toBeUndefined()
    expect(dataDirUnavailable(errno('ENOENT', 'ENOENT: no such file or directory'))).toBeUndefined()
    expect(dataDirUnavailable('ENOSPC')).toBeUndefined()
  })
})

describe('a lake write on a data directory that cannot take it', () => {
  let dir: string
  let lake: Lake

  beforeEach(async () => { dir = await makeTempDir() })
  afterEach(async () => {
    await lake.close().catch(() => {})
    await fs.rm(dir, { recursive: true, force: true })
  })

  it('answers 503 LAKE_UNAVAILABLE, retryable, without a path, and the table is unchanged; the next write lands', async () => {
    let failure: Error | undefined = errno('ENOSPC', `ENOSPC: no space left on device, rename '${dir}/lake/a' -> '${dir}/lake/b'`)
    lake = await openLake(dir, { beforeRename: () => { if (failure) throw failure } })
    const refused = await lake.merge(spotifyArtists, [artist(1)]).catch((err: unknown) => err)
    expect(refused).toMatchObject({ code: 'LAKE_UNAVAILABLE', statusCode: 503, retryable: true })
    expect((refused as Error).message).toMatch(/data directory is full \(ENOSPC\).*unchanged/)
    expect((refused as Error).message).not.toContain(dir)
    expect(await lake.query('SELECT * FROM spotify_artists')).toEqual([])

    failure = errno('EROFS', 'EROFS: read-only file system')
    await expect(lake.merge(spotifyArtists, [artist(1)])).rejects.toMatchObject({ code: 'LAKE_UNAVAILABLE', message: expect.stringMatching(/read-only/) })

    failure = undefined
    await lake.merge(spotifyArtists, [artist(1)])
    expect(await lake.query('SELECT artist_id FROM spotify_artists')).toEqual([{ artist_id: artist(1).artist_id }])
  })

  it('reports the write\'s own failure when its temp file cannot be removed either', async () => {
    lake = await openLake(dir, {
      async beforeRename (table) {
        // The temp file turns into a folder with something in it: removing it fails, as on an immutable disk.
        const folder = path.join(dir, 'lake', table)
        const temp = (await fs.readdir(folder)).find((f) => f.endsWith('.partial'))!
        await fs.rm(path.join(folder, temp))
        await fs.mkdir(path.join(folder, temp, 'inside'), { recursive: true })
        throw errno('EROFS', 'EROFS: read-only file system, rename')
      },
    })
    await expect(lake.merge(spotifyArtists, [artist(1)])).rejects.toMatchObject({ code: 'LAKE_UNAVAILABLE' })
  })

  it('keeps LAKE_WRITE_FAILED for any other failure', async () => {
    lake = await openLake(dir, { beforeRename: () => { throw new Error('power cut') } })
    await expect(lake.merge(spotifyArtists, [artist(1)])).rejects.toMatchObject({ code: 'LAKE_WRITE_FAILED', statusCode: 500 })
  })
})
