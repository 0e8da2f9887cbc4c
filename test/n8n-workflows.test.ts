import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { allWorkflows } from '../scripts/workflows/definitions.ts'

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
    expect(names).toEqual(expect.arrayContaining(['Track Ingestion', 'Spotify Track Resolution', 'Spotify Artist Enrichment', 'Spotify Album Enrichment']))
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
})
