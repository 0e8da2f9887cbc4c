/**
 * Imported first by src/cli.ts and src/server.ts, like node-version.ts: no imports.
 *
 * glibc gives threads that allocate at the same time their own malloc arenas (up to eight per core), and what is freed
 * in an arena stays with it: with DuckDB's threads, libuv's and V8's, the service's resident memory crept up by tens of
 * megabytes through a Daily ETL. Two arenas serve one Node process as well. glibc reads MALLOC_ARENA_MAX once, when
 * the process starts, so the service starts itself again with it: execve keeps the process (its pid, its signals, its
 * place under Docker). A MALLOC_ARENA_MAX already set, any value, is left as it is; the Docker image sets it and never
 * restarts.
 */
export function restartWithTwoMallocArenas (): void {
  if (process.platform !== 'linux' || process.env.MALLOC_ARENA_MAX !== undefined || typeof process.execve !== 'function') return
  try {
    process.execve(process.execPath, [process.execPath, ...process.execArgv, ...process.argv.slice(1)], { ...process.env, MALLOC_ARENA_MAX: '2' })
  } catch {
    // Runs on with glibc's default arenas: more memory, nothing wrong.
  }
}
