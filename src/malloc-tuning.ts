/**
 * Imported first by src/cli.ts and src/server.ts, like node-version.ts: no imports.
 *
 * glibc's allocator settings for a long-lived service beside DuckDB, read once when the process starts:
 * - MALLOC_ARENA_MAX=2: glibc gives threads that allocate at the same time their own arenas (up to eight per core),
 *   and what is freed in an arena stays with it: with DuckDB's threads, libuv's and V8's, the service's resident
 *   memory crept up by tens of megabytes through a Daily ETL. Two arenas serve one Node process as well.
 * - MALLOC_MMAP_THRESHOLD_=131072 and MALLOC_TRIM_THRESHOLD_=262144: fixed, not glibc's sliding thresholds, which
 *   rise after a large block is freed (up to 32 MB) so that later large blocks come from the heap and stay there.
 *   Through a full-scale Daily ETL the steps peaked 8–15 MB lower.
 * The service starts itself again with them: execve keeps the process (its pid, its signals, its place under Docker).
 * It does so only when MALLOC_ARENA_MAX is not set; a value the user set, for any of them, is kept. The Docker image
 * sets them all and never restarts.
 */
export const mallocSettings: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '131072',
  MALLOC_TRIM_THRESHOLD_: '262144',
}

export function restartWithMallocTuning (): void {
  if (process.platform !== 'linux' || process.env.MALLOC_ARENA_MAX !== undefined || typeof process.execve !== 'function') return
  try {
    process.execve(process.execPath, [process.execPath, ...process.execArgv, ...process.argv.slice(1)], { ...mallocSettings, ...process.env })
  } catch {
    // Runs on with glibc's defaults: more memory, nothing wrong.
  }
}
