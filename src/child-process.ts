import { fork, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export interface ServiceChild {
  child: ChildProcess
  /** the last line the child wrote to stderr (a crash's message), or '' */
  lastStderrLine (): string
}

/**
 * The module `name` beside the module at `base` (its `import.meta.url`), with the same extension: `.ts` where src/ runs
 * as it is (tests, `npm run dev`), `.js` in the build.
 */
export const siblingModule = (base: string, name: string): URL => new URL(`./${name}${path.extname(fileURLToPath(base))}`, base)

/**
 * The flags of a child whose JavaScript is a few calls into DuckDB (the warehouse build, a write process): a small
 * young generation, V8 tuned for size and, from built code, lite mode: without its optimising compilers V8 keeps 8–10
 * MB less resident, for the same DuckDB time. Built code only: lite mode has no WebAssembly, which Node's TypeScript
 * stripping needs (tests and `npm run dev` run src/ as it is).
 */
export const duckDbChildFlags = (file: string): string[] =>
  ['--max-semi-space-size=2', '--optimize-for-size', ...(file.endsWith('.js') ? ['--lite-mode'] : [])]

/**
 * Forks `file`, a module of this code base that runs as the child when it is the main module, with an IPC channel
 * (structured clone) and `execArgv` as its only Node flags: the service's own (lite mode among them) are not passed on.
 */
export function forkChild (file: string, execArgv: string[] = duckDbChildFlags(file)): ServiceChild {
  const child = fork(file, [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString('utf8')).slice(-2000) })
  return { child, lastStderrLine: () => stderr.trim().split('\n').slice(-1)[0] ?? '' }
}
