/**
 * Imported first by src/cli.ts and src/server.ts, like node-version.ts: no imports.
 *
 * Two settings of the service's process that only take effect when a process starts, so the service starts itself
 * again with them (execve keeps the process: its pid, its signals, its place under Docker):
 * - Two malloc arenas. glibc gives threads that allocate at the same time their own arenas (up to eight per core), and
 *   what is freed in an arena stays with it: with DuckDB's threads, libuv's and V8's, the service's resident memory
 *   crept up by tens of megabytes through a Daily ETL. A MALLOC_ARENA_MAX already set, any value, is left as it is;
 *   the Docker image sets it.
 * - V8 in lite mode (built code only; TRACKLAKE_V8_LITE_MODE=off keeps the compilers): no optimising compilers,
 *   feedback allocated lazily. The service's JavaScript mostly waits on DuckDB and upstreams; lite mode keeps it
 *   15–25 MB smaller through a Daily ETL, and makes the loops that are JavaScript's own 2–5× slower. It also has no
 *   WebAssembly, which fetch (undici) and Node's TypeScript stripping need: the other commands of the CLI keep
 *   their flags, `npm run dev` runs src/ as it is, and the one loop that needs the compilers (measuring an export's
 *   files) runs in a child process with them (src/stages/ingest/export-unpacking.ts).
 */
export function restartForTheService (options: { liteMode: boolean }): void {
  if (process.platform !== 'linux' || typeof process.execve !== 'function') return
  const arenas = process.env.MALLOC_ARENA_MAX === undefined
  const lite = options.liteMode && process.env.TRACKLAKE_V8_LITE_MODE?.trim() !== 'off' && !process.execArgv.includes('--lite-mode')
  if (!arenas && !lite) return
  try {
    const execArgv = lite ? [...process.execArgv, '--lite-mode'] : process.execArgv
    process.execve(process.execPath, [process.execPath, ...execArgv, ...process.argv.slice(1)], { ...process.env, ...arenas ? { MALLOC_ARENA_MAX: '2' } : {} })
  } catch {
    // Runs on as it started: more memory, nothing wrong.
  }
}
