// node scripts/bench/service-memory.ts [--runs=N] [--build] [--keep=DIR]: the production service's resident memory at
// rest and its peak (VmHWM, reset before each step, as bench/daily.ts reads it) through the steps that rewrite all of
// tracks_played on the 1,000,000-play bench lake: the plays refill, Update MBIDs, and (--build) the warehouse build.
// Each run starts the built service (dist/, `npm run build` first) on a fresh copy of one lake; --keep reuses the lake
// in DIR between invocations, so settings can be compared without building it again.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import pino from 'pino'
import { catalog } from '../../src/catalog.ts'
import { createLake } from '../../src/lake/lake.ts'
import { spotifyTracks } from '../../src/stages/spotify/tables.ts'
import { ok } from '../lib/http.ts'
import { cpuMs, peakBytes, residentBytes, resetPeak } from '../lib/process-stats.ts'
import { makeTempDir, startService, type Service } from '../lib/service.ts'
import { buildLargeLake } from './lake-fixture.ts'
import { addEnrichment } from './warehouse-fixture.ts'

const MB = 1024 * 1024
const settleMs = 5_000
const args = process.argv.slice(2)
const runs = Number(args.find((a) => a.startsWith('--runs='))?.slice(7) ?? 2)
const withBuild = args.includes('--build')
const keep = args.find((a) => a.startsWith('--keep='))?.slice(7)

/** The bench lake, with what the MusicBrainz stage adds, and every track resolved: the refill has plays to fill. */
async function prepareLake (dataDir: string): Promise<void> {
  await buildLargeLake(dataDir)
  await addEnrichment(dataDir)
  const lake = await createLake({ dataDir, log: pino({ level: 'silent' }), tables: catalog })
  await lake.write([spotifyTracks], (tx) => tx.replaceWith(spotifyTracks, `SELECT * REPLACE (coalesce(artist_id, 'ar00000000000000000000') AS artist_id) FROM ${spotifyTracks.name}
    UNION ALL SELECT st.* REPLACE (t.track_id AS track_id) FROM (SELECT DISTINCT track_id FROM tracks_played WHERE artist_id IS NULL AND track_id IS NOT NULL) t,
    (SELECT * FROM ${spotifyTracks.name} WHERE artist_id IS NOT NULL LIMIT 1) st`))
  await lake.close()
}

interface Row { step: string, beforeMb: number, peakMb: number, seconds: number, cpuSeconds: number }

async function step (service: Service, name: string, work: () => Promise<unknown>): Promise<Row> {
  await sleep(settleMs)
  const before = residentBytes(service.pid)
  resetPeak(service.pid)
  const cpu = cpuMs(service.pid)
  const started = Date.now()
  await work()
  return { step: name, beforeMb: Math.round(before / MB), peakMb: Math.round(peakBytes(service.pid) / MB), seconds: (Date.now() - started) / 1000, cpuSeconds: (cpuMs(service.pid) - cpu) / 1000 }
}

const dir = keep ?? await makeTempDir('service-memory')
const base = path.join(dir, 'base')
try {
  if (!existsSync(path.join(base, 'lake'))) {
    console.log('building the lake')
    await prepareLake(base)
  }
  console.log(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  for (let run = 1; run <= runs; run++) {
    const copy = path.join(dir, 'run')
    await fs.rm(copy, { recursive: true, force: true })
    execFileSync('cp', ['-r', base, copy])
    const service = await startService(copy)
    try {
      await sleep(settleMs)
      const rows: Row[] = [{ step: 'at rest', beforeMb: Math.round(residentBytes(service.pid) / MB), peakMb: Math.round(peakBytes(service.pid) / MB), seconds: 0, cpuSeconds: 0 }]
      // Reading tracks_played runs the refill the start asked for, now.
      rows.push(await step(service, 'plays refill', () => ok(service.url, 'GET', '/v1/tables/tracks_played?limit=1')))
      rows.push(await step(service, 'update-mbids', () => ok(service.url, 'POST', '/v1/musicbrainz/update-mbids', { json: {} })))
      if (withBuild) rows.push(await step(service, 'warehouse build', () => ok(service.url, 'POST', '/v1/warehouse/build', { json: {} })))
      console.log(`run ${run}`)
      console.table(rows)
    } finally {
      await service.stop()
      if (service.logs.length > 0) console.log(service.logs.slice(0, 10).join('\n'))
    }
  }
} finally {
  if (!keep) await fs.rm(dir, { recursive: true, force: true })
}
