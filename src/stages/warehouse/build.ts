import { performance } from 'node:perf_hooks'
import { DuckDBInstance, quotedIdentifier as qi, quotedString as qs, type DuckDBConnection } from '@duckdb/node-api'
import { AppError } from '../../errors.ts'
import { handMemoryBack } from '../../lake/duckdb.ts'
import { execute, readRows, type JsonRow } from '../../lake/rows.ts'
import { render, type Layer, type Materialization, type Model, type ModelTestDef, type Project } from './project.ts'

export interface ModelResult {
  name: string
  layer: Layer
  materialized: Materialization
  /** rows of a table; null for a view (counting it would run it) */
  rows: number | null
  seconds: number
  /** CPU time of the build process meanwhile (DuckDB's threads included): unlike seconds, not stretched by a busy machine */
  cpuSeconds: number
  /** marts are what warehouse.duckdb holds; staging and intermediate models live only during the build */
  inWarehouse: boolean
}

export interface TestResult {
  name: string
  model: string
  kind: ModelTestDef['kind']
  description: string
  status: 'pass' | 'fail'
  /** rows the test query returned: 0 when it passes */
  failures: number
  /** the first rows it returned, when it failed */
  sample?: JsonRow[]
  seconds: number
  cpuSeconds: number
}

export interface BuildOutcome {
  models: ModelResult[]
  tests: TestResult[]
}

/**
 * Rows per row group of the warehouse tables. DuckDB's default (122,880) holds ~20 MB of fact rows in memory; 16,384
 * spent ~40% more CPU writing the million fact rows (per-row-group compression analysis) for no lower peak.
 */
const rowGroupSize = 65_536

/** The variables models read with {{ var('…') }}. */
export const buildVars = ['timezone', 'today', 'built_at'] as const

export interface BuildInput {
  project: Project
  /** where to build: a new file, renamed into place by the caller once this resolves */
  target: string
  /** scratch database for staging and intermediate models, and spill files; removed by the caller */
  scratchFile: string
  spillDir: string
  /** source name → parquet file (a snapshot of a lake table) */
  parquetSources: ReadonlyMap<string, string>
  /** source name → CSV file with a header (the seeds) and its columns */
  csvSources: ReadonlyMap<string, { file: string, columns: readonly string[] }>
  timezone: string
  now: Date
  memoryLimit: string
  threads: number
  /** meta.build tells the reader who built it */
  version: string
  /** called after each model and test (the service logs them at debug level) */
  progress?: (done: { model: ModelResult } | { test: TestResult }) => void
}

const firstLine = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 500)

const buildFailed = (what: string, err: unknown): AppError =>
  new AppError('WAREHOUSE_BUILD_FAILED', `${what}: ${firstLine(err)}; the previous warehouse is kept`, { cause: err })

/** Where a model lives during the build: marts in the new warehouse file, the others in the scratch database. */
export function relationOf (model: Pick<Model, 'name' | 'layer'>): string {
  return model.layer === 'marts' ? `wh.main.${qi(model.name)}` : `${qi(model.layer)}.${qi(model.name)}`
}

const seconds = (since: number): number => Math.round(performance.now() - since) / 1000
const cpuNow = (): number => { const { user, system } = process.cpuUsage(); return (user + system) / 1000 }
const cpuSeconds = (since: number): number => Math.round(cpuNow() - since) / 1000

/**
 * Builds every model of the project, in order, into `target` and runs the model tests. Staging and intermediate
 * models live in a scratch database beside it; the marts and the meta schema (build, models, tests) go to `target`.
 * DuckDB runs in its own instance with a memory limit and spills to `spillDir` beyond it; the service calls this in a
 * child process (build-process.ts). A failing model throws
 * WAREHOUSE_BUILD_FAILED naming it; failing tests throw WAREHOUSE_TESTS_FAILED naming them. Either way `target` is
 * left for the caller to remove.
 */
export async function buildWarehouse (input: BuildInput): Promise<BuildOutcome> {
  const started = performance.now()
  const instance = await DuckDBInstance.create(':memory:', {
    memory_limit: input.memoryLimit,
    threads: String(input.threads),
    temp_directory: input.spillDir,
    ...handMemoryBack,
    enable_external_file_cache: 'false',
  })
  try {
    const conn = await instance.connect()
    try {
      return await buildWith(conn, input, started)
    } finally {
      conn.closeSync()
    }
  } finally {
    instance.closeSync()
  }
}

async function buildWith (conn: DuckDBConnection, input: BuildInput, started: number): Promise<BuildOutcome> {
  const { project } = input
  await conn.run("SET TimeZone = 'UTC'")
  await execute(conn, 'SET VARIABLE timezone = $tz', { tz: input.timezone })
  await execute(conn, 'SET VARIABLE built_at = $now::TIMESTAMPTZ', { now: input.now.toISOString() })
  await execute(conn, 'SET VARIABLE today = timezone($tz, $now::TIMESTAMPTZ)::DATE', { tz: input.timezone, now: input.now.toISOString() })
  // Small row groups, written one at a time: a row group is held whole in memory until it is written.
  await conn.run('SET write_buffer_row_group_count = 1')
  await conn.run(`ATTACH ${qs(input.scratchFile)} AS scratch (ROW_GROUP_SIZE ${rowGroupSize})`)
  await conn.run('USE scratch')
  await conn.run(`ATTACH ${qs(input.target)} AS wh (ROW_GROUP_SIZE ${rowGroupSize})`)
  for (const schema of ['src', 'staging', 'intermediate']) await conn.run(`CREATE SCHEMA ${schema}`)

  // Seeds first, while DuckDB still keeps the file's line order (their last line for a key wins).
  for (const [name, csv] of input.csvSources) {
    const columns = csv.columns.map((c) => `${qs(c)}: 'VARCHAR'`).join(', ')
    try {
      await conn.run(`CREATE TABLE src.${qi(name)} AS SELECT *, row_number() OVER () AS line
        FROM read_csv(${qs(csv.file)}, header = true, auto_detect = false, delim = ',', quote = '"', buffer_size = 1048576, columns = {${columns}})`)
    } catch (err) {
      throw buildFailed(`the seed file ${name}.csv cannot be read`, err)
    }
  }
  await conn.run('SET preserve_insertion_order = false')
  for (const [name, file] of input.parquetSources) {
    await conn.run(`CREATE VIEW src.${qi(name)} AS SELECT * FROM read_parquet(${qs(file)})`)
  }
  for (const macro of project.macros) {
    try {
      await conn.run(macro.body)
    } catch (err) {
      throw buildFailed(`macro file ${macro.file} failed`, err)
    }
  }

  const byName = new Map(project.models.map((m) => [m.name, m]))
  const names = {
    ref: (name: string) => relationOf(byName.get(name)!),
    source: (name: string) => `src.${qi(name)}`,
    var: (name: string) => `getvariable(${qs(name)})`,
  }

  // A view kept in the warehouse names the marts it reads without a catalog: it binds in the file it lives in.
  const inWarehouse = { ...names, ref: (name: string) => qi(name) }

  const models: ModelResult[] = []
  for (const model of project.models) {
    const t0 = performance.now()
    const cpu0 = cpuNow()
    const relation = relationOf(model)
    const body = render(model.body, model.layer === 'marts' && model.materialized === 'view' ? inWarehouse : names)
    try {
      await conn.run(`CREATE ${model.materialized === 'view' ? 'VIEW' : 'TABLE'} ${relation} AS\n${body}`)
    } catch (err) {
      throw buildFailed(`model ${model.name} (${model.file}) failed`, err)
    }
    let rows: number | null = null
    if (model.materialized === 'table') {
      const [row] = await readRows(conn, `SELECT count(*)::BIGINT AS n FROM ${relation}`)
      rows = Number(row?.n ?? 0)
    }
    const result: ModelResult = { name: model.name, layer: model.layer, materialized: model.materialized, rows, seconds: seconds(t0), cpuSeconds: cpuSeconds(cpu0), inWarehouse: model.layer === 'marts' }
    models.push(result)
    input.progress?.({ model: result })
  }

  const tests: TestResult[] = []
  for (const test of project.tests) {
    const t0 = performance.now()
    const cpu0 = cpuNow()
    const sql = render(test.body, names)
    let sample: JsonRow[]
    let failures = 0
    try {
      sample = await readRows(conn, `SELECT * FROM (\n${sql}\n) LIMIT 3`)
      if (sample.length > 0) {
        const [row] = await readRows(conn, `SELECT count(*)::BIGINT AS n FROM (\n${sql}\n)`)
        failures = Number(row?.n ?? 0)
      }
    } catch (err) {
      throw buildFailed(`model test ${test.name} could not run`, err)
    }
    const result: TestResult = {
      name: test.name,
      model: test.model,
      kind: test.kind,
      description: test.description,
      status: failures === 0 ? 'pass' : 'fail',
      failures,
      ...(failures > 0 ? { sample } : {}),
      seconds: seconds(t0),
      cpuSeconds: cpuSeconds(cpu0),
    }
    tests.push(result)
    input.progress?.({ test: result })
  }
  const failed = tests.filter((t) => t.status === 'fail')
  if (failed.length > 0) throw testsFailed(failed, tests.length, { models, tests })

  await writeMeta(conn, input, { models, tests }, seconds(started))
  // Everything into the file itself (no write-ahead log beside it), then let go of it: the caller renames it.
  await conn.run('CHECKPOINT wh')
  await conn.run('DETACH wh')
  return { models, tests }
}

/** The error of a build whose tests failed: the message names each failing test, the details hold its first rows. */
export class TestsFailed extends AppError {
  readonly outcome: BuildOutcome

  constructor (message: string, details: Array<{ field: string, problem: string }>, outcome: BuildOutcome) {
    super('WAREHOUSE_TESTS_FAILED', message, { details })
    this.outcome = outcome
  }
}

function testsFailed (failed: TestResult[], total: number, outcome: BuildOutcome): TestsFailed {
  const list = failed.map((t) => `${t.name} (${t.failures} row${t.failures === 1 ? '' : 's'})`).join(', ')
  const details = failed.map((t) => ({
    field: t.name,
    problem: `${t.description || t.kind}: ${t.failures} row${t.failures === 1 ? '' : 's'} returned, e.g. ${JSON.stringify(t.sample?.[0] ?? {}).slice(0, 300)}`,
  }))
  return new TestsFailed(`${failed.length} of ${total} model tests failed: ${list}; the previous warehouse is kept`, details, outcome)
}

async function writeMeta (conn: DuckDBConnection, input: BuildInput, outcome: BuildOutcome, buildSeconds: number): Promise<void> {
  const passed = outcome.tests.filter((t) => t.status === 'pass').length
  await conn.run('CREATE SCHEMA wh.meta')
  await conn.run(`CREATE TABLE wh.meta.build (built_at TIMESTAMPTZ, timezone VARCHAR, today DATE, seconds DOUBLE, models INTEGER,
    tests_passed INTEGER, tests_failed INTEGER, built_by VARCHAR)`)
  await execute(conn, `INSERT INTO wh.meta.build VALUES (getvariable('built_at'), getvariable('timezone'), getvariable('today'),
    $seconds, $models, $passed, $failed, $version)`, {
    seconds: buildSeconds, models: outcome.models.length, passed, failed: outcome.tests.length - passed, version: `tracklake ${input.version}`,
  })
  await conn.run(`CREATE TABLE wh.meta.models (name VARCHAR, layer VARCHAR, materialized VARCHAR, in_warehouse BOOLEAN,
    description VARCHAR, depends_on VARCHAR[], sources VARCHAR[], rows BIGINT, seconds DOUBLE)`)
  const byName = new Map(input.project.models.map((m) => [m.name, m]))
  for (const m of outcome.models) {
    const model = byName.get(m.name)!
    await execute(conn, 'INSERT INTO wh.meta.models VALUES ($name, $layer, $materialized, $inWarehouse, $description, $refs, $sources, $rows, $seconds)', {
      name: m.name, layer: m.layer, materialized: m.materialized, inWarehouse: m.inWarehouse, description: model.description, refs: model.refs, sources: model.sources, rows: m.rows, seconds: m.seconds,
    })
  }
  await conn.run('CREATE TABLE wh.meta.tests (name VARCHAR, model VARCHAR, kind VARCHAR, description VARCHAR, status VARCHAR, failures BIGINT)')
  for (const t of outcome.tests) {
    await execute(conn, 'INSERT INTO wh.meta.tests VALUES ($name, $model, $kind, $description, $status, $failures)', {
      name: t.name, model: t.model, kind: t.kind, description: t.description, status: t.status, failures: t.failures,
    })
  }
}
