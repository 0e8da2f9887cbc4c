import { existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ok } from '../lib/http.ts'
import { buildProduction, makeTempDir, startService } from '../lib/service.ts'
import { buildLargeLake } from './lake-fixture.ts'
import { createReport, formatTable, type Report } from './report.ts'
import { addEnrichment } from './warehouse-fixture.ts'

/** Issue 14: a report query on a 1,000,000-play warehouse answers in under this. */
export const reportTargetMs = 300
const defaultRuns = 7

export interface ReportTiming {
  /** the request, as the page sends it */
  query: string
  medianMs: number
  minMs: number
  maxMs: number
  runs: number
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/**
 * The queries the reports page sends, over the whole history (the widest scans) and with each kind of filter: the
 * overview, the four views, and the one-row places query of Over time.
 */
async function reportQueries (url: string, headers: Record<string, string>): Promise<string[]> {
  const overview = (await ok(url, 'GET', '/v1/reports', undefined, { headers })).body
  if (!overview.built || !overview.plays) throw new Error('the warehouse is not built or has no plays: POST /v1/warehouse/build first')
  const all = `from=${overview.firstDate}&to=${overview.lastDate}`
  const genres = (await ok(url, 'GET', `/v1/reports/genres?${all}&limit=1`, undefined, { headers })).body
  const places = (await ok(url, 'GET', `/v1/reports/places?${all}&limit=1`, undefined, { headers })).body
  const genre = encodeURIComponent(genres.genres?.[0]?.genre ?? 'rock')
  const continent = places.continents?.[0]?.code ?? 'EU'
  const country = places.countries?.[0]?.code
  return [
    '/v1/reports',
    '/v1/reports/recent?limit=10',
    `/v1/reports/recent?${all}&limit=10`,
    `/v1/reports/time?${all}`,
    `/v1/reports/time?${all}&continent=${continent}`,
    `/v1/reports/places?${all}&continent=${continent}&limit=1`,
    `/v1/reports/genres?${all}&limit=500&artists=15`,
    `/v1/reports/genres?${all}&genre=${genre}&limit=500&artists=15`,
    `/v1/reports/places?${all}&limit=2000`,
    `/v1/reports/places?${all}&continent=${continent}${country ? `&country=${country}` : ''}&limit=2000`,
  ]
}

/**
 * Times every report query of a running service over HTTP: one call to warm up, then the median of `runs` calls,
 * one query after another (what one person's page does).
 */
export async function benchReports (url: string, options: { headers?: Record<string, string>, runs?: number } = {}): Promise<ReportTiming[]> {
  const headers = options.headers ?? {}
  const runs = options.runs ?? defaultRuns
  const timings: ReportTiming[] = []
  for (const query of await reportQueries(url, headers)) {
    await ok(url, 'GET', query, undefined, { headers })
    const ms: number[] = []
    for (let i = 0; i < runs; i++) ms.push((await ok(url, 'GET', query, undefined, { headers })).ms)
    timings.push({ query, medianMs: median(ms), minMs: Math.min(...ms), maxMs: Math.max(...ms), runs })
  }
  return timings
}

/** A query as the bench tables name it: the request without its date bounds, and whether it spans all dates. */
export function reportLabel (query: string): string {
  const allDates = query.includes('from=')
  return `GET ${query.replace(/from=[^&]+&to=[^&]+&?/, '').replace(/\?$/, '')}${allDates ? ', all dates' : ''}`
}

/** The bench rows: each query's median against the target, the spread as information. */
export async function measureReports (report: Report, url: string, options: { headers?: Record<string, string>, runs?: number, plays?: string } = {}): Promise<ReportTiming[]> {
  const timings = await benchReports(url, options)
  for (const t of timings) {
    report.timing(`reports: ${reportLabel(t.query)} on ${options.plays ?? '1,000,000'} plays (median of ${t.runs})`, t.medianMs, reportTargetMs)
  }
  const slowest = timings.reduce((a, b) => (b.maxMs > a.maxMs ? b : a))
  report.info('reports: slowest single call', `${Math.round(slowest.maxMs)} ms (${slowest.query.split('?')[0]})`)
  return timings
}

/**
 * `node scripts/bench/reports.ts`: builds the bench lake of 1,000,000 plays with MusicBrainz and geography rows (as
 * `npm run bench -- warehouse` does), builds its warehouse through the service, and times the report queries.
 * `node scripts/bench/reports.ts <data dir>` keeps that lake: built there the first time, only timed afterwards.
 */
async function main (): Promise<void> {
  const given = process.argv[2]
  const dir = given ? undefined : await makeTempDir('reports')
  const dataDir = given ? path.resolve(given) : path.join(dir!, 'data')
  const build = !existsSync(path.join(dataDir, 'warehouse.duckdb'))
  const report = createReport()
  const log = (message: string): void => { console.error(`[${new Date().toISOString().slice(11, 19)}] ${message}`) }
  try {
    log('building dist/ (the service runs as in production)')
    await buildProduction()
    if (build) {
      log('building a lake of 1,000,000 plays with MusicBrainz and geography rows')
      await buildLargeLake(dataDir)
      await addEnrichment(dataDir)
    }
    const service = await startService(dataDir, { TRACKLAKE_TIMEZONE: 'Europe/Berlin' })
    try {
      if (build) {
        log('warehouse build')
        await ok(service.url, 'POST', '/v1/musicbrainz/update-mbids', { json: {} })
        const build = await ok(service.url, 'POST', '/v1/warehouse/build', { json: {} }, { timeoutMs: 600_000 })
        report.timing('reports: warehouse build (setup)', build.ms)
      }
      const plays = (await ok(service.url, 'GET', '/v1/reports')).body.plays
      log('timing the report queries')
      await measureReports(report, service.url, { plays: Number(plays).toLocaleString('en-US') })
    } finally {
      await service.stop()
    }
  } catch (err) {
    report.error('reports', err)
  } finally {
    if (dir) await fs.rm(dir, { recursive: true, force: true })
  }
  console.log(`\n${formatTable(report.rows)}\n`)
  process.exitCode = report.failed() ? 1 : 0
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main()
