import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { DuckDBInstance, quotedString as qs } from '@duckdb/node-api'

/**
 * The floors of the Daily ETL bench: what DuckDB alone takes for the work a step does, measured in the same run on the
 * same files. DuckDB runs here, in the bench process, with the machine's threads and its own defaults: no service,
 * no HTTP, no JSON, no plan store around it.
 */
export interface LakeReader {
  /** A query over the lake's tables (each a view on its current parquet file); rows as plain objects. */
  query (sql: string): Promise<Array<Record<string, unknown>>>
  /** Wall milliseconds of `sql`, run `times` times: each run's time. */
  time (sql: string, times: number): Promise<{ ms: number[], rows: number }>
  close (): void
}

export async function createLakeReader (lakeDir: string): Promise<LakeReader> {
  const instance = await DuckDBInstance.create(':memory:', { threads: String(os.cpus().length), enable_external_file_cache: 'false' })
  const conn = await instance.connect()
  await conn.run("SET TimeZone = 'UTC'")
  const tables = await fs.readdir(lakeDir)
  // Views on the table files: a file replaced by rename is read anew by the next query.
  for (const table of tables.filter((name) => !name.startsWith('.'))) {
    await conn.run(`CREATE VIEW ${table} AS SELECT * FROM read_parquet(${qs(path.join(lakeDir, table, `${table}.parquet`))})`)
  }
  return {
    async query (sql) {
      const reader = await conn.runAndReadAll(sql)
      return reader.getRowObjectsJS() as Array<Record<string, unknown>>
    },
    async time (sql, times) {
      const ms: number[] = []
      let rows = 0
      for (let i = 0; i < times; i++) {
        const started = performance.now()
        const reader = await conn.runAndReadAll(sql)
        ms.push(performance.now() - started)
        rows = reader.currentRowCount
      }
      return { ms, rows }
    },
    close () {
      conn.closeSync()
      instance.closeSync()
    },
  }
}

/** DuckDB alone turning the export's JSON files into one parquet file: the import's floor. */
export async function importFloor (jsonFiles: readonly string[], workDir: string): Promise<number> {
  const instance = await DuckDBInstance.create(':memory:', { threads: String(os.cpus().length) })
  const conn = await instance.connect()
  const target = path.join(workDir, 'floor.parquet')
  try {
    const started = performance.now()
    await conn.run(`COPY (SELECT * FROM read_json([${jsonFiles.map((f) => qs(f)).join(', ')}], format = 'array'))
      TO ${qs(target)} (FORMAT parquet, COMPRESSION zstd)`)
    return performance.now() - started
  } finally {
    conn.closeSync()
    instance.closeSync()
    await fs.rm(target, { force: true })
  }
}

/**
 * Each granular step's plan as one bare query: candidates (id, weight), minus the keys done and the keys waiting in
 * failure backoff, most weighty first, ties by key. The same question the service's plan answers, asked of DuckDB
 * directly.
 */
const credited = 'SELECT unnest(CASE WHEN len(artist_ids) > 0 THEN artist_ids ELSE [artist_id] END) AS id FROM tracks_played WHERE artist_id IS NOT NULL'
const planCandidates: Record<string, { stage: string, resource: string, candidates: string, done: string }> = {
  'spotify-tracks': {
    stage: 'spotify',
    resource: 'tracks',
    candidates: 'SELECT track_id AS id, count(*) AS weight FROM tracks_played WHERE track_id IS NOT NULL AND artist_id IS NULL GROUP BY track_id',
    done: 'SELECT track_id FROM spotify_tracks',
  },
  'spotify-artists': { stage: 'spotify', resource: 'artists', candidates: `SELECT id, count(*) AS weight FROM (${credited}) GROUP BY id`, done: 'SELECT artist_id FROM spotify_artists' },
  'spotify-albums': {
    stage: 'spotify',
    resource: 'albums',
    candidates: 'SELECT album_id AS id, count(*) AS weight FROM tracks_played WHERE album_id IS NOT NULL GROUP BY album_id',
    done: 'SELECT album_id FROM spotify_albums',
  },
  'musicbrainz-artists': { stage: 'musicbrainz', resource: 'artists', candidates: `SELECT id, count(*) AS weight FROM (${credited}) GROUP BY id`, done: 'SELECT spotify_id FROM mbz_artist_match' },
  'geography-cities': {
    stage: 'geography',
    resource: 'cities',
    candidates: `WITH artist_areas AS (SELECT id AS artist, unnest([area_id, begin_area_id, end_area_id]) AS area FROM mbz_artist_info)
      SELECT h.params AS id, count(DISTINCT aa.artist) AS weight FROM mbz_area_hierarchy h LEFT JOIN artist_areas aa ON aa.area = h.area_id
      WHERE h.params IS NOT NULL GROUP BY h.params`,
    done: 'SELECT params FROM cities_with_lat_long',
  },
}

export function planFloorSql (step: string): string | undefined {
  const plan = planCandidates[step]
  if (!plan) return undefined
  return `SELECT c.id FROM (${plan.candidates}) c
    WHERE c.id IS NOT NULL AND c.id NOT IN (${plan.done})
      AND c.id NOT IN (SELECT entity_id FROM enrichment_failures WHERE stage = '${plan.stage}' AND resource = '${plan.resource}' AND next_attempt_at > now())
    ORDER BY c.weight DESC, c.id`
}
