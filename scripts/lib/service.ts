import { spawn, type ChildProcess } from 'node:child_process'
import { appendFileSync, readFileSync } from 'node:fs'
import fs from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { envNames } from '../../src/config.ts'
import { call } from './http.ts'

const repoRoot = new URL('../../', import.meta.url)
/** The production build, as `npm start` and the Docker image run it (the bench and the e2e test build it first). */
const serverEntry = new URL('dist/server.js', repoRoot)
/** The Node flags of `npm start` (the deploy check holds the Dockerfile's CMD to the same), so measures match production. */
function startFlags (): string[] {
  const pkg = JSON.parse(readFileSync(new URL('package.json', repoRoot), 'utf8')) as { scripts?: { start?: string } }
  return (pkg.scripts?.start ?? '').split(/\s+/).filter((word) => word.startsWith('--'))
}
const readyTimeoutMs = 60_000
const stopTimeoutMs = 15_000
/** A closed local port: any upstream the service should not be calling fails fast instead of reaching the internet. */
const nowhere = 'http://127.0.0.1:9'

export interface Service {
  url: string
  pid: number
  /** warn-and-above log lines the service printed */
  logs: string[]
  /** what it was started on: `restartService` starts it again on the same data and environment */
  dataDir: string
  env: Record<string, string>
  /** what every /v1 call needs: the bearer token when the service was started with TRACKLAKE_API_TOKEN */
  headers: Record<string, string>
  /** how the process ended (exit code or signal name), undefined while it runs */
  readonly exit: string | undefined
  stop (): Promise<void>
  /** SIGKILL, as a power cut or the OOM killer would: nothing is flushed or closed. Resolves once the process is gone. */
  kill (): Promise<void>
}

export interface Memory {
  /** current resident set (VmRSS) */
  rss: number
  /** peak resident set since the process started (VmHWM) */
  peak: number
}

const running = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

export async function makeTempDir (name: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `tracklake-${name}-`))
}

export async function freePort (): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** The environment of the child: nothing tracklake reads is inherited, and every upstream points at 127.0.0.1. */
function serviceEnv (dataDir: string, port: number, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of envNames) delete env[name]
  return {
    ...env,
    TRACKLAKE_DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    SPOTIFY_API_URL: nowhere,
    SPOTIFY_ACCOUNTS_URL: nowhere,
    LISTENBRAINZ_URL: nowhere,
    MUSICBRAINZ_URL: nowhere,
    OPENWEATHER_URL: nowhere,
    ...extra,
  }
}

function describeLine (line: string): string {
  try {
    const entry = JSON.parse(line) as { level?: number, msg?: string, err?: { message?: string } }
    const level = { 40: 'warn', 50: 'error', 60: 'fatal' }[entry.level ?? 0] ?? String(entry.level)
    return `${level}: ${entry.msg ?? ''}${entry.err?.message ? ` (${entry.err.message})` : ''}`
  } catch {
    return line
  }
}

/** Builds dist/ as `npm run build` does. */
export async function buildProduction (): Promise<void> {
  // `npm run build` itself: tsc, then the files it copies beside the code (the warehouse's SQL project, the reports page).
  const child = spawn('npm', ['run', '--silent', 'build'], { cwd: repoRoot.pathname, stdio: 'inherit' })
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  if (code !== 0) throw new Error(`the build failed (${code})`)
}

/** Starts the built service on a free port, as `npm start` does, and waits until GET /ready answers 200. */
export async function startService (dataDir: string, extraEnv: Record<string, string> = {}): Promise<Service> {
  const port = await freePort()
  const child = spawn(process.execPath, [...startFlags(), serverEntry.pathname], {
    cwd: repoRoot.pathname,
    env: serviceEnv(dataDir, port, extraEnv),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  running.add(child)
  const logs: string[] = []
  let pending = ''
  const collect = (chunk: Buffer): void => {
    const lines = (pending + chunk.toString('utf8')).split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) if (line.trim()) logs.push(describeLine(line))
    // SERVICE_LOG_FILE keeps every line whole, for a violation that needs the service's own account.
    if (process.env.SERVICE_LOG_FILE) appendFileSync(process.env.SERVICE_LOG_FILE, lines.filter((l) => l.trim()).map((l) => `${l}\n`).join(''))
  }
  child.stdout!.on('data', collect)
  child.stderr!.on('data', collect)
  const exited = new Promise<void>((resolve) => child.once('exit', () => {
    running.delete(child)
    resolve()
  }))

  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + readyTimeoutMs
  let lastAnswer = 'no answer'
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode} before it was ready: ${logs.join(' | ')}`)
    const answer = await call(url, 'GET', '/ready').catch((err: Error) => { lastAnswer = `no answer (${err.message})` })
    if (answer?.status === 200) break
    if (answer) lastAnswer = `${answer.status} ${answer.text.slice(0, 300)}`
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`the service was not ready within ${readyTimeoutMs / 1000} s (GET /ready: ${lastAnswer}): ${logs.join(' | ')}`)
    }
    await sleep(100)
  }

  return {
    url,
    pid: child.pid!,
    logs,
    dataDir,
    env: extraEnv,
    headers: extraEnv.TRACKLAKE_API_TOKEN ? { authorization: `Bearer ${extraEnv.TRACKLAKE_API_TOKEN}` } : {},
    get exit () {
      if (child.signalCode !== null) return child.signalCode
      return child.exitCode !== null ? `exit code ${child.exitCode}` : undefined
    },
    async kill () {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGKILL')
      await exited
    },
    async stop () {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs)
      await exited
      clearTimeout(timer)
    },
  }
}

/** Starts a stopped or killed service again on its data directory and environment (on another free port). */
export function restartService (service: Service): Promise<Service> {
  return startService(service.dataDir, service.env)
}

/** Resident set of a process from /proc/<pid>/status (Linux). */
export function memoryOf (pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)
    if (!match) throw new Error(`/proc/${pid}/status has no ${field}`)
    return Number(match[1]) * 1024
  }
  return { rss: kb('VmRSS'), peak: kb('VmHWM') }
}
