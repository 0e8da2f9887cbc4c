import { createReadStream } from 'node:fs'
import readline from 'node:readline'
import pino from 'pino'
import { catalog } from '../../src/catalog.ts'
import { createLake } from '../../src/lake/lake.ts'
import { defaultGazetteerFile } from '../../src/stages/geography/gazetteer.ts'
import { mbzAreaHierarchy } from '../../src/stages/musicbrainz/tables.ts'
import { ok } from '../lib/http.ts'

export const benchPlaces = 1000
/** One populated place in this many of cities500 (with 1,000+ people) is taken: spread over every country. */
const takeEvery = 37

const areaId = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`

/**
 * mbz_area_hierarchy rows for `count` real, distinct places, as the MusicBrainz stage would write them (City,
 * country code, the US state's ISO 3166-2 code), taken from GeoNames' cities500 file itself: what is measured is the
 * service's speed, not the gazetteer's coverage.
 */
export async function buildGeographyLake (dataDir: string, count: number): Promise<number> {
  const lines = readline.createInterface({ input: createReadStream(defaultGazetteerFile(), 'utf8'), crlfDelay: Infinity })
  const rows: Array<Record<string, unknown>> = []
  const keys = new Set<string>()
  let eligible = 0
  for await (const line of lines) {
    const f = line.split('\t')
    const [name, featureCode, country, admin1, population] = [f[1]!, f[7]!, f[8]!, f[10]!, Number(f[14])]
    if (population < 1000 || /^PPL[HQW]$/.test(featureCode) || name.includes(',') || eligible++ % takeEvery !== 0) continue
    const us = country === 'US' && /^[A-Z]{2}$/.test(admin1)
    const key = `${name}|${country}|${us ? admin1 : ''}`
    if (keys.has(key)) continue
    keys.add(key)
    rows.push({ area_id: areaId(rows.length + 1), area_type: 'City', area_name: name, city: name, country_code: country, subdivision_code: us ? `US-${admin1}` : null })
    if (rows.length === count) break
  }
  lines.close()
  const lake = await createLake({ dataDir, log: pino({ level: 'silent' }), tables: catalog })
  try {
    await lake.merge(mbzAreaHierarchy, rows)
  } finally {
    await lake.close()
  }
  return rows.length
}

export interface CitiesRun {
  planned: number
  records: number
  failures: number
  inserted: number
  fetchMs: number[]
  ms: number
}

/** plan → fetch → write for every batch of /v1/geography/cities, over HTTP, the way the n8n workflow drives it. */
export async function runCities (baseUrl: string, plan: { batchSize: number, limit?: number }): Promise<CitiesRun> {
  const started = performance.now()
  const planned = (await ok(baseUrl, 'POST', '/v1/geography/cities/plan', { json: plan })).body as { total: number, batches: Array<{ planId: string, offset: number, limit: number }> }
  const run: CitiesRun = { planned: planned.total, records: 0, failures: 0, inserted: 0, fetchMs: [], ms: 0 }
  for (const batch of planned.batches) {
    const fetched = await ok(baseUrl, 'POST', '/v1/geography/cities/fetch', { json: batch })
    run.fetchMs.push(fetched.ms)
    run.records += fetched.body.records.length
    run.failures += fetched.body.failures.length
    const written = await ok(baseUrl, 'POST', '/v1/geography/cities/write', { json: { records: fetched.body.records, failures: fetched.body.failures, planId: batch.planId, offset: batch.offset } })
    run.inserted += written.body.records.inserted ?? 0
  }
  run.ms = performance.now() - started
  return run
}
