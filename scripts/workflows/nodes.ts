import { createHash } from 'node:crypto'

/** Builders for the n8n nodes our workflows use, at type versions n8n 2.x ships. */

export interface N8nNode {
  id: string
  name: string
  type: string
  typeVersion: number
  position: [number, number]
  parameters: Record<string, unknown>
  onError?: 'continueRegularOutput' | 'continueErrorOutput'
  alwaysOutputData?: boolean
  executeOnce?: boolean
  notes?: string
}

export interface Connection {
  node: string
  type: 'main'
  index: number
}

export interface Workflow {
  id: string
  name: string
  nodes: N8nNode[]
  connections: Record<string, { main: Connection[][] }>
  settings: Record<string, unknown>
  pinData: Record<string, never>
  meta: Record<string, unknown>
  active: boolean
  tags: unknown[]
}

/** Node ids derived from the workflow id and node name, so regenerated files only change where the flow changed. */
export function nodeId (workflowId: string, name: string): string {
  const hex = createHash('sha256').update(`${workflowId}/${name}`).digest('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

type NodeSpec = Omit<N8nNode, 'id'>

export const manualTrigger = (position: [number, number]): NodeSpec => ({
  name: 'Run Manually',
  type: 'n8n-nodes-base.manualTrigger',
  typeVersion: 1,
  position,
  parameters: {},
})

export const subWorkflowTrigger = (position: [number, number]): NodeSpec => ({
  name: 'When Executed by Another Workflow',
  type: 'n8n-nodes-base.executeWorkflowTrigger',
  typeVersion: 1.1,
  position,
  parameters: { inputSource: 'passthrough' },
})

export const scheduleTrigger = (name: string, position: [number, number], interval: Record<string, unknown>): NodeSpec => ({
  name,
  type: 'n8n-nodes-base.scheduleTrigger',
  typeVersion: 1.2,
  position,
  parameters: { rule: { interval: [interval] } },
})

/**
 * Calls a sub-workflow by its fixed id and waits for it, once whatever the items coming in. A failed or empty
 * sub-workflow does not stop the caller: an error becomes an item `{ error }`, no items become one empty item (W12).
 */
export const executeWorkflow = (name: string, position: [number, number], workflowId: string): NodeSpec => ({
  name,
  type: 'n8n-nodes-base.executeWorkflow',
  typeVersion: 1.3,
  position,
  parameters: {
    source: 'database',
    workflowId: { __rl: true, mode: 'id', value: workflowId },
    mode: 'once',
    options: { waitForSubWorkflow: true },
  },
  onError: 'continueRegularOutput',
  alwaysOutputData: true,
  executeOnce: true,
})

/** An Edit Fields (Set) node: fields from expressions, nothing else kept. */
export const setFields = (name: string, position: [number, number], fields: Array<{ name: string, type: 'string' | 'number' | 'boolean' | 'object' | 'array', value: string }>): NodeSpec => ({
  name,
  type: 'n8n-nodes-base.set',
  typeVersion: 3.4,
  position,
  parameters: {
    mode: 'manual',
    assignments: { assignments: fields.map((f) => ({ id: nodeId(name, f.name), ...f })) },
    options: {},
  },
})

/** A Wait node that resumes after `amount` (an expression may make it random) in `unit`. */
export const waitFor = (name: string, position: [number, number], amount: string, unit: 'seconds' | 'minutes' | 'hours'): NodeSpec => ({
  name,
  type: 'n8n-nodes-base.wait',
  typeVersion: 1.1,
  position,
  parameters: { resume: 'timeInterval', amount, unit },
})

/**
 * An HTTP Request node calling the tracklake service at n8n's $env.TRACKLAKE_URL, with the bearer token when
 * TRACKLAKE_API_TOKEN is set in n8n's environment.
 */
export function tracklakeRequest (name: string, position: [number, number], request: {
  method: 'GET' | 'POST'
  path: string
  body?: string
  /** query parameters, values may be expressions */
  query?: Record<string, string>
  timeoutMs?: number
  onError?: N8nNode['onError']
  /** Run once for all incoming items (n8n otherwise runs the node once per item). */
  executeOnce?: boolean
}): NodeSpec {
  return {
    name,
    type: 'n8n-nodes-base.httpRequest',
    typeVersion: 4.2,
    position,
    parameters: {
      method: request.method,
      url: `={{ $env.TRACKLAKE_URL }}${request.path}`,
      sendHeaders: true,
      headerParameters: { parameters: [{ name: 'Authorization', value: "={{ 'Bearer ' + ($env.TRACKLAKE_API_TOKEN || '') }}" }] },
      ...(request.query !== undefined ? { sendQuery: true, queryParameters: { parameters: Object.entries(request.query).map(([name, value]) => ({ name, value })) } } : {}),
      ...(request.body !== undefined ? { sendBody: true, specifyBody: 'json', jsonBody: request.body } : {}),
      options: { timeout: request.timeoutMs ?? 300_000 },
    },
    ...(request.onError ? { onError: request.onError } : {}),
    ...(request.executeOnce ? { executeOnce: true } : {}),
  }
}

export function ifNode (name: string, position: [number, number], condition: {
  left: string
  operator: { type: 'number' | 'string' | 'boolean', operation: string }
  right: string | number | boolean
}): NodeSpec {
  return {
    name,
    type: 'n8n-nodes-base.if',
    typeVersion: 2.2,
    position,
    parameters: {
      conditions: {
        options: { version: 2, leftValue: '', caseSensitive: true, typeValidation: 'loose' },
        combinator: 'and',
        conditions: [{ id: nodeId(name, condition.left), operator: condition.operator, leftValue: condition.left, rightValue: condition.right }],
      },
      options: {},
    },
  }
}

export const splitOut = (name: string, position: [number, number], field: string): NodeSpec => ({
  name,
  type: 'n8n-nodes-base.splitOut',
  typeVersion: 1,
  position,
  parameters: { fieldToSplitOut: field, options: {} },
})

export const loopOverItems = (name: string, position: [number, number], batchSize = 1): NodeSpec => ({
  name,
  type: 'n8n-nodes-base.splitInBatches',
  typeVersion: 3,
  position,
  parameters: { batchSize, options: {} },
})

/** Assembles a workflow: nodes get stable ids; `links` are [from, output, to] triples. */
export function workflow (id: string, name: string, specs: NodeSpec[], links: Array<[string, number, string]>, description: string): Workflow {
  if (id.length > 21) throw new Error(`workflow id ${id} is longer than n8n's 21 characters`)
  const nodes = specs.map((spec) => ({ id: nodeId(id, spec.name), ...spec }))
  const connections: Workflow['connections'] = {}
  for (const [from, output, to] of links) {
    if (!nodes.some((n) => n.name === from) || !nodes.some((n) => n.name === to)) throw new Error(`${name}: unknown node in link ${from} → ${to}`)
    const outputs = (connections[from] ??= { main: [] }).main
    while (outputs.length <= output) outputs.push([])
    outputs[output]!.push({ node: to, type: 'main', index: 0 })
  }
  return {
    id,
    name,
    nodes,
    connections,
    settings: { executionOrder: 'v1', callerPolicy: 'workflowsFromSameOwner', saveManualExecutions: true },
    pinData: {},
    meta: { templateCredsSetupCompleted: true, description },
    active: false,
    tags: [],
  }
}
