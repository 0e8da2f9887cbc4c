// SIGKILL at random moments of a call: after each restart every table reads, each is the version before the call or
// the one the call makes (never a mix), keys are unique, and running the call again finishes the work.
import fs from 'node:fs/promises'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { call } from '../lib/http.ts'
import type { Service } from '../lib/service.ts'
import { readThroughService, rowsMissing, versionOf, type LakeRead, type LakeState } from '../lib/lake-integrity.ts'
import type { Random } from './random.ts'
import type { Section, Suite } from './suite.ts'
import { createWorld, logErrors, settle, type World, type WorldSpec } from './world.ts'

export interface KillContext {
  world: World
  section: Section
  /** the scenario's name, for violations and counters */
  name: string
  random: Random
  /** what the scenario keeps between its calls (records to post, plan ids …) */
  memory: Record<string, any>
}

export interface StatesAround {
  before: LakeRead
  afterKill: LakeRead
  final: LakeRead
}

/**
 * One scenario of the kill section. Adding a stage's long call is one entry: how to set the world up, the call that
 * is killed, and how to finish the work after the restart.
 */
export interface KillScenario {
  name: string
  /** a route of the call: a 404 ROUTE_NOT_FOUND skips the scenario, loudly, until the stage is merged */
  route: { method: string, path: string }
  world: WorldSpec
  /**
   * `once` (the default): the call commits each table once, so after a kill a table is the old or the new version.
   * `progressively`: a time-boxed walk commits as it goes; after a kill each table holds every old row and only rows of
   * the final version (committed steps, never half a step).
   */
  commits?: 'once' | 'progressively'
  /** once, before the trials; answers how long one uninterrupted call takes (kills land within 1.2 × that) */
  setup (ctx: KillContext): Promise<number>
  /** before each trial, not killed: makes the work the trial's call will do */
  prepare? (ctx: KillContext, trial: number): Promise<void>
  /** the call that is killed; resolves when it answered, rejects when the kill cut it */
  start (ctx: KillContext, trial: number): Promise<unknown>
  /** after the restart: runs the call (or a re-plan) again to the end, checking what it answers */
  finish (ctx: KillContext, trial: number): Promise<void>
  /** more checks on the three versions (rows expected, nothing lost) */
  verify? (ctx: KillContext, trial: number, states: StatesAround): Promise<string[]>
  /** files outside the lake tables whose version must be the old or the new one (the warehouse), fingerprinted */
  files? (ctx: KillContext): Promise<Record<string, string>>
}

/** Whether the service has the route: anything but 404 ROUTE_NOT_FOUND counts. */
export async function routeExists (service: Service, route: { method: string, path: string }): Promise<boolean> {
  const answer = await call(service.url, route.method, route.path, route.method === 'POST' ? { json: {} } : undefined, { headers: service.headers })
  return !(answer.status === 404 && answer.body?.code === 'ROUTE_NOT_FOUND')
}

async function partialsIn (dir: string): Promise<number> {
  const entries = await fs.readdir(dir, { recursive: true }).catch(() => [] as string[])
  return entries.filter((e) => e.endsWith('.partial')).length
}

/** With FAULTS_DEBUG set, prints how long each phase of a trial took. */
function stopwatch (what: string): (phase: string) => void {
  let last = performance.now()
  return (phase) => {
    const now = performance.now()
    if (process.env.FAULTS_DEBUG) console.log(`[faults debug] ${what}: ${phase} ${(now - last).toFixed(0)} ms`)
    last = now
  }
}

function sameFiles (a: Record<string, string>, b: Record<string, string>): boolean {
  return JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort())
}

async function runScenario (suite: Suite, section: Section, scenario: KillScenario): Promise<void> {
  const name = scenario.name
  const world = await createWorld(`kill-${name}`, scenario.world)
  const ctx: KillContext = { world, section, name, random: section.random(name), memory: {} }
  try {
    if (!await routeExists(world.service, scenario.route)) {
      section.skip(name, `${scenario.route.method} ${scenario.route.path} answers 404 ROUTE_NOT_FOUND on this build; it runs once the stage is merged`)
      return
    }
    const hashes = { hashes: scenario.commits === 'progressively' }
    const callMs = await scenario.setup(ctx)
    /** the last trial's final version: the next trial's starting point when nothing is prepared in between */
    let previous: LakeRead | undefined
    section.log(`${name}: one uninterrupted call takes ${callMs.toFixed(0)} ms; ${suite.options.trials} trials`)
    for (let trial = 1; trial <= suite.options.trials; trial++) {
      const lap = stopwatch(`${name} trial ${trial}`)
      await scenario.prepare?.(ctx, trial)
      lap('prepare')
      await settle(world.service)
      const reused = !scenario.prepare && previous !== undefined
      const before = reused ? previous! : await world.reader.read(world.service.dataDir, world.tables, hashes)
      const filesBefore = await scenario.files?.(ctx) ?? {}
      lap('read before')

      const delay = ctx.random.next() * callMs * 1.2
      let answered = false
      const running = scenario.start(ctx, trial).then(() => { answered = true }, () => {})
      await sleep(delay)
      await world.service.kill()
      await running
      section.trial(name)
      section.count(name, answered ? 'killed after the answer' : 'killed before the answer')
      lap('call and kill')

      // Counted before the restart, which removes them.
      const partials = await partialsIn(path.join(world.service.dataDir, 'lake'))
      if (partials > 0) section.count(name, 'unfinished files found after the kill', partials)
      // The files are read while the service starts again: the only write a start makes on its own (the plays
      // refill) comes after it is ready, and leaves the final version, never a mix.
      const [afterKill, filesAfterKill] = await Promise.all([
        world.reader.read(world.service.dataDir, world.tables, hashes),
        scenario.files?.(ctx).catch((err: Error) => {
          section.violation(name, `trial ${trial}: after the kill ${err.message}`)
          return {}
        }) ?? {},
        world.restart(),
      ])
      lap('read after the kill, restart')
      const read = await readThroughService(world.service.url, { headers: world.service.headers })
      const runs = await call(world.service.url, 'GET', '/v1/runs?limit=5', undefined, { headers: world.service.headers })
      if (runs.status !== 200) read.problems.push(`GET /v1/runs answered ${runs.status}`)
      lap('read through the service')
      await scenario.finish(ctx, trial)
      await settle(world.service)
      lap('finish')
      const final = await world.reader.read(world.service.dataDir, world.tables, hashes)
      previous = final
      const filesFinal = await scenario.files?.(ctx) ?? {}
      lap('read final')
      section.rows((reused ? 0 : before.rows) + afterKill.rows + final.rows + read.rows)

      const problems = [...afterKill.problems, ...read.problems, ...final.problems]
      problems.push(...(scenario.commits === 'progressively'
        ? unfinishedSteps(before.state, afterKill.state, final.state, section, name)
        : mixedTables(before.state, afterKill.state, final.state, section, name)))
      if (scenario.files) {
        if (sameFiles(filesAfterKill, filesBefore)) section.count(name, 'files old')
        else if (sameFiles(filesAfterKill, filesFinal)) section.count(name, 'files new')
        else problems.push(`files are neither the old nor the new version: ${JSON.stringify({ before: filesBefore, afterKill: filesAfterKill, final: filesFinal })}`)
      }
      problems.push(...await scenario.verify?.(ctx, trial, { before, afterKill, final }) ?? [])
      for (const problem of problems) section.violation(name, `trial ${trial} (killed ${delay.toFixed(0)} ms in): ${problem}`)
    }
  } catch (err) {
    section.violation(name, `the scenario stopped: ${(err as Error).stack ?? err}`)
  } finally {
    logErrors(section, name, world)
    await world.close()
  }
}

function mixedTables (before: LakeState, afterKill: LakeState, final: LakeState, section: Section, name: string): string[] {
  const problems: string[] = []
  for (const [table, state] of afterKill) {
    const version = versionOf(before.get(table), state, final.get(table))
    if (version === 'mixed') {
      problems.push(`${table} is neither the version before the call (${before.get(table)?.rows} rows) nor the one after it (${final.get(table)?.rows} rows): ${state.rows} rows`)
    } else if (before.get(table)?.fingerprint !== final.get(table)?.fingerprint) {
      section.count(name, `changed tables found ${version}`)
    }
  }
  return problems
}

function unfinishedSteps (before: LakeState, afterKill: LakeState, final: LakeState, section: Section, name: string): string[] {
  const problems: string[] = []
  for (const [table, state] of afterKill) {
    const old = before.get(table)
    const end = final.get(table)
    if (!old || !end) continue
    const lost = rowsMissing(old, state)
    const strange = rowsMissing(state, end)
    if (lost > 0) problems.push(`${table} lost ${lost} of its rows in the kill`)
    if (strange > 0) problems.push(`${table} held ${strange} rows after the kill that the finished walk does not have (half a step?)`)
    if (old.fingerprint !== end.fingerprint) section.count(name, `changed tables found ${state.fingerprint === old.fingerprint ? 'old' : state.fingerprint === end.fingerprint ? 'new' : 'part-way'}`)
  }
  return problems
}

/** Runs the scenarios in `lanes` parallel lanes (each scenario has its own service and lake). */
export async function runKillSection (suite: Suite, scenarios: readonly KillScenario[], lanes = 2): Promise<void> {
  const section = suite.section('kill')
  const queue = scenarios.filter((s) => section.selected(s.name))
  await Promise.all(Array.from({ length: lanes }, async () => {
    for (let next = queue.shift(); next; next = queue.shift()) await runScenario(suite, section, next)
  }))
}
