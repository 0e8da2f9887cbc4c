import { spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Lake } from '../../src/lake/lake.ts'
import { catalog as tables } from '../../src/catalog.ts'
import { spotifyArtistGenre, spotifyArtists } from '../../src/stages/spotify/tables.ts'
import { makeTempDir } from '../helpers/build-app.ts'
import { openLake } from '../helpers/lake.ts'

const artist = (i: number, name = `Artist ${i}`) => ({
  artist_id: `id${String(i).padStart(20, '0')}`,
  artist_name: name,
  genres: [`g${i % 3}`],
  popularity: null,
  followers: null,
  image_url: null,
  artist_mbid: null,
  fetched_at: '2026-01-01T00:00:00.000Z',
})

const sortedArtists = async (lake: Lake) => lake.query('SELECT * FROM spotify_artists ORDER BY artist_id')

describe('lake', () => {
  let dir: string
  let lake: Lake

  beforeEach(async () => {
    dir = await makeTempDir()
    lake = await openLake(dir)
  })

  afterEach(async () => {
    await lake.close().catch(() => {})
    await fs.rm(dir, { recursive: true, force: true })
  })

  it('creates every table as an empty parquet file with its schema, readable by a fresh DuckDB query', async () => {
    for (const table of tables) {
      const file = lake.filePath(table)
      expect((await fs.stat(file)).size).toBeGreaterThan(0)
      const described = await lake.query('SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet($file))', { file })
      expect(described.map((c) => c.column_name)).toEqual(table.columns.map((c) => c.name))
    }
    const [played] = await lake.query("SELECT column_type FROM (DESCRIBE tracks_played) WHERE column_name = 'played_at'")
    expect(played?.column_type).toBe('TIMESTAMP WITH TIME ZONE')
  })

  it('a lean write runs DuckDB on one thread and restores the threads after, even when it fails; freed memory is handed back at once always', async () => {
    const read = "SELECT current_setting('threads')::VARCHAR AS threads, current_setting('allocator_flush_threshold')::VARCHAR AS flush"
    const settings = async () => (await lake.query(read))[0]
    const before = await settings()
    expect(Number(before?.threads)).toBeGreaterThan(1)
    expect(before?.flush).toBe('976.5 KiB') // 1MB: a million bytes
    await lake.write([spotifyArtists], async (tx) => {
      const during = (await tx.query(read))[0]
      expect(during?.threads).toBe('1')
      expect(during?.flush).toBe(before?.flush)
      await tx.merge(spotifyArtists, [artist(1)])
    }, { lean: true })
    expect(await settings()).toEqual(before)
    await expect(lake.write([spotifyArtists], async () => { throw new Error('boom') }, { lean: true })).rejects.toThrow()
    expect(await settings()).toEqual(before)
    expect(await sortedArtists(lake)).toHaveLength(1)
  })

  it('reports a table as never written until its first write', async () => {
    const lastWrite = async () => (await lake.stats()).find((t) => t.name === spotifyArtists.name)?.lastWriteAt
    expect(await lastWrite()).toBeNull()
    await lake.merge(spotifyArtists, [artist(1)])
    expect(Date.parse(String(await lastWrite()))).toBeGreaterThan(Date.now() - 60_000)
  })

  it('merges: inserts new keys, replaces stored ones, and a repeated merge changes nothing (file untouched)', async () => {
    const first = await lake.merge(spotifyArtists, [artist(1), artist(2)])
    expect(first).toMatchObject({ inserted: 2, updated: 0, unchanged: 0, written: true })
    const second = await lake.merge(spotifyArtists, [artist(2, 'Renamed'), artist(3)])
    expect(second).toMatchObject({ inserted: 1, updated: 1, unchanged: 0, written: true })
    const stat = await fs.stat(lake.filePath(spotifyArtists))
    const repeat = await lake.merge(spotifyArtists, [artist(2, 'Renamed'), artist(3)])
    expect(repeat).toMatchObject({ inserted: 0, updated: 0, unchanged: 2, written: false })
    expect((await fs.stat(lake.filePath(spotifyArtists))).mtimeMs).toBe(stat.mtimeMs)
    const rows = await sortedArtists(lake)
    expect(rows.map((r) => r.artist_name)).toEqual(['Artist 1', 'Renamed', 'Artist 3'])
    expect(rows[0]?.genres).toEqual(['g1'])
    expect(rows[0]?.fetched_at).toBe('2026-01-01T00:00:00.000Z')
  })

  it('the last row given for a key wins within one merge', async () => {
    await lake.merge(spotifyArtists, [artist(1, 'first'), artist(1, 'second')])
    expect((await sortedArtists(lake)).map((r) => r.artist_name)).toEqual(['second'])
  })

  it('appends only keys not stored yet', async () => {
    await lake.append(spotifyArtists, [artist(1)])
    const result = await lake.append(spotifyArtists, [artist(1, 'changed'), artist(2)])
    expect(result).toMatchObject({ inserted: 1, unchanged: 1 })
    expect((await sortedArtists(lake)).map((r) => r.artist_name)).toEqual(['Artist 1', 'Artist 2'])
  })

  it('replaces a group so stale rows disappear', async () => {
    const row = (genre: string) => ({ artist_id: 'a'.repeat(22), artist_name: 'A', genre })
    await lake.replaceGroups(spotifyArtistGenre, 'artist_id', ['a'.repeat(22)], [row('rock'), row('pop')])
    const result = await lake.replaceGroups(spotifyArtistGenre, 'artist_id', ['a'.repeat(22)], [row('rock')])
    expect(result).toMatchObject({ inserted: 0, deleted: 1 })
    expect((await lake.query('SELECT genre FROM spotify_artist_genre')).map((r) => r.genre)).toEqual(['rock'])
    const again = await lake.replaceGroups(spotifyArtistGenre, 'artist_id', ['a'.repeat(22)], [row('rock')])
    expect(again.written).toBe(false)
  })

  it('8 concurrent merges into one table lose no row', async () => {
    await Promise.all(Array.from({ length: 8 }, (_, w) =>
      lake.merge(spotifyArtists, Array.from({ length: 50 }, (_, i) => artist(w * 1000 + i)))))
    const [count] = await lake.query('SELECT count(*)::INTEGER AS n, count(DISTINCT artist_id)::INTEGER AS d FROM spotify_artists')
    expect(count).toEqual({ n: 400, d: 400 })
  })

  it('rejects a row without its key and leaves the table as it was', async () => {
    await lake.merge(spotifyArtists, [artist(1)])
    await expect(lake.merge(spotifyArtists, [{ ...artist(2), artist_id: null }])).rejects.toThrow(/artist_id/)
    expect((await sortedArtists(lake)).length).toBe(1)
  })

  it('an exception between temp write and rename leaves the previous version and no temp file', async () => {
    await lake.merge(spotifyArtists, [artist(1), artist(2)])
    const before = await sortedArtists(lake)
    await lake.close()
    let fail = true
    lake = await openLake(dir, { beforeRename: () => { if (fail) throw new Error('power cut') } })
    await expect(lake.merge(spotifyArtists, [artist(3)])).rejects.toMatchObject({ code: 'LAKE_WRITE_FAILED' })
    expect(await sortedArtists(lake)).toEqual(before)
    const leftovers = (await fs.readdir(path.dirname(lake.filePath(spotifyArtists)))).filter((f) => f.endsWith('.partial'))
    expect(leftovers).toEqual([])
    fail = false
    await lake.merge(spotifyArtists, [artist(3)])
    expect((await sortedArtists(lake)).length).toBe(3)
  })

  it('a process killed with SIGKILL in the middle of a large write leaves the table readable and unchanged', async () => {
    await lake.merge(spotifyArtists, [artist(1), artist(2), artist(3)])
    const before = await sortedArtists(lake)
    await lake.close()
    const tableDir = path.dirname(lake.filePath(spotifyArtists))
    const child = spawn(process.execPath, [path.join(import.meta.dirname, 'crash-writer.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
    const exited = new Promise((resolve) => child.on('exit', resolve))
    // Wait until the new version is being written (its temp file exists and grows), then kill the writer.
    const deadline = Date.now() + 60_000
    let partial: string | undefined
    while (Date.now() < deadline && !partial) {
      partial = (await fs.readdir(tableDir)).find((f) => f.endsWith('.partial'))
      if (!partial) await new Promise((resolve) => setTimeout(resolve, 20))
    }
    expect(partial, 'the child never started its write').toBeDefined()
    child.kill('SIGKILL')
    await exited
    expect(output).not.toContain('finished')
    lake = await openLake(dir)
    expect(await sortedArtists(lake)).toEqual(before)
    expect((await fs.readdir(tableDir)).filter((f) => f.endsWith('.partial'))).toEqual([])
  }, 90_000)

  it('migrates a table written with an older schema, keeping its rows and a backup', async () => {
    await lake.merge(spotifyArtists, [artist(1)])
    const file = lake.filePath(spotifyArtists)
    await lake.query(`COPY (SELECT artist_id, artist_name FROM read_parquet($file)) TO '${file}.old' (FORMAT parquet)`, { file })
    await lake.close()
    await fs.rename(`${file}.old`, file)
    lake = await openLake(dir)
    const rows = await sortedArtists(lake)
    expect(rows).toEqual([{ ...artist(1), genres: null, artist_mbid: null, fetched_at: null }])
    expect((await fs.readdir(path.join(dir, 'lake', '.backup'))).length).toBe(1)
  })
})
