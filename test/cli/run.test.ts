import fs from 'node:fs/promises'
import path from 'node:path'
import request from 'supertest'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createFakeMusicBrainz, type FakeMusicBrainz } from '../fakes/fake-musicbrainz.ts'
import { createFakeOpenWeather, type FakeOpenWeather } from '../fakes/fake-openweather.ts'
import { createFakeSpotify, seedCatalog, type FakeSpotify } from '../fakes/fake-spotify.ts'
import { buildTestApp, makeTempDir, spotifyEnv } from '../helpers/build-app.ts'
import { runCli, startCli } from '../helpers/cli.ts'
import { exportEntry } from '../helpers/export.ts'
import { openLake } from '../helpers/lake.ts'
import { defaultProjectDir } from '../../src/stages/warehouse/project.ts'

let dir: string
let spotify: FakeSpotify
let musicbrainz: FakeMusicBrainz
let openweather: FakeOpenWeather
let env: Record<string, string>
let catalog: ReturnType<typeof seedCatalog>

beforeEach(async () => {
  dir = await makeTempDir('tracklake-cli-run-')
  spotify = await createFakeSpotify()
  // Every upstream points at a fake on 127.0.0.1, including those whose stages are not on this branch yet.
  musicbrainz = await createFakeMusicBrainz()
  openweather = await createFakeOpenWeather()
  env = {
    ...spotifyEnv(spotify.url),
    SPOTIFY_BATCH_ENDPOINTS: 'off',
    TRACKLAKE_DATA_DIR: dir,
    MUSICBRAINZ_URL: musicbrainz.url,
    MUSICBRAINZ_CONTACT: 'tests@example.org',
    GEOCODER: 'geonames',
    OPENWEATHER_URL: openweather.url,
  }
})

afterEach(async () => {
  await spotify.close()
  await musicbrainz.close()
  await openweather.close()
  await fs.rm(dir, { recursive: true, force: true })
})

/** `artists` artists with a track and an album each; every track played once, imported as an export would be. */
async function seedPlays (artists: number): Promise<void> {
  catalog = seedCatalog(spotify, { artists })
  const t = await buildTestApp(env, {}, dir)
  const entries = catalog.trackIds.map((id, i) => exportEntry({
    ts: new Date(Date.parse('2025-01-01T00:00:00Z') + i * 300_000).toISOString().replace('.000', ''),
    spotify_track_uri: `spotify:track:${id}`,
  }))
  expect((await request(t.app.server).post('/v1/ingest/streaming-history').set('content-type', 'application/json').send(JSON.stringify(entries))).status).toBe(200)
  await t.close()
}

async function count (table: string): Promise<number> {
  const lake = await openLake(dir)
  try {
    const [row] = await lake.query(`SELECT count(*)::INTEGER AS n FROM ${table}`)
    return Number(row?.n)
  } finally {
    await lake.close()
  }
}

async function partialFiles (): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true })
  return entries.filter((name) => name.endsWith('.partial'))
}

// Each test runs the CLI as child processes through whole chains; a busy CI machine has taken 160 s for the Ctrl-C one.
describe('tracklake run', { timeout: 480_000 }, () => {
  it('run daily: progress lines when not a terminal, a summary table, exit 0; status shows tables, runs, failures and the warehouse', async () => {
    await seedPlays(6)
    // One artist Spotify does not know: a miss, remembered with its next attempt.
    spotify.artists.delete(catalog.artistIds[0]!)
    const run = await runCli(['run', 'daily'], env)
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^spotify-tracks: 0\/6 \(0%\), .*left$/m)
    expect(run.stdout).toMatch(/^spotify-tracks: done, 6 of 6 in \d+/m)
    expect(run.stdout).toMatch(/^spotify-artists: done, 6 of 6 in /m)
    expect(run.stdout).toMatch(/^musicbrainz-discover: done, 6 of 6/m)
    expect(run.stdout).toMatch(/^musicbrainz-artists: done, 6 of 6/m)
    expect(run.stdout).toMatch(/^step\s+result\s+items\s+calls\s+time\s+note$/m)
    expect(run.stdout).toMatch(/^spotify-albums\s+done\s+6\/6\s+\d+\s+\d+ s$/m)
    // Every model of the project built: done, n of n.
    const built = /^warehouse-build\s+done\s+(\d+)\/(\d+)\s+/m.exec(run.stdout)
    expect(built?.[1]).toBeDefined()
    expect(built?.[1]).toBe(built?.[2])
    expect(Number(built?.[1])).toBe((await fs.readdir(path.join(defaultProjectDir(), 'models'), { recursive: true })).filter((f) => f.endsWith('.sql')).length)
    expect(run.stdout).toMatch(/^raw-retention\s+nothing to do/m)
    expect(await count('spotify_artists')).toBe(5)

    const status = await runCli(['status'], env)
    expect(status.code).toBe(0)
    expect(status.stdout).toMatch(/^spotify_artists\s+5\s+/m)
    expect(status.stdout).toMatch(/^tracks_played\s+6\s+/m)
    expect(status.stdout).toMatch(/^Daily ETL: finished .* ago: 6 done, 6 nothing to do$/m)
    expect(status.stdout).toMatch(/^\S+\s+warehouse\.build\s+ok\s+/m)
    expect(status.stdout).toMatch(/^spotify\/artists\s+1\s+\S+ \(in (23 h \d+ min|1 d 0 h)\)$/m)
    expect(status.stdout).toMatch(/^Warehouse: built .* ago/m)
  })

  it('run <step> runs one step; a step that fails exits 1 with its reason in one line', async () => {
    await seedPlays(3)
    const tracks = await runCli(['run', 'spotify-tracks'], env)
    expect(tracks.code).toBe(0)
    expect(tracks.stdout).toMatch(/^spotify-tracks\s+done\s+3\/3/m)
    expect(tracks.stdout).not.toContain('spotify-artists')

    const refused = await runCli(['run', 'spotify-artists'], { ...env, SPOTIFY_CLIENT_SECRET: 'wrong' })
    expect(refused.code).toBe(1)
    expect(refused.stderr.trim().split('\n')).toHaveLength(1)
    expect(refused.stderr).toMatch(/^tracklake: 1 of 1 step failed; spotify-artists: 1 of 1 batches failed, the others were written; first: UPSTREAM_AUTH_FAILED: Spotify refused the app credentials/)
  })

  it('Ctrl-C stops after the current batch and loses nothing: the lake is intact and the same command continues to the end', async () => {
    await seedPlays(120)
    // Each track lookup takes 40 ms, so a batch of 50 is in flight for about 2 s. When the fake sees the first request
    // of the second batch (the first is written by then), the test presses Ctrl-C.
    let lookups = 0
    let pressCtrlC = (): void => {}
    spotify.server.fault((r) => {
      if (!r.path.startsWith('/v1/tracks/')) return false
      if (++lookups === 51) pressCtrlC()
      return true
    }, { kind: 'delay', ms: 40 }, Number.POSITIVE_INFINITY)
    const child = startCli(['run', 'daily'], env)
    pressCtrlC = () => { child.child.kill('SIGINT') }
    const stopped = await child.exited
    expect(stopped.code).toBe(130)
    expect(stopped.stderr).toContain('SIGINT: stopping after the current batch')
    expect(stopped.stdout).toMatch(/^spotify-tracks: stopped, 100 of 120 in .*: stopped before the end/m)
    expect(stopped.stdout).toMatch(/^spotify-tracks\s+stopped\s+100\/120/m)

    // Intact: no half-written file, the lake free again, every table readable, the two written batches in it.
    expect(await partialFiles()).toEqual([])
    await expect(fs.stat(path.join(dir, 'tracklake.lock'))).rejects.toThrow()
    expect(await count('spotify_tracks')).toBe(100)
    expect(await count('tracks_played')).toBe(120)
    const kept = JSON.parse(await fs.readFile(path.join(dir, 'state', 'daily-run.json'), 'utf8'))
    expect(kept).toMatchObject({ finishedAt: null, stepIndex: 0, cursor: { step: 'spotify-tracks', processed: 100, plan: { next: 2 } } })

    const rerun = await runCli(['run', 'daily'], env)
    expect(rerun.code).toBe(0)
    expect(rerun.stderr).toMatch(/^continuing the daily run started .* ago \(0 of 12 stages through; --restart starts over\)$/m)
    expect(rerun.stdout).toMatch(/^spotify-tracks: done, 120 of 120/m)
    expect(await count('spotify_tracks')).toBe(120)
    expect(await count('spotify_artists')).toBe(120)
    expect(await count('spotify_albums')).toBe(120)
    // Every track was looked up once: the rerun fetched only the batch that was left.
    expect(spotify.catalogCalls('tracks')).toBe(120)
  })
})
