import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeTempDir } from '../helpers/build-app.ts'
import { runCli } from '../helpers/cli.ts'
import { exportEntry, exportZip, podcastEntry } from '../helpers/export.ts'
import { openLake } from '../helpers/lake.ts'

let dir: string
let dataDir: string

beforeEach(async () => {
  dir = await makeTempDir('tracklake-cli-')
  dataDir = path.join(dir, 'data')
})
afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }) })

const plays = (year: number, count: number) => Array.from({ length: count }, (_, i) => exportEntry({
  ts: `${year}-03-01T10:${String(i).padStart(2, '0')}:00Z`,
  spotify_track_uri: `spotify:track:${String(year).padEnd(22, String(i % 10))}`,
}))

async function storedPlays (): Promise<number> {
  const lake = await openLake(dataDir)
  try {
    const [row] = await lake.query('SELECT count(*)::INTEGER AS n FROM tracks_played')
    return Number(row?.n)
  } finally {
    await lake.close()
  }
}

describe('tracklake import-history', { timeout: 180_000 }, () => {
  it('imports the export zip with progress lines and a summary, through the same import as the route; again adds nothing', async () => {
    const zip = path.join(dir, 'my_spotify_data.zip')
    await fs.writeFile(zip, await exportZip({
      'Spotify Extended Streaming History/Streaming_History_Audio_2023.json': plays(2023, 5),
      'Spotify Extended Streaming History/Streaming_History_Audio_2024.json': [...plays(2024, 3), podcastEntry('2024-05-01T10:00:00Z')],
      'Spotify Extended Streaming History/Streaming_History_Video_2024.json': [],
    }))
    const first = await runCli(['import-history', zip], { TRACKLAKE_DATA_DIR: dataDir })
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    // Not a terminal: plain progress lines, then the closing line and the summary table.
    expect(first.stdout).toMatch(/^import-history: 0 B\/\d+(\.\d)? KB \(0%\)/m)
    expect(first.stdout).toMatch(/^import-history: (\d+(\.\d)? KB)\/\1 \(100%\), .* writing to the lake…$/m)
    expect(first.stdout).toContain('import-history: 8 new plays of 8')
    expect(first.stdout).toMatch(/audio history files\s+2/)
    expect(first.stdout).toMatch(/podcasts, audiobooks, no track \(skipped\)\s+1/)
    expect(await storedPlays()).toBe(8)

    const again = await runCli(['import-history', zip], { TRACKLAKE_DATA_DIR: dataDir })
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/already stored\s+8/)
    expect(await storedPlays()).toBe(8)
    // The lake is free again once the command is through.
    await expect(fs.stat(path.join(dataDir, 'tracklake.lock'))).rejects.toThrow()
  })

  it('imports every Streaming_History_Audio_*.json of a folder, or one such file', async () => {
    const folder = path.join(dir, 'Spotify Extended Streaming History')
    await fs.mkdir(folder)
    await fs.writeFile(path.join(folder, 'Streaming_History_Audio_2022.json'), JSON.stringify(plays(2022, 4)))
    await fs.writeFile(path.join(folder, 'Streaming_History_Audio_2023_1.json'), JSON.stringify(plays(2023, 2)))
    await fs.writeFile(path.join(folder, 'Streaming_History_Video_2023.json'), JSON.stringify(plays(2021, 7)))
    await fs.writeFile(path.join(folder, 'ReadMeFirst_ExtendedStreamingHistory.pdf'), 'pdf')
    const fromFolder = await runCli(['import-history', folder], { TRACKLAKE_DATA_DIR: dataDir })
    expect(fromFolder.code).toBe(0)
    expect(fromFolder.stdout).toMatch(/audio history files\s+2/)
    expect(await storedPlays()).toBe(6)

    const single = path.join(dir, 'Streaming_History_Audio_2020.json')
    await fs.writeFile(single, JSON.stringify(plays(2020, 3)))
    const one = await runCli(['import-history', single], { TRACKLAKE_DATA_DIR: dataDir })
    expect(one.code).toBe(0)
    expect(await storedPlays()).toBe(9)

    const bad = path.join(dir, 'Streaming_History_Audio_bad.json')
    await fs.writeFile(bad, JSON.stringify([...plays(2019, 1), { ...plays(2018, 1)[0], ts: 'yesterday' }]))
    const partly = await runCli(['import-history', bad], { TRACKLAKE_DATA_DIR: dataDir })
    expect(partly.code).toBe(0)
    expect(partly.stdout).toMatch(/quarantined\s+1/)
    expect(await storedPlays()).toBe(10)

    const notExport = path.join(dir, 'Streaming_History_Audio_other.json')
    await fs.writeFile(notExport, JSON.stringify([{ name: 'a playlist', tracks: 3 }]))
    const refused = await runCli(['import-history', notExport], { TRACKLAKE_DATA_DIR: dataDir })
    expect(refused.code).toBe(1)
    expect(refused.stderr.trim().split('\n')).toHaveLength(1)
    expect(refused.stderr.trim()).toBe('tracklake: Streaming_History_Audio_other.json: INVALID_EXPORT: Streaming_History_Audio_other.json: is not a Spotify extended streaming history file: its entries have no ts or ms_played')

    // A folder named like an audio history file: it fails as it is read, and the command says so in one line.
    const oddFolder = path.join(dir, 'odd-export')
    await fs.mkdir(path.join(oddFolder, 'Streaming_History_Audio_2021.json'), { recursive: true })
    const unreadable = await runCli(['import-history', oddFolder], { TRACKLAKE_DATA_DIR: dataDir })
    expect(unreadable.code).toBe(1)
    expect(unreadable.stderr.trim().split('\n')).toHaveLength(1)
    expect(unreadable.stderr.trim()).toMatch(/^tracklake: Streaming_History_Audio_2021\.json: cannot be read \(EISDIR/)
    expect(await storedPlays()).toBe(10)
  })
})
