import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { allWorkflows } from '../scripts/workflows/definitions.ts'
import { dailyChain } from '../src/daily/steps.ts'

const dir = new URL('../n8n-workflows/', import.meta.url)
const committed = Object.fromEntries(readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => [f, JSON.parse(readFileSync(new URL(f, dir), 'utf8'))]))
const openapi = JSON.parse(readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8'))

/** `/v1/plans/{{ $('Plan').first().json.planId }}` → `/v1/plans/{planId}` style match against the OpenAPI paths. */
function routeExists (method: string, url: string): boolean {
  const path = url.replace(/^=\{\{ \$env\.TRACKLAKE_URL \}\}/, '').replace(/\{\{[^}]*\}\}/g, '{x}')
  return Object.entries(openapi.paths as Record<string, Record<string, unknown>>).some(([template, methods]) =>
    new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path) && method.toLowerCase() in methods)
}

describe('n8n-workflows/', () => {
  it('matches scripts/workflows/definitions.ts (run npm run workflows after changing it)', () => {
    expect(committed).toEqual(JSON.parse(JSON.stringify(allWorkflows())))
  })

  it('has the workflows of the design, with fixed unique ids of at most 21 characters', () => {
    const names = Object.values(committed).map((w) => w.name)
    expect(names).toEqual(expect.arrayContaining(['Track Ingestion', 'Daily ETL', 'Spotify Track Resolution', 'Spotify Artist Enrichment', 'Spotify Album Enrichment']))
    const ids = Object.values(committed).map((w) => w.id as string)
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ids) expect(id.length).toBeLessThanOrEqual(21)
  })

  it('calls only routes that exist, only through HTTP Request nodes', () => {
    for (const workflow of Object.values(committed)) {
      for (const node of workflow.nodes) {
        expect(node.type, `${workflow.name}: ${node.name}`).not.toBe('n8n-nodes-base.code')
        if (node.type !== 'n8n-nodes-base.httpRequest') continue
        expect(routeExists(node.parameters.method, node.parameters.url), `${workflow.name}: ${node.name} → ${node.parameters.method} ${node.parameters.url}`).toBe(true)
        expect(node.parameters.headerParameters.parameters[0].name).toBe('Authorization')
      }
    }
  })

  it('lets one ingestion source fail (not configured, rate limited, down) without stopping the other', () => {
    const ingestion = Object.values(committed).find((w) => w.name === 'Track Ingestion')
    const polls = ingestion.nodes.filter((n: { type: string }) => n.type === 'n8n-nodes-base.httpRequest')
    expect(polls.map((n: { parameters: { url: string } }) => n.parameters.url)).toEqual([
      '={{ $env.TRACKLAKE_URL }}/v1/ingest/recently-played',
      '={{ $env.TRACKLAKE_URL }}/v1/ingest/listenbrainz',
    ])
    for (const poll of polls) expect(poll.onError).toBe('continueRegularOutput')
    const schedule = ingestion.nodes.find((n: { type: string }) => n.type === 'n8n-nodes-base.scheduleTrigger')
    expect(schedule.parameters.rule.interval).toEqual([{ field: 'minutes', minutesInterval: 30 }])
  })

  it('has the four MusicBrainz workflows; the time-boxed ones loop until done, a bounded number of times', () => {
    const byName = new Map(Object.values(committed).map((w) => [w.name, w]))
    for (const name of ['MBZ Artist Discovery', 'MBZ Artist Enrichment', 'MBZ Data Parsing', 'MBZ Hierarchy Processing']) expect(byName.has(name), name).toBe(true)
    for (const [name, path] of [['MBZ Data Parsing', '/v1/musicbrainz/parse'], ['MBZ Hierarchy Processing', '/v1/musicbrainz/areas/hierarchy']]) {
      const loop = byName.get(name)
      const call = loop.nodes.find((n: { type: string }) => n.type === 'n8n-nodes-base.httpRequest')
      expect(call.parameters.url).toBe(`={{ $env.TRACKLAKE_URL }}${path}`)
      // The IF node's false output goes back to the call; its condition ends the loop on done, rate_limited or the bound.
      expect(loop.connections['Done?'].main[1]).toEqual([{ node: call.name, type: 'main', index: 0 }])
      const condition = loop.nodes.find((n: { name: string }) => n.name === 'Done?').parameters.conditions.conditions[0].leftValue
      expect(condition).toMatch(/\$json\.done === true \|\| \$json\.status === 'rate_limited' \|\| \$runIndex >= \d+/)
    }
  })

  it('gives every workflow n8n may run by itself a Manual Trigger, and connects every node', () => {
    for (const workflow of Object.values(committed)) {
      const types = workflow.nodes.map((n: { type: string }) => n.type)
      expect(types, workflow.name).toContain('n8n-nodes-base.manualTrigger')
      const targets = new Set(Object.values(workflow.connections as Record<string, { main: Array<Array<{ node: string }>> }>)
        .flatMap((c) => c.main.flat().map((l) => l.node)))
      for (const node of workflow.nodes) {
        if (!node.type.toLowerCase().includes('trigger')) expect(targets.has(node.name), `${workflow.name}: ${node.name} has no input`).toBe(true)
      }
    }
  })

  describe('Daily ETL', () => {
    interface Node { name: string, type: string, parameters: any, onError?: string, alwaysOutputData?: boolean, executeOnce?: boolean }
    const daily = Object.values(committed).find((w) => w.name === 'Daily ETL')
    const nodes = daily.nodes as Node[]
    const links = Object.entries(daily.connections as Record<string, { main: Array<Array<{ node: string }>> }>)
      .flatMap(([from, c]) => c.main.flatMap((targets) => targets.map((t) => [from, t.node] as const)))
    const calls = nodes.filter((n) => n.type === 'n8n-nodes-base.executeWorkflow')
    const byId = new Map(Object.values(committed).map((w) => [w.id as string, w]))

    it('is one straight line from Start to Summary through every stage once (no step fed by two branches: W13)', () => {
      const next = (name: string) => links.filter(([from]) => from === name).map(([, to]) => to)
      const line = ['Start']
      while (next(line.at(-1)!).length > 0) {
        expect(next(line.at(-1)!), `${line.at(-1)} leads to one node`).toHaveLength(1)
        line.push(next(line.at(-1)!)[0]!)
      }
      expect(line).toEqual(['Start', ...calls.map((n) => n.name), 'Summary'])
      for (const name of line.slice(1)) expect(links.filter(([, to]) => to === name), `${name} has one input`).toHaveLength(1)
      // Only the two ways in reach Start: the schedule (through its random delay) and the Manual Trigger.
      expect(links.filter(([, to]) => to === 'Start').map(([from]) => from).sort()).toEqual(['Random Delay', 'Run Manually'])
    })

    it('calls every sub-workflow of the daily chain once, by an id that exists, in the order of POST /v1/daily', () => {
      expect(calls).toHaveLength(dailyChain.length)
      calls.forEach((call, i) => {
        const step = dailyChain[i]!
        expect(call.parameters).toMatchObject({ source: 'database', mode: 'once', workflowId: { __rl: true, mode: 'id' } })
        const sub = byId.get(call.parameters.workflowId.value)
        expect(sub, `${call.name}: workflow ${call.parameters.workflowId.value} exists`).toBeDefined()
        expect(call.name).toBe(sub.name)
        expect(sub.nodes.map((n: Node) => n.type), `${sub.name} can be called`).toContain('n8n-nodes-base.executeWorkflowTrigger')
        // The sub-workflow calls the routes of the chain step in this position.
        const first = sub.nodes.find((n: Node) => n.type === 'n8n-nodes-base.httpRequest')
        const route = step.kind === 'granular' ? `${step.path}/plan` : step.path
        expect(first.parameters.url, `${call.name} runs ${step.name}`).toBe(`={{ $env.TRACKLAKE_URL }}${route}`)
      })
      expect(new Set(calls.map((c) => c.parameters.workflowId.value)).size).toBe(calls.length)
    })

    it('goes on after a stage that fails or answers nothing (W12), calling each sub-workflow once whatever comes in', () => {
      for (const call of calls) {
        expect(call.onError, call.name).toBe('continueRegularOutput')
        expect(call.alwaysOutputData, call.name).toBe(true)
        expect(call.executeOnce, call.name).toBe(true)
        expect(call.parameters.options.waitForSubWorkflow).toBe(true)
      }
      expect(nodes.map((n) => n.type)).not.toContain('n8n-nodes-base.code')
    })

    it('runs daily after 04:00 in n8n\'s time zone plus a random delay, or by hand, and ends with the summary of every stage since Start', () => {
      const schedule = nodes.find((n) => n.type === 'n8n-nodes-base.scheduleTrigger')!
      expect(schedule.parameters.rule.interval).toEqual([{ field: 'days', daysInterval: 1, triggerAtHour: 4, triggerAtMinute: 0 }])
      expect(links).toContainEqual([schedule.name, 'Random Delay'])
      const delay = nodes.find((n) => n.name === 'Random Delay')!
      expect(delay).toMatchObject({ type: 'n8n-nodes-base.wait', parameters: { resume: 'timeInterval', unit: 'seconds', amount: '={{ Math.floor(Math.random() * 3600) }}' } })
      expect(nodes.map((n) => n.type)).toContain('n8n-nodes-base.manualTrigger')
      // No zone of its own: the schedule follows GENERIC_TIMEZONE (docker-compose.yml sets it to TRACKLAKE_TIMEZONE).
      expect(daily.settings.timezone).toBeUndefined()
      const start = nodes.find((n) => n.name === 'Start')!
      expect(start.parameters.assignments.assignments).toMatchObject([{ name: 'startedAt', value: '={{ $now.toUTC().toISO() }}' }])
      const summary = nodes.find((n) => n.name === 'Summary')!
      expect(summary.parameters).toMatchObject({ method: 'GET', url: '={{ $env.TRACKLAKE_URL }}/v1/runs/summary', queryParameters: { parameters: [{ name: 'since', value: "={{ $('Start').first().json.startedAt }}" }] } })
    })
  })
})
