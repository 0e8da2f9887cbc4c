import fs from 'node:fs/promises'
import path from 'node:path'
import { Type } from 'typebox'
import type { SimpleStep } from '../batch/simple-step.ts'
import { partialSuffix } from './atomic-file.ts'
import { compareText } from '../compare-text.ts'

/**
 * How one folder of raw/ may be pruned. Replayable folders hold what a parse rebuilds lake tables from: a file there goes
 * only when a newer copy of the same entity exists and the parse has read it. Every other folder's files are the
 * upstream's answers of data the lake already holds, kept for inspection and short-term reuse.
 */
export interface RawFolderRule {
  /** a folder under raw/, e.g. spotify or musicbrainz/artist; the longest matching rule applies */
  folder: string
  replayable: boolean
  /** replayable folders: the entity a file holds (its path relative to raw/); undefined keeps the file */
  entityOf?: (file: string) => string | undefined
  /** replayable folders: the files (relative to raw/) a parse has read; without it nothing there is dropped */
  parsed?: () => Promise<ReadonlySet<string>>
}

export interface RetentionPolicy {
  /** files older than this go (0: no age limit) */
  maxDays: number
  /** past this the oldest prunable files go until raw/ fits (0: no size limit) */
  maxBytes: number
  /** files younger than this always stay (answers reused instead of spending an upstream quota twice) */
  minAgeMs: number
}

export interface RetentionResult {
  /** files deleted (or, in a dry run, that would be) */
  deleted: number
  deletedBytes: number
  /** what raw/ holds after the pass */
  keptFiles: number
  keptBytes: number
  /** kept whatever their age: newest copies and unparsed files of replayable folders, folders without a rule */
  protectedFiles: number
  protectedBytes: number
  /** how far protected files alone exceed the size limit (0 when within it) */
  overBudgetBytes: number
  /** the prunable files still to delete when the time box ended */
  remaining: number
}

interface RawFile {
  file: string
  bytes: number
  mtimeMs: number
}

async function * walk (root: string, dir = root): AsyncGenerator<RawFile> {
  let entries
  try {
    entries = await fs.readdir(dir, { withFileTypes: true })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name)
    // Files being written (.x.partial) belong to a writer that has not finished.
    if (entry.name.startsWith('.') || entry.name.endsWith(partialSuffix)) continue
    if (entry.isDirectory()) yield * walk(root, full)
    else if (entry.isFile()) {
      const stat = await fs.stat(full).catch(() => undefined)
      if (stat) yield { file: path.relative(root, full).split(path.sep).join('/'), bytes: stat.size, mtimeMs: stat.mtimeMs }
    }
  }
}

function ruleFor (rules: readonly RawFolderRule[], file: string): RawFolderRule | undefined {
  let best: RawFolderRule | undefined
  for (const rule of rules) {
    const folder = rule.folder.replace(/^\/+|\/+$/g, '')
    if ((file.startsWith(`${folder}/`)) && (!best || folder.length > best.folder.length)) best = rule
  }
  return best
}

/** Sorts raw/ into protected files and prunable ones, oldest first. */
async function classify (rawDir: string, rules: readonly RawFolderRule[], now: number, minAgeMs: number): Promise<{ prunable: RawFile[], protectedFiles: RawFile[], all: RawFile[] }> {
  const all: RawFile[] = []
  for await (const file of walk(rawDir)) all.push(file)
  const parsedSets = new Map<RawFolderRule, ReadonlySet<string> | undefined>()
  for (const rule of rules) if (rule.replayable) parsedSets.set(rule, await rule.parsed?.())
  const newest = new Map<string, RawFile>()
  for (const file of all) {
    const rule = ruleFor(rules, file.file)
    const entity = rule?.replayable ? rule.entityOf?.(file.file) : undefined
    if (entity === undefined) continue
    const key = `${rule!.folder}\0${entity}`
    const current = newest.get(key)
    if (!current || file.mtimeMs > current.mtimeMs || (file.mtimeMs === current.mtimeMs && file.file > current.file)) newest.set(key, file)
  }
  const newestFiles = new Set(newest.values())
  const prunable: RawFile[] = []
  const protectedFiles: RawFile[] = []
  for (const file of all) {
    const rule = ruleFor(rules, file.file)
    let keep: boolean
    if (!rule) keep = true
    else if (rule.replayable) {
      const entity = rule.entityOf?.(file.file)
      keep = entity === undefined || newestFiles.has(file) || parsedSets.get(rule)?.has(file.file) !== true
    } else keep = false
    if (keep) protectedFiles.push(file)
    else if (now - file.mtimeMs >= minAgeMs) prunable.push(file)
  }
  prunable.sort((a, b) => a.mtimeMs - b.mtimeMs || compareText(a.file, b.file))
  return { prunable, protectedFiles, all }
}

/**
 * One pass of the retention rule over raw/: prunable files older than maxDays go, then the oldest prunable ones until
 * raw/ fits in maxBytes. Protected files never go, whatever their age or the size. Stops between deletions when time is up.
 */
export async function applyRawRetention (options: {
  rawDir: string
  rules: readonly RawFolderRule[]
  policy: RetentionPolicy
  now: () => Date
  timeUp?: () => boolean
  dryRun?: boolean
}): Promise<RetentionResult> {
  const { rawDir, policy } = options
  const now = options.now().getTime()
  const { prunable, protectedFiles, all } = await classify(rawDir, options.rules, now, policy.minAgeMs)
  const sum = (files: readonly RawFile[]): number => files.reduce((total, f) => total + f.bytes, 0)
  let total = sum(all)
  const protectedBytes = sum(protectedFiles)
  const maxAgeMs = policy.maxDays * 24 * 60 * 60 * 1000
  const doomed = prunable.filter((file) => {
    const tooOld = policy.maxDays > 0 && now - file.mtimeMs > maxAgeMs
    const tooBig = policy.maxBytes > 0 && total > policy.maxBytes
    if (tooOld || tooBig) total -= file.bytes
    return tooOld || tooBig
  })
  let deleted = 0
  let deletedBytes = 0
  for (const file of doomed) {
    if (options.timeUp?.()) break
    if (!options.dryRun) await fs.rm(path.join(rawDir, ...file.file.split('/')), { force: true })
    deleted++
    deletedBytes += file.bytes
  }
  const keptBytes = sum(all) - deletedBytes
  return {
    deleted,
    deletedBytes,
    keptFiles: all.length - deleted,
    keptBytes,
    protectedFiles: protectedFiles.length,
    protectedBytes,
    overBudgetBytes: policy.maxBytes > 0 ? Math.max(0, protectedBytes - policy.maxBytes) : 0,
    remaining: doomed.length - deleted,
  }
}

const resultProperties = {
  dryRun: Type.Boolean(),
  deleted: Type.Integer({ description: 'files deleted (in a dry run: that would be)' }),
  deletedBytes: Type.Integer(),
  keptFiles: Type.Integer(),
  keptBytes: Type.Integer(),
  protectedFiles: Type.Integer({ description: 'kept whatever their age: what a parse still needs, folders without a rule' }),
  protectedBytes: Type.Integer(),
  overBudgetBytes: Type.Integer({ description: 'how far protected files alone exceed TRACKLAKE_RAW_MAX_MB' }),
}
const bodyProperties = { dryRun: Type.Optional(Type.Boolean({ default: false, description: 'only say what would go' })) }

/** POST /v1/raw/retention: the rule as a simple step, the last stage of the Daily ETL. */
export function rawRetentionStep (deps: { rawDir: string, rules: readonly RawFolderRule[], policy: RetentionPolicy, now: () => Date }): SimpleStep<typeof bodyProperties, typeof resultProperties> {
  const mb = (bytes: number): string => `${Math.round(bytes / 1024 / 1024)} MB`
  return {
    name: 'raw.retention',
    tag: 'lake',
    summary: 'Apply the raw/ retention rule: drop old and excess upstream answers, never what a parse still needs',
    description: `Files older than TRACKLAKE_RAW_MAX_DAYS (${deps.policy.maxDays || 'no limit'}) go, then the oldest until raw/ fits in ` +
      `TRACKLAKE_RAW_MAX_MB (${deps.policy.maxBytes ? mb(deps.policy.maxBytes) : 'no limit'}). Files of the last day always stay. ` +
      `Replayable folders (${deps.rules.filter((r) => r.replayable).map((r) => `raw/${r.folder}/`).join(', ') || 'none'}) keep the newest copy ` +
      'of every entity and every file not yet parsed; folders without a rule are kept whole.',
    body: bodyProperties,
    result: resultProperties,
    errors: [],
    defaultMaxSeconds: 60,
    async run (body, { timeUp }) {
      const dryRun = body.dryRun === true
      const { remaining, ...result } = await applyRawRetention({ ...deps, timeUp, dryRun })
      return { processed: result.deleted, remaining, status: 'complete', dryRun, ...result }
    },
  }
}
