import type { Config } from '../config.ts'
import type { DailyView } from '../daily/daily-run.ts'
import { answerMessage, errorCode, type RouteCaller } from '../daily/route-caller.ts'
import { version } from '../version.ts'
import { openService } from './context.ts'
import { bytes, count, duration, relative, table } from './format.ts'
import { CliFailure, type CliIo } from './io.ts'

interface TableStat { name: string, rowCount: number, bytes: number, lastWriteAt: string | null }
interface RunRecord { step: string, startedAt: string, durationMs: number, status: string, error: string | null }
interface FailureRow { stage: string, resource: string, next_attempt_at: string | null }

const failurePages = 20
const pageSize = 1000

async function get<T> (call: RouteCaller, url: string): Promise<T> {
  const answer = await call('GET', url)
  if (answer.status !== 200) throw new CliFailure(`GET ${url}: ${answerMessage(answer)}`)
  return answer.body as T
}

/** Failures waiting for retry, per stage and resource: how many, and the next retry. */
async function failuresWaiting (call: RouteCaller, now: number): Promise<{ rows: string[][], capped: boolean }> {
  const groups = new Map<string, { waiting: number, next: string | null }>()
  let capped = false
  for (let page = 0; ; page++) {
    if (page === failurePages) {
      capped = true
      break
    }
    const { rows } = await get<{ rows: FailureRow[] }>(call, `/v1/tables/enrichment_failures?limit=${pageSize}&offset=${page * pageSize}`)
    for (const row of rows) {
      if (!row.next_attempt_at || Date.parse(row.next_attempt_at) <= now) continue
      const key = `${row.stage}/${row.resource}`
      const group = groups.get(key) ?? { waiting: 0, next: null }
      group.waiting++
      if (group.next === null || row.next_attempt_at < group.next) group.next = row.next_attempt_at
      groups.set(key, group)
    }
    if (rows.length < pageSize) break
  }
  const rows = [...groups].sort(([a], [b]) => a.localeCompare(b)).map(([key, g]) => [key, count(g.waiting), `${g.next ?? ''} (${relative(g.next, now)})`])
  return { rows, capped }
}

/** The warehouse's age, from GET /v1/warehouse (its first field naming when it was built). */
async function warehouseLine (call: RouteCaller, now: number): Promise<string> {
  const answer = await call('GET', '/v1/warehouse')
  if (answer.status === 404 && errorCode(answer) === 'ROUTE_NOT_FOUND') return 'not built (this version has no warehouse step)'
  if (answer.status !== 200) return 'not built'
  const body = answer.body as Record<string, unknown>
  const builtAt = Object.entries(body).find(([key, value]) => /built/i.test(key) && typeof value === 'string' && !Number.isNaN(Date.parse(value)))?.[1] as string | undefined
  return builtAt ? `built ${builtAt} (${relative(builtAt, now)})` : 'not built'
}

function dailyLine (run: DailyView | null, now: number): string {
  if (!run) return 'never run'
  const tally = new Map<string, number>()
  for (const step of run.steps) tally.set(step.status, (tally.get(step.status) ?? 0) + 1)
  const parts = [...tally].map(([status, n]) => `${n} ${status.replace(/_/g, ' ')}`).join(', ')
  const when = run.finishedAt ? `finished ${relative(run.finishedAt, now)}` : `started ${relative(run.startedAt, now)}, not through yet${run.current ? ` (at ${run.current.step})` : ''}`
  return `${when}: ${parts}`
}

/** `tracklake status`: tables and row counts, the latest runs, failures waiting for retry, the warehouse's age. */
export async function statusCommand (config: Config, io: CliIo, options: { runs: number }): Promise<number> {
  const service = await openService(config, io, 'status')
  const now = Date.now()
  const out: string[] = []
  try {
    const { call } = service
    const { tables } = await get<{ tables: TableStat[] }>(call, '/v1/tables')
    const { runs } = await get<{ runs: RunRecord[] }>(call, `/v1/runs?limit=${options.runs}`)
    const daily = await call('GET', '/v1/daily')
    const failures = await failuresWaiting(call, now)
    const warehouse = await warehouseLine(call, now)

    out.push(`tracklake ${version}, lake ${config.dataDir}${service.mode === 'remote' ? ` (through the service at ${service.url})` : ''}`, '')
    out.push('Tables', table(['table', 'rows', 'size', 'last write'], tables.map((t) => [
      t.name, count(t.rowCount), bytes(t.bytes), t.lastWriteAt ? `${t.lastWriteAt} (${relative(t.lastWriteAt, now)})` : 'never',
    ]), { right: [1, 2] }))
    out.push(`Daily ETL: ${daily.status === 200 ? dailyLine((daily.body as { run: DailyView | null }).run, now) : 'not available'}`, '')
    out.push(runs.length === 0
      ? 'Latest runs: none yet\n'
      : `Latest runs\n${table(['started', 'step', 'status', 'took', 'error'], runs.map((r) => [
        r.startedAt, r.step, r.status, duration(r.durationMs / 1000), (r.error ?? '').slice(0, 100),
      ]), { right: [3] })}`)
    out.push(failures.rows.length === 0
      ? 'Failures waiting for retry: none\n'
      : `Failures waiting for retry${failures.capped ? ` (the first ${count(failurePages * pageSize)} failures read)` : ''}\n${table(['stage/resource', 'waiting', 'next retry'], failures.rows, { right: [1] })}`)
    out.push(`Warehouse: ${warehouse}`)
  } finally {
    await service.close()
  }
  io.out.write(out.join('\n') + '\n')
  return 0
}
