import { spawn, type ChildProcess } from 'node:child_process'
import net from 'node:net'
import { fileURLToPath } from 'node:url'

const cliEntry = fileURLToPath(new URL('../../src/cli.ts', import.meta.url))

export interface CliRun {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface CliChild {
  child: ChildProcess
  stdout (): string
  stderr (): string
  /** Resolves once stdout (or stderr) matches; rejects when the process ends first. */
  waitFor (pattern: RegExp, stream?: 'stdout' | 'stderr'): Promise<RegExpMatchArray>
  exited: Promise<CliRun>
}

/**
 * `tracklake <args>` as a child process (Node 24 runs src/cli.ts directly), with only the environment given: nothing
 * of the test runner's own environment leaks in but PATH and HOME.
 */
export function startCli (args: string[], env: Record<string, string>): CliChild {
  const child = spawn(process.execPath, [cliEntry, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  const waiters = new Set<() => void>()
  const notify = (): void => { for (const waiter of waiters) waiter() }
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; notify() })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; notify() })
  const exited = new Promise<CliRun>((resolve) => {
    child.on('close', (code, signal) => {
      resolve({ code, signal, stdout, stderr })
      notify()
    })
  })
  let done = false
  exited.then(() => { done = true }, () => {})
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitFor (pattern, stream = 'stdout') {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const match = (stream === 'stdout' ? stdout : stderr).match(pattern)
          if (match) {
            waiters.delete(check)
            resolve(match)
          } else if (done || child.exitCode !== null) {
            waiters.delete(check)
            reject(new Error(`tracklake ${args.join(' ')} ended before ${pattern} appeared\nstdout: ${stdout}\nstderr: ${stderr}`))
          }
        }
        waiters.add(check)
        check()
      })
    },
  }
}

export function runCli (args: string[], env: Record<string, string>): Promise<CliRun> {
  return startCli(args, env).exited
}

/** A port free right now on 127.0.0.1 (for a callback or a service the test then talks to). */
export async function freePort (): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
