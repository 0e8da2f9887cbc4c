import { writeFileSync, readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { ok } from '../lib/http.ts'
import { memoryOf, type Service } from '../lib/service.ts'
import { mb, type Report } from './report.ts'

const MB = 1024 * 1024
const buildTargetMs = 30_000
const servicePeakTarget = 200 * MB
/** The service's memory settles within seconds after a large write (DuckDB purges freed pages in the background). */
const settleMs = 5_000

/** Resets VmHWM of a process (Linux: "5" to /proc/<pid>/clear_refs), so a peak is the peak of what follows. */
function resetPeak (pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5')
    return true
  } catch {
    return false
  }
}

/** Samples the resident set of a process every 50 ms: a fallback where the peak cannot be reset. */
function sampleRss (pid: number): { stop (): number } {
  let peak = 0
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024)
    } catch {}
  }, 50)
  return { stop: () => { clearInterval(timer); return peak } }
}

interface BuildAnswer {
  seconds: number
  peakRssBytes: number
  models: Array<{ name: string, rows: number | null, seconds: number }>
  tests: { passed: number, failed: number }
}

/** Update MBIDs, then two warehouse builds (the first, and the daily one after it), with the service's memory. */
export async function measureWarehouseBuilds (report: Report, service: Service, lake: { matched: number, countingPlays: number }, progress: (message: string) => void): Promise<void> {
  progress('Update MBIDs')
  const update = await ok(service.url, 'POST', '/v1/musicbrainz/update-mbids', { json: {} })
  report.timing('warehouse: Update MBIDs on 1,000,000 plays', update.ms)
  report.check('warehouse: Update MBIDs, artists / plays changed', update.body.artists === lake.matched && update.body.plays > 0,
    `${update.body.artists} / ${update.body.plays}`, `${lake.matched} / > 0`)
  const again = await ok(service.url, 'POST', '/v1/musicbrainz/update-mbids', { json: {} })
  report.check('warehouse: Update MBIDs again changes nothing', again.body.processed === 0, String(again.body.processed), '0')

  await sleep(settleMs)
  report.memory('warehouse: service RSS before the build', memoryOf(service.pid).rss)
  for (const run of ['build', 'rebuild']) {
    const reset = resetPeak(service.pid)
    const sampler = sampleRss(service.pid)
    progress(`warehouse ${run}`)
    const answer = await ok(service.url, 'POST', '/v1/warehouse/build', { json: {} })
    const sampled = sampler.stop()
    const body = answer.body as BuildAnswer
    report.timing(`warehouse: ${run} on 1,000,000 plays (snapshot, models, tests, swap)`, answer.ms, buildTargetMs)
    report.memory(`warehouse: service peak RSS during the ${run} (${reset ? 'VmHWM' : 'sampled'})`, reset ? memoryOf(service.pid).peak : sampled, servicePeakTarget)
    report.memory(`warehouse: build process peak RSS (${run})`, body.peakRssBytes)
    report.check(`warehouse: ${run}, model tests passed / failed`, body.tests.failed === 0 && body.tests.passed > 0, `${body.tests.passed} / ${body.tests.failed}`, '> 0 / 0')
    const facts = body.models.find((m) => m.name === 'fact_track_played')?.rows
    report.check(`warehouse: ${run}, fact_track_played rows = plays that count`, facts === lake.countingPlays, String(facts), String(lake.countingPlays))
    if (run === 'build') {
      const slowest = [...body.models].sort((a, b) => b.seconds - a.seconds).slice(0, 4).map((m) => `${m.name} ${m.seconds.toFixed(1)} s`)
      report.info('warehouse: slowest models', slowest.join(', '))
    }
  }
  report.info('warehouse: service RSS after the builds', mb(memoryOf(service.pid).rss))
}
