import { existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { compareText } from '../../compare-text.ts'

/**
 * The warehouse project: SQL models in layers (models/staging, models/intermediate, models/marts), SQL data tests
 * (data-tests/) and macros (macros/), each file with a header of `-- key: value` lines. Bodies name what they read with
 * `{{ ref('model') }}`, `{{ source('table') }}` and `{{ var('name') }}`; the header must declare exactly the refs and
 * sources the body uses. Loading fails loudly on an unknown model, source, variable or header key, a body that reads
 * something its header does not declare (or the reverse), a model reading a higher layer, and a cycle.
 */

export const layers = ['staging', 'intermediate', 'marts'] as const
export type Layer = typeof layers[number]
export type Materialization = 'view' | 'table'

export interface ModelTestDef {
  /** dbt-style name, e.g. unique_fact_track_played_play_id */
  name: string
  model: string
  kind: 'unique' | 'not_null' | 'relationships' | 'data'
  description: string
  /** the body with refs and sources still in it: a query that must return no rows */
  body: string
  refs: string[]
  sources: string[]
}

export interface Model {
  name: string
  layer: Layer
  file: string
  description: string
  materialized: Materialization
  refs: string[]
  sources: string[]
  /** the body, refs and sources still in it */
  body: string
  key: string[]
}

export interface Project {
  dir: string
  /** in build order: every model after the models it reads */
  models: Model[]
  tests: ModelTestDef[]
  macros: Array<{ file: string, body: string }>
  /** every source any model or test reads */
  sources: string[]
}

export class ProjectError extends Error {}

const here = path.dirname(fileURLToPath(import.meta.url))

/**
 * The project folder: beside this module in src/ (and in dist/, where `npm run build` copies it); a dist/ built by
 * tsc alone (the bench) reads the one in src/.
 */
export function defaultProjectDir (): string {
  const candidates = [path.join(here, 'project'), path.resolve(here, '../../../src/stages/warehouse/project')]
  return candidates.find((dir) => existsSync(path.join(dir, 'models'))) ?? candidates[0]!
}

const headerKeys = {
  model: ['description', 'depends_on', 'sources', 'materialized', 'key', 'not_null', 'relationships'],
  test: ['description', 'depends_on', 'sources'],
  macro: ['description'],
} as const

const namePattern = /^[a-z][a-z0-9_]*$/
const refPattern = /\{\{\s*ref\(\s*'([^']*)'\s*\)\s*\}\}/g
const sourcePattern = /\{\{\s*source\(\s*'([^']*)'\s*\)\s*\}\}/g
const anyTemplate = /\{\{.*?\}\}/g

interface Parsed {
  header: Map<string, string>
  body: string
}

function parseFile (file: string, text: string, allowed: readonly string[]): Parsed {
  const header = new Map<string, string>()
  const lines = text.split('\n')
  let i = 0
  let last: string | undefined
  for (; i < lines.length; i++) {
    const line = lines[i]!.trim()
    if (line === '') continue
    if (!line.startsWith('--')) break
    const match = /^--\s*([a-z_]+):\s*(.*)$/.exec(line)
    if (!match) {
      // A comment line without a key continues the value above it (a long description).
      if (last !== undefined) header.set(last, `${header.get(last)} ${line.replace(/^--\s*/, '')}`.trim())
      continue
    }
    const [, key, value] = match as unknown as [string, string, string]
    if (!allowed.includes(key)) throw new ProjectError(`${file}: unknown header key "${key}" (allowed: ${allowed.join(', ')})`)
    header.set(key, header.has(key) ? `${header.get(key)}, ${value.trim()}` : value.trim())
    last = key
  }
  const body = lines.slice(i).join('\n').trim().replace(/;\s*$/, '')
  if (body === '') throw new ProjectError(`${file}: no SQL after the header`)
  return { header, body }
}

const list = (value: string | undefined): string[] => (value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '' && s !== '-')

const sameSet = (a: string[], b: string[]): boolean => a.length === b.length && a.every((x) => b.includes(x))

/** The refs and sources a body uses, checked against what its header declares. */
function checkDeclared (file: string, body: string, declared: { refs: string[], sources: string[] }): void {
  const refs = [...new Set([...body.matchAll(refPattern)].map((m) => m[1]!))]
  const sources = [...new Set([...body.matchAll(sourcePattern)].map((m) => m[1]!))]
  const other = [...body.matchAll(anyTemplate)].map((m) => m[0]).filter((t) => !/^\{\{\s*(ref|source|var)\(\s*'[^']*'\s*\)\s*\}\}$/.test(t))
  if (other.length > 0) throw new ProjectError(`${file}: unknown template ${other[0]} (use ref('model'), source('table') or var('name'))`)
  if (!sameSet(refs, declared.refs)) {
    throw new ProjectError(`${file}: depends_on says [${declared.refs.join(', ')}] but the SQL reads ref [${refs.join(', ')}]`)
  }
  if (!sameSet(sources, declared.sources)) {
    throw new ProjectError(`${file}: sources says [${declared.sources.join(', ')}] but the SQL reads source [${sources.join(', ')}]`)
  }
}

async function sqlFiles (dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[]
    throw err
  })
  return entries.filter((f) => f.endsWith('.sql')).sort()
}

function parseRelationship (file: string, spec: string): { column: string, model: string, target: string } {
  const match = /^([a-z_][a-z0-9_]*)\s*->\s*([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)$/.exec(spec)
  if (!match) throw new ProjectError(`${file}: relationships entry "${spec}" must read column -> model.column`)
  return { column: match[1]!, model: match[2]!, target: match[3]! }
}

/** Generic tests from a model's header: unique and not-null keys, not-null columns, relationships (no orphans). */
function genericTests (model: Model, header: Map<string, string>): ModelTestDef[] {
  const self = `{{ ref('${model.name}') }}`
  const tests: ModelTestDef[] = []
  const base = { model: model.name, sources: [] as string[] }
  if (model.key.length > 0) {
    const cols = model.key.join(', ')
    tests.push({
      ...base,
      name: `unique_${model.name}_${model.key.join('_')}`,
      kind: 'unique',
      description: `${model.name}: (${cols}) is unique`,
      body: `SELECT ${cols}, count(*) AS rows FROM ${self} GROUP BY ALL HAVING count(*) > 1`,
      refs: [model.name],
    })
  }
  for (const column of [...new Set([...model.key, ...list(header.get('not_null'))])]) {
    tests.push({
      ...base,
      name: `not_null_${model.name}_${column}`,
      kind: 'not_null',
      description: `${model.name}.${column} is never null`,
      body: `SELECT * FROM ${self} WHERE ${column} IS NULL`,
      refs: [model.name],
    })
  }
  for (const spec of list(header.get('relationships'))) {
    const rel = parseRelationship(model.file, spec)
    const other = `{{ ref('${rel.model}') }}`
    tests.push({
      ...base,
      name: `relationships_${model.name}_${rel.column}__${rel.model}`,
      kind: 'relationships',
      description: `every ${model.name}.${rel.column} joins ${rel.model}.${rel.target}`,
      body: `SELECT c.${rel.column}, count(*) AS rows FROM ${self} c ANTI JOIN ${other} d ON d.${rel.target} = c.${rel.column} GROUP BY ALL`,
      refs: [...new Set([model.name, rel.model])],
    })
  }
  return tests
}

/** Every model after the models it reads; a cycle is an error naming its members. */
function buildOrder (models: Map<string, Model>): Model[] {
  const ordered: Model[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (model: Model, trail: string[]): void => {
    const seen = state.get(model.name)
    if (seen === 'done') return
    if (seen === 'visiting') throw new ProjectError(`cyclic dependency: ${[...trail.slice(trail.indexOf(model.name)), model.name].join(' -> ')}`)
    state.set(model.name, 'visiting')
    for (const ref of model.refs) visit(models.get(ref)!, [...trail, model.name])
    state.set(model.name, 'done')
    ordered.push(model)
  }
  // Layer by layer, then by name: a stable order whatever the file system lists first.
  const sorted = [...models.values()].sort((a, b) => layers.indexOf(a.layer) - layers.indexOf(b.layer) || compareText(a.name, b.name))
  for (const model of sorted) visit(model, [])
  return ordered
}

export async function loadProject (dir: string, options: { sources: readonly string[], vars: readonly string[] }): Promise<Project> {
  const models = new Map<string, Model>()
  const headers = new Map<string, Map<string, string>>()
  for (const layer of layers) {
    const layerDir = path.join(dir, 'models', layer)
    for (const fileName of await sqlFiles(layerDir)) {
      const file = path.join('models', layer, fileName)
      const name = fileName.slice(0, -4)
      if (!namePattern.test(name)) throw new ProjectError(`${file}: a model name is lower case letters, digits and _`)
      if (models.has(name)) throw new ProjectError(`${file}: a model named ${name} exists already (${models.get(name)!.file})`)
      const { header, body } = parseFile(file, await fs.readFile(path.join(layerDir, fileName), 'utf8'), headerKeys.model)
      const materialized = header.get('materialized') ?? (layer === 'marts' ? 'table' : 'view')
      if (materialized !== 'view' && materialized !== 'table') throw new ProjectError(`${file}: materialized must be view or table`)
      const model: Model = {
        name,
        layer,
        file,
        description: header.get('description') ?? '',
        materialized,
        refs: list(header.get('depends_on')),
        sources: list(header.get('sources')),
        body,
        key: list(header.get('key')),
      }
      checkDeclared(file, body, model)
      models.set(name, model)
      headers.set(name, header)
    }
  }
  if (models.size === 0) throw new ProjectError(`${dir}: no models under models/{${layers.join(',')}}`)

  const checkVars = (file: string, body: string): void => {
    for (const m of body.matchAll(/\{\{\s*var\(\s*'([^']*)'\s*\)\s*\}\}/g)) {
      if (!options.vars.includes(m[1]!)) throw new ProjectError(`${file}: unknown var('${m[1]}') (known: ${options.vars.join(', ')})`)
    }
  }
  const checkSources = (file: string, sources: string[]): void => {
    for (const source of sources) {
      if (!options.sources.includes(source)) throw new ProjectError(`${file}: unknown source '${source}' (known: ${options.sources.join(', ')})`)
    }
  }

  for (const model of models.values()) {
    checkVars(model.file, model.body)
    checkSources(model.file, model.sources)
    if (model.sources.length > 0 && model.layer !== 'staging') throw new ProjectError(`${model.file}: only staging models read sources; read the staging model instead`)
    for (const ref of model.refs) {
      const target = models.get(ref)
      if (!target) throw new ProjectError(`${model.file}: depends on unknown model '${ref}'`)
      if (layers.indexOf(target.layer) > layers.indexOf(model.layer)) throw new ProjectError(`${model.file}: a model of the ${model.layer} layer cannot read ${ref} of the ${target.layer} layer`)
      // A view kept in the warehouse file can only read what the file keeps.
      if (model.layer === 'marts' && model.materialized === 'view' && target.layer !== 'marts') throw new ProjectError(`${model.file}: a mart view can only read marts (${ref} does not stay in the warehouse)`)
    }
  }
  const ordered = buildOrder(models)

  const tests: ModelTestDef[] = []
  for (const model of ordered) {
    for (const test of genericTests(model, headers.get(model.name)!)) {
      for (const ref of test.refs) if (!models.has(ref)) throw new ProjectError(`${model.file}: relationships name unknown model '${ref}'`)
      tests.push(test)
    }
  }
  const testDir = path.join(dir, 'data-tests')
  for (const fileName of await sqlFiles(testDir)) {
    const file = path.join('data-tests', fileName)
    const name = fileName.slice(0, -4)
    if (!namePattern.test(name)) throw new ProjectError(`${file}: a test name is lower case letters, digits and _`)
    const { header, body } = parseFile(file, await fs.readFile(path.join(testDir, fileName), 'utf8'), headerKeys.test)
    const refs = list(header.get('depends_on'))
    const sources = list(header.get('sources'))
    checkDeclared(file, body, { refs, sources })
    checkVars(file, body)
    checkSources(file, sources)
    for (const ref of refs) if (!models.has(ref)) throw new ProjectError(`${file}: depends on unknown model '${ref}'`)
    tests.push({ name, model: refs[0] ?? '', kind: 'data', description: header.get('description') ?? '', body, refs, sources })
  }
  const names = new Set<string>()
  for (const test of tests) {
    if (names.has(test.name)) throw new ProjectError(`two tests are named ${test.name}`)
    names.add(test.name)
  }

  const macros: Project['macros'] = []
  const macroDir = path.join(dir, 'macros')
  for (const fileName of await sqlFiles(macroDir)) {
    const file = path.join('macros', fileName)
    const { body } = parseFile(file, await fs.readFile(path.join(macroDir, fileName), 'utf8'), headerKeys.macro)
    if (body.includes('{{')) throw new ProjectError(`${file}: macros take no templates`)
    macros.push({ file, body })
  }

  const sources = [...new Set([...ordered.flatMap((m) => m.sources), ...tests.flatMap((t) => t.sources)])].sort()
  return { dir, models: ordered, tests, macros, sources }
}

/** A body with its templates replaced by the relations and variable reads they stand for. */
export function render (body: string, names: { ref (model: string): string, source (table: string): string, var (name: string): string }): string {
  return body
    .replace(refPattern, (_, name: string) => names.ref(name))
    .replace(sourcePattern, (_, name: string) => names.source(name))
    .replace(/\{\{\s*var\(\s*'([^']*)'\s*\)\s*\}\}/g, (_, name: string) => names.var(name))
}
