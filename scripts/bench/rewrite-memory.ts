// node scripts/bench/rewrite-memory.ts: the service-side cost of rewriting all of tracks_played (what the plays refill
// and Update MBIDs do) on the 1,000,000-play bench lake, a plain write against a lean one (one DuckDB thread, freed
// memory handed back at once), each in a fresh process on a fresh copy of the lake, alternating, in one run.
import { execFileSync, spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import fs from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import path from 'node:path'
import pino from 'pino'
import { catalog } from '../../src/catalog.ts'
import { createLake } from '../../src/lake/lake.ts'
import { tracksPlayed } from '../../src/stages/ingest/tables.ts'
import { playsFill } from '../../src/stages/spotify/plays-refill.ts'
import { spotifyTracks } from '../../src/stages/spotify/tables.ts'
import { makeTempDir } from '../lib/service.ts'
import { buildLargeLake } from './lake-fixture.ts'

const statusKb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0)

if (process.argv[2] === '--child') {
  const [dataDir, mode] = process.argv.slice(3) as [string, 'plain' | 'lean']
  const lake = await createLake({ dataDir, log: pino({ level: 'silent' }), tables: catalog })
  const before = statusKb('VmRSS')
  writeFileSync('/proc/self/clear_refs', '5')
  const started = performance.now()
  const filled = await lake.write([tracksPlayed, spotifyTracks], (tx) => playsFill(tracksPlayed).run(tx), { lean: mode === 'lean' })
  const ms = performance.now() - started
  console.log(JSON.stringify({ mode, filled, ms: Math.round(ms), rssBeforeMb: Math.round(before / 1024), peakMb: Math.round(statusKb('VmHWM') / 1024), growthMb: Math.round((statusKb('VmHWM') - before) / 1024) }))
  await lake.close()
} else {
  const dir = await makeTempDir('rewrite-memory')
  try {
    const base = path.join(dir, 'base')
    const built = await buildLargeLake(base)
    console.log(`lake: ${built.plays.toLocaleString('en-US')} plays`)
    const lake = await createLake({ dataDir: base, log: pino({ level: 'silent' }), tables: catalog })
    // The refill's own case: every track resolved, the plays that lack an artist filled from it.
    await lake.write([spotifyTracks], (tx) => tx.replaceWith(spotifyTracks, `SELECT * REPLACE (coalesce(artist_id, '0000000000000000000000') AS artist_id) FROM ${spotifyTracks.name}
      UNION ALL SELECT st.* REPLACE (t.track_id AS track_id) FROM (SELECT DISTINCT track_id FROM tracks_played WHERE artist_id IS NULL AND track_id IS NOT NULL) t,
      (SELECT * FROM ${spotifyTracks.name} LIMIT 1) st`))
    await lake.close()
    for (const mode of ['plain', 'lean', 'plain', 'lean', 'plain', 'lean']) {
      const copy = path.join(dir, 'run')
      await fs.rm(copy, { recursive: true, force: true })
      execFileSync('cp', ['-r', base, copy])
      const child = spawn(process.execPath, ['--max-semi-space-size=2', '--optimize-for-size', new URL(import.meta.url).pathname, '--child', copy, mode], { stdio: ['ignore', 'inherit', 'inherit'] })
      await new Promise((resolve) => child.once('exit', resolve))
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true })
  }
}
