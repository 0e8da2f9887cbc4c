import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createFakeSpotify, seedCatalog, type FakeSpotify } from '../fakes/fake-spotify.ts'
import { makeTempDir, spotifyEnv } from '../helpers/build-app.ts'
import { freePort, runCli, startCli } from '../helpers/cli.ts'
import { exportEntry, exportZip } from '../helpers/export.ts'

let dir: string
let spotify: FakeSpotify

beforeEach(async () => {
  dir = await makeTempDir('tracklake-cli-remote-')
  spotify = await createFakeSpotify()
})
afterEach(async () => {
  await spotify.close()
  await fs.rm(dir, { recursive: true, force: true })
})

describe('a command while the service holds the lake', { timeout: 240_000 }, () => {
  it('works through the running service (with its bearer token) instead of opening the lake beside it', async () => {
    const catalog = seedCatalog(spotify, { artists: 3 })
    const port = await freePort()
    const env = { ...spotifyEnv(spotify.url), SPOTIFY_BATCH_ENDPOINTS: 'off', TRACKLAKE_DATA_DIR: path.join(dir, 'data'), PORT: String(port), TRACKLAKE_API_TOKEN: 'cli-test-token' }
    const service = startCli(['serve'], env)
    try {
      await service.waitFor(/tracklake is ready/)
      const zip = path.join(dir, 'export.zip')
      await fs.writeFile(zip, await exportZip({
        'Streaming_History_Audio_2025.json': catalog.trackIds.map((id, i) => exportEntry({ ts: `2025-02-0${i + 1}T10:00:00Z`, spotify_track_uri: `spotify:track:${id}` })),
      }))
      const imported = await runCli(['import-history', zip], env)
      expect(imported.code).toBe(0)
      expect(imported.stderr).toContain(`the service (pid ${service.child.pid}) holds the lake`)
      expect(imported.stdout).toContain('import-history: 3 new plays of 3')

      const daily = await runCli(['run', 'daily'], env)
      expect(daily.code).toBe(0)
      expect(daily.stdout).toMatch(/^spotify-artists: done, 3 of 3/m)
      expect(daily.stdout).toMatch(/^spotify-albums\s+done\s+3\/3/m)
      expect(daily.stdout).toMatch(/^raw-retention\s+nothing to do/m)

      const status = await runCli(['status'], env)
      expect(status.code).toBe(0)
      expect(status.stdout).toContain(`(through the service at http://127.0.0.1:${port})`)
      expect(status.stdout).toMatch(/^spotify_artists\s+3\s+/m)

      // The service refuses a wrong token; so does the command, in one line.
      const wrong = await runCli(['status'], { ...env, TRACKLAKE_API_TOKEN: 'wrong' })
      expect(wrong.code).toBe(1)
      expect(wrong.stderr).toMatch(/^tracklake: GET \/v1\/tables: UNAUTHORIZED: the bearer token is wrong$/m)
    } finally {
      service.child.kill('SIGTERM')
      await service.exited
    }
    await expect(fs.stat(path.join(dir, 'data', 'tracklake.lock'))).rejects.toThrow()
  })
})
