import { spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { freePort } from '../lib/service.ts'

/** The pinned n8n (2.41.x needs a package missing from the registry mirror; see DEVELOPERS.md). */
export const n8nVersion = '2.40.7'
export const n8nCacheDir = process.env.N8N_CACHE_DIR ?? path.join(os.homedir(), '.cache', `n8n-${n8nVersion}`)
export const n8nBin = path.join(n8nCacheDir, 'node_modules', '.bin', 'n8n')

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

export function run (command: string, args: string[], options: { env?: NodeJS.ProcessEnv, cwd?: string, timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code: code ?? 1, stdout, stderr })
    })
  })
}

/** Installs n8n once into a cache folder outside the repo (about 4 minutes and 2.8 GB) and reuses it afterwards. */
export async function ensureN8n (log: (line: string) => void): Promise<void> {
  const installed = await fs.stat(n8nBin).then(() => true, () => false)
  const marker = path.join(n8nCacheDir, '.tracklake-ready')
  if (installed && await fs.stat(marker).then(() => true, () => false)) return
  log(`installing n8n ${n8nVersion} into ${n8nCacheDir} (once)`)
  await fs.mkdir(n8nCacheDir, { recursive: true })
  await fs.writeFile(path.join(n8nCacheDir, 'package.json'), JSON.stringify({ name: 'n8n-cache', private: true }))
  const install = await run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', `n8n@${n8nVersion}`], { cwd: n8nCacheDir, timeoutMs: 1_800_000 })
  if (install.code !== 0) throw new Error(`npm install n8n failed:\n${install.stderr.slice(-4000)}`)
  const rebuild = await run('npm', ['rebuild', 'sqlite3'], { cwd: n8nCacheDir, timeoutMs: 1_800_000 })
  if (rebuild.code !== 0) throw new Error(`npm rebuild sqlite3 failed:\n${rebuild.stderr.slice(-4000)}`)
  await fs.writeFile(marker, new Date().toISOString())
}

export interface N8n {
  importWorkflow (file: string): Promise<void>
  /** Imports every file of a folder in one run, as docker-compose.yml's n8n-import does. */
  importFolder (dir: string): Promise<void>
  publish (id: string): Promise<void>
  /** Runs a workflow from its Manual Trigger; answers the data of the last node that ran. */
  execute (id: string): Promise<unknown[]>
  /** Changes n8n's environment for the runs that follow (the service moved to another port). */
  setEnv (env: Record<string, string>): void
  cleanup (): Promise<void>
}

interface RunData {
  data?: {
    resultData?: {
      lastNodeExecuted?: string
      error?: { message?: string }
      runData?: Record<string, Array<{ data?: { main?: Array<Array<{ json: unknown }> | null> } }>>
    }
  }
}

/**
 * `n8n execute --rawOutput` prints log lines, then the whole run as JSON. Answers the items of the last node that ran
 * (what a parent workflow would receive).
 */
function lastNodeItems (stdout: string, id: string): unknown[] {
  // The run data is pretty-printed: it opens with a line `{` and closes with the first line `}`; log lines may follow.
  const start = stdout.search(/^\{$/m)
  const end = start < 0 ? -1 : stdout.slice(start).search(/^\}$/m)
  if (start < 0 || end < 0) throw new Error(`n8n execute --id=${id} printed no run data:\n${stdout.slice(-3000)}`)
  const run = JSON.parse(stdout.slice(start, start + end + 1)) as RunData
  const result = run.data?.resultData
  if (result?.error) throw new Error(`workflow ${id} failed: ${result.error.message}`)
  const last = result?.lastNodeExecuted
  const runs = last ? result?.runData?.[last] : undefined
  const outputs = runs?.at(-1)?.data?.main ?? []
  return outputs.flatMap((items) => (items ?? []).map((item) => item.json))
}

/** A throwaway n8n instance (its own user folder and SQLite database), driven through the CLI. */
export async function createN8n (env: Record<string, string>): Promise<N8n> {
  const folder = await fs.mkdtemp(path.join(os.tmpdir(), 'tracklake-n8n-'))
  const n8nEnv: NodeJS.ProcessEnv = {
    ...process.env,
    N8N_USER_FOLDER: folder,
    N8N_ENCRYPTION_KEY: 'tracklake-e2e-encryption-key',
    N8N_DIAGNOSTICS_ENABLED: 'false',
    N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
    N8N_TEMPLATES_ENABLED: 'false',
    N8N_USE_WORKFLOW_PUBLICATION_SERVICE: 'false',
    N8N_BLOCK_ENV_ACCESS_IN_NODE: 'false',
    N8N_RUNNERS_ENABLED: 'false',
    DB_SQLITE_POOL_SIZE: '1',
    ...env,
  }

  async function cli (args: string[]): Promise<RunResult> {
    // Every n8n process starts a task broker; a port of its own keeps runs from colliding with any other n8n.
    const result = await run(n8nBin, args, { env: { ...n8nEnv, N8N_RUNNERS_BROKER_PORT: String(await freePort()) }, timeoutMs: 900_000 })
    if (result.code !== 0) throw new Error(`n8n ${args.join(' ')} failed (${result.code}):\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}`)
    return result
  }

  return {
    async importWorkflow (file) {
      await cli(['import:workflow', `--input=${file}`])
    },
    async importFolder (dir) {
      await cli(['import:workflow', '--separate', `--input=${dir}`])
    },
    async publish (id) {
      await cli(['publish:workflow', `--id=${id}`])
    },
    async execute (id) {
      const args = ['execute', `--id=${id}`, '--rawOutput']
      const result = await run(n8nBin, args, { env: { ...n8nEnv, N8N_RUNNERS_BROKER_PORT: String(await freePort()) }, timeoutMs: 900_000 })
      // The run data decides, not the exit code: n8n's CLI has been seen to exit 1 after printing a successful run
      // (shutting its task broker down). A run that printed no run data, or one that failed, still fails here.
      if (result.code !== 0) console.log(`[e2e] n8n ${args.join(' ')} exited ${result.code}; judging by the printed run data`)
      // E2E_DUMP_DIR keeps what n8n printed for each run, to read a surprising answer in full.
      if (process.env.E2E_DUMP_DIR) await fs.writeFile(path.join(process.env.E2E_DUMP_DIR, `${id}-${Date.now()}.out`), `${result.stdout}\n--- stderr ---\n${result.stderr}`)
      try {
        return lastNodeItems(result.stdout, id)
      } catch (err) {
        if (result.code === 0) throw err
        throw new Error(`n8n ${args.join(' ')} failed (${result.code}): ${(err as Error).message}\n${result.stderr.slice(-3000)}`)
      }
    },
    setEnv (env) {
      Object.assign(n8nEnv, env)
    },
    async cleanup () {
      await fs.rm(folder, { recursive: true, force: true })
    },
  }
}
