import { randomUUID } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import type { FastifyBaseLogger } from 'fastify'
import { AppError } from '../../errors.ts'
import { commitFile, tempPathFor, writeFileAtomic } from '../../lake/atomic-file.ts'
import type { Lake } from '../../lake/lake.ts'
import type { StateStore } from '../../lake/state-store.ts'
import type { TableDef } from '../../lake/table.ts'
import { buildVars, TestsFailed, type ModelResult, type TestResult } from './build.ts'
import { startBuildProcess, type BuildProcess, type ProcessOutcome } from './build-process.ts'
import { defaultProjectDir, loadProject, ProjectError } from './project.ts'
import { createWarehouseReader, type WarehouseReader } from './reader.ts'

/** The seeds: CSV files the user edits, under <data>/seeds/, created with their header on the first build. */
export const seeds = {
  mask_artists: { columns: ['artist_id', 'mask_name'] },
} as const

export interface BuildSummary {
  builtAt: string
  seconds: number
  /** peak resident memory of the build process (the build runs beside the service: build-process.ts) */
  peakRssBytes: number
  /** DuckDB's memory limit in the build that finished: above the first when a build ran out of memory */
  memoryLimit: string
  models: ModelResult[]
  tests: { passed: number, failed: number, results: TestResult[] }
}

export interface LastBuild {
  status: 'succeeded' | 'failed'
  startedAt: string
  seconds: number
  /** the error code and message of a failed build */
  error?: { code: string, message: string }
  tests?: { passed: number, failed: number, failing: Array<{ name: string, failures: number }> }
}

export interface WarehouseStatus {
  file: string
  maskFile: string
  built: boolean
  builtAt: string | null
  timezone: string | null
  bytes: number | null
  /** the marts it holds, with their rows */
  models: Array<{ name: string, rows: number, description: string }>
  tests: { passed: number, failed: number, results: Array<{ name: string, model: string, kind: string, status: string, failures: number }> } | null
  lastBuild: LastBuild | null
}

export interface Warehouse {
  readonly file: string
  readonly maskFile: string
  /**
   * Builds a new warehouse and puts it in place; one build at a time (a second call waits for the first). A build
   * still running when `timeUp` says so is ended, and fails.
   */
  build (options?: { timeUp?: () => boolean }): Promise<BuildSummary>
  status (): Promise<WarehouseStatus>
  /** read-only queries on the current warehouse, across rebuilds */
  readonly reader: WarehouseReader
  close (): Promise<void>
}

export interface WarehouseDeps {
  lake: Lake
  /** the lake tables the models read (each stage's, handed over by app.ts) */
  sources: readonly TableDef[]
  state: StateStore
  timezone: string
  now: () => Date
  log: FastifyBaseLogger
  version: string
  /** waits for plays still being filled from resolved tracks */
  settlePlays?: () => Promise<void>
  /** test seam: another project folder */
  projectDir?: string
  /** DuckDB memory limit and threads of a build (it spills to disk beyond the limit) */
  memoryLimit?: string
  threads?: number
  hooks?: {
    /** test seam: after the new file is built and tested, before it replaces the old one */
    beforeCommit?: () => Promise<void> | void
  }
}

const lastBuildState = 'warehouse/last-build'

/**
 * DuckDB's memory limit and threads in the build process. On the 1,000,000-play bench lake one thread and 64 MB build
 * in 15–19 s with the process peaking near 188 MB (the process itself, Node and DuckDB's code, is about 120 MB of it);
 * two threads need twice the memory for no gain on two cores. That lake builds at 56 MB and runs out at 48 MB, in
 * int_play_groups. A build that runs out of memory is run again with twice the limit, up to `maxMemoryLimitMb`.
 */
export const buildDefaults = { memoryLimit: '64MB', threads: 1 }
const maxMemoryLimitMb = 1024

/** The memory limits a build tries in turn: the first, then twice as much each time it runs out, up to the cap. */
export function memoryLimitsFrom (first: string): string[] {
  const match = /^(\d+)\s*(MB|MiB|GB|GiB)$/i.exec(first.trim())
  if (!match) return [first]
  let mb = Number(match[1]) * (/^g/i.test(match[2]!) ? 1024 : 1)
  const limits = [first]
  while (mb < maxMemoryLimitMb) {
    mb = Math.min(mb * 2, maxMemoryLimitMb)
    limits.push(`${mb}MB`)
  }
  return limits
}

const outOfMemory = (err: unknown): boolean => err instanceof AppError && err.code === 'WAREHOUSE_BUILD_FAILED' && err.message.includes('Out of Memory Error')

/** How often a running build checks whether its time is up. */
const timeCheckMs = 1000

/** The build's result; once `timeUp` says so (checked at once, then every second) the process is ended and it fails. */
async function outlive (build: BuildProcess, timeUp: () => boolean): Promise<ProcessOutcome> {
  let ended = false
  const check = (): void => {
    if (ended || !timeUp()) return
    ended = true
    build.kill()
  }
  const timer = setInterval(check, timeCheckMs)
  timer.unref()
  check()
  try {
    // Settles once the process has exited: nothing writes to the build's files after this.
    return await build.result
  } catch (err) {
    if (ended) throw new AppError('WAREHOUSE_BUILD_TIMED_OUT', 'the build took longer than maxSeconds and was ended; the previous warehouse is kept')
    throw err
  } finally {
    clearInterval(timer)
  }
}

export function createWarehouse (deps: WarehouseDeps): Warehouse {
  const { lake, state, log } = deps
  const file = path.join(lake.dataDir, 'warehouse.duckdb')
  const maskFile = path.join(lake.dataDir, 'seeds', 'mask_artists.csv')
  const projectDir = deps.projectDir ?? defaultProjectDir()
  const sourceTables = new Map(deps.sources.map((t) => [t.name, t]))
  const reader = createWarehouseReader({ file })
  let queue: Promise<unknown> = Promise.resolve()
  let running: BuildProcess | undefined

  async function ensureSeeds (): Promise<void> {
    for (const [name, seed] of Object.entries(seeds)) {
      const seedFile = path.join(lake.dataDir, 'seeds', `${name}.csv`)
      const exists = await fs.stat(seedFile).then((s) => s.size > 0, () => false)
      if (!exists) await writeFileAtomic(seedFile, `${seed.columns.join(',')}\n`)
    }
  }

  /** Unfinished builds of a process that died: `.warehouse.duckdb.<id>.partial` and its write-ahead log. */
  async function removeLeftovers (): Promise<void> {
    for (const entry of await fs.readdir(lake.dataDir)) {
      if (entry.startsWith('.warehouse.duckdb.') && entry.includes('.partial')) await fs.rm(path.join(lake.dataDir, entry), { force: true })
    }
  }

  /**
   * Hard links to the current file of every source table, taken under the tables' locks: one consistent cut of the
   * lake, which later writes (renames) cannot change. A copy where the file system has no hard links.
   */
  async function snapshot (names: string[], dir: string): Promise<Map<string, string>> {
    const tables = names.map((name) => sourceTables.get(name)!)
    const files = new Map<string, string>()
    await lake.write(tables, async () => {
      for (const table of tables) {
        const target = path.join(dir, `${table.name}.parquet`)
        await fs.link(lake.filePath(table), target).catch(() => fs.copyFile(lake.filePath(table), target))
        files.set(table.name, target)
      }
    })
    return files
  }

  async function buildOnce (timeUp: () => boolean): Promise<BuildSummary> {
    const started = performance.now()
    const startedAt = deps.now()
    const elapsed = (): number => Math.round(performance.now() - started) / 1000
    const work = path.join(lake.tmpDir, `warehouse-${randomUUID()}`)
    const target = tempPathFor(file)
    try {
      let project
      try {
        project = await loadProject(projectDir, { sources: [...sourceTables.keys(), ...Object.keys(seeds)], vars: buildVars })
      } catch (err) {
        if (err instanceof ProjectError) throw new AppError('WAREHOUSE_BUILD_FAILED', `the warehouse project is invalid: ${err.message}; the previous warehouse is kept`)
        throw err
      }
      await deps.settlePlays?.()
      await removeLeftovers()
      await ensureSeeds()
      await fs.mkdir(path.join(work, 'spill'), { recursive: true })
      const parquetSources = await snapshot(project.sources.filter((s) => sourceTables.has(s)), work)
      const csvSources = new Map<string, { file: string, columns: readonly string[] }>()
      for (const [name, seed] of Object.entries(seeds)) {
        if (!project.sources.includes(name)) continue
        const copy = path.join(work, `${name}.csv`)
        await fs.copyFile(path.join(lake.dataDir, 'seeds', `${name}.csv`), copy)
        csvSources.set(name, { file: copy, columns: seed.columns })
      }
      const scratchFile = path.join(work, 'scratch.duckdb')
      const limits = memoryLimitsFrom(deps.memoryLimit ?? buildDefaults.memoryLimit)
      /** Builds with each limit in turn while the build runs out of memory; the last limit's failure is the answer. */
      const buildWithin = async (attempt: number): Promise<{ outcome: ProcessOutcome, memoryLimit: string }> => {
        const memoryLimit = limits[attempt]!
        running = startBuildProcess({
          project,
          target,
          scratchFile,
          spillDir: path.join(work, 'spill'),
          parquetSources,
          csvSources,
          timezone: deps.timezone,
          now: startedAt,
          memoryLimit,
          threads: deps.threads ?? buildDefaults.threads,
          version: deps.version,
          progress: (done) => log.debug('model' in done ? { model: done.model } : { test: done.test }, 'warehouse build progress'),
        })
        try {
          return { outcome: await outlive(running, timeUp), memoryLimit }
        } catch (err) {
          const next = limits[attempt + 1]
          if (!outOfMemory(err) || next === undefined || timeUp()) throw err
          log.warn({ memoryLimit, next }, 'the warehouse build ran out of memory; building again with a higher limit')
          for (const partial of [target, `${target}.wal`, scratchFile, `${scratchFile}.wal`]) await fs.rm(partial, { force: true })
        } finally {
          running = undefined
        }
        return buildWithin(attempt + 1)
      }
      const { outcome, memoryLimit } = await buildWithin(0)
      await deps.hooks?.beforeCommit?.()
      await commitFile(target, file)
      const passed = outcome.tests.filter((t) => t.status === 'pass').length
      const summary: BuildSummary = {
        builtAt: startedAt.toISOString(),
        seconds: elapsed(),
        peakRssBytes: outcome.peakRssBytes,
        memoryLimit,
        models: outcome.models,
        tests: { passed, failed: outcome.tests.length - passed, results: outcome.tests },
      }
      await state.write(lastBuildState, { status: 'succeeded', startedAt: summary.builtAt, seconds: summary.seconds, tests: { passed, failed: 0, failing: [] } } satisfies LastBuild)
      log.info({ seconds: summary.seconds, models: outcome.models.length, tests: outcome.tests.length, peakRssBytes: outcome.peakRssBytes }, 'warehouse built')
      return summary
    } catch (err) {
      const error = err instanceof AppError ? err : new AppError('WAREHOUSE_BUILD_FAILED', 'the warehouse build failed (details are in the service log); the previous warehouse is kept', { cause: err })
      const tests = err instanceof TestsFailed
        ? {
            passed: err.outcome.tests.filter((t) => t.status === 'pass').length,
            failed: err.outcome.tests.filter((t) => t.status === 'fail').length,
            failing: err.outcome.tests.filter((t) => t.status === 'fail').map((t) => ({ name: t.name, failures: t.failures })),
          }
        : undefined
      await state.write(lastBuildState, { status: 'failed', startedAt: startedAt.toISOString(), seconds: elapsed(), error: { code: error.code, message: error.message }, ...(tests ? { tests } : {}) } satisfies LastBuild)
        .catch((stateErr: unknown) => log.error({ err: stateErr }, 'recording the failed warehouse build failed'))
      throw error
    } finally {
      await fs.rm(target, { force: true })
      await fs.rm(`${target}.wal`, { force: true })
      await fs.rm(work, { recursive: true, force: true })
    }
  }

  async function status (): Promise<WarehouseStatus> {
    const lastBuild = (await state.read<LastBuild>(lastBuildState)) ?? null
    // Relative to TRACKLAKE_DATA_DIR: an answer never shows where the data lives on the host.
    const base = { file: path.relative(lake.dataDir, file), maskFile: path.relative(lake.dataDir, maskFile), lastBuild }
    const stat = await fs.stat(file).catch(() => undefined)
    if (!stat) return { ...base, built: false, builtAt: null, timezone: null, bytes: null, models: [], tests: null }
    const [build] = await reader.query('SELECT built_at, timezone FROM meta.build')
    const models = await reader.query('SELECT name, rows, description FROM meta.models WHERE in_warehouse ORDER BY name')
    const results = await reader.query('SELECT name, model, kind, status, failures FROM meta.tests ORDER BY name')
    return {
      ...base,
      built: true,
      builtAt: build?.built_at as string ?? null,
      timezone: build?.timezone as string ?? null,
      bytes: stat.size,
      models: models.map((m) => ({ name: String(m.name), rows: Number(m.rows), description: String(m.description) })),
      tests: {
        passed: results.filter((r) => r.status === 'pass').length,
        failed: results.filter((r) => r.status !== 'pass').length,
        results: results.map((r) => ({ name: String(r.name), model: String(r.model), kind: String(r.kind), status: String(r.status), failures: Number(r.failures) })),
      },
    }
  }

  return {
    file,
    maskFile,
    build (options = {}) {
      const run = queue.then(() => buildOnce(options.timeUp ?? (() => false)))
      queue = run.catch(() => {})
      return run
    },
    status,
    reader,
    async close () {
      running?.kill()
      await queue
      await reader.close()
    },
  }
}
