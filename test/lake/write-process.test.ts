import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Lake } from '../../src/lake/lake.ts'
import { spotifyArtists } from '../../src/stages/spotify/tables.ts'
import { plainTable } from '../../src/lake/write-process.ts'
import { makeTempDir } from '../helpers/build-app.ts'
import { artistRow as artist, openLake } from '../helpers/lake.ts'

const job = new URL('./write-job.ts', import.meta.url)

describe('a write in a process of its own', () => {
  let dir: string
  let lake: Lake

  beforeEach(async () => {
    dir = await makeTempDir()
    lake = await openLake(dir)
    await lake.merge(spotifyArtists, [artist(1), artist(2)])
  })

  afterEach(async () => {
    await lake.close().catch(() => {})
    await fs.rm(dir, { recursive: true, force: true })
  })

  const names = async () => (await lake.query('SELECT artist_name FROM spotify_artists ORDER BY artist_id')).map((r) => r.artist_name)
  const leftovers = async () => (await fs.readdir(path.dirname(lake.filePath(spotifyArtists)))).filter((f) => f !== 'spotify_artists.parquet')

  it('commits the files the child wrote, under the locks, and answers what the job answered (which saw its own rows)', async () => {
    const answer = await lake.writeInProcess([spotifyArtists], job, { artists: plainTable(spotifyArtists), then: 'report' })
    expect(answer).toEqual([{ artist_name: 'Artist 1 (renamed)', threads: 1 }, { artist_name: 'Artist 2 (renamed)', threads: 1 }])
    expect(await names()).toEqual(['Artist 1 (renamed)', 'Artist 2 (renamed)'])
    expect(await leftovers()).toEqual([])
  })

  it('commits nothing when the job fails or the child dies, and leaves no temp file', async () => {
    await expect(lake.writeInProcess([spotifyArtists], job, { artists: plainTable(spotifyArtists), then: 'fail' }))
      .rejects.toMatchObject({ code: 'LAKE_WRITE_FAILED', message: expect.stringContaining('the stored tables are unchanged') })
    await expect(lake.writeInProcess([spotifyArtists], job, { artists: plainTable(spotifyArtists), then: 'stray' }))
      .rejects.toMatchObject({ code: 'LAKE_WRITE_FAILED' })
    expect(await names()).toEqual(['Artist 1', 'Artist 2'])
    expect(await leftovers()).toEqual([])

    // Killed, the child cannot clean up: its temp file waits for the next start, and the table is unchanged.
    await expect(lake.writeInProcess([spotifyArtists], job, { artists: plainTable(spotifyArtists), then: 'die' }))
      .rejects.toMatchObject({ code: 'LAKE_WRITE_FAILED' })
    expect(await names()).toEqual(['Artist 1', 'Artist 2'])
    await lake.close()
    lake = await openLake(dir)
    expect(await leftovers()).toEqual([])
    expect(await names()).toEqual(['Artist 1', 'Artist 2'])
  })
})
