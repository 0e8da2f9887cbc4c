/**
 * Keeps a table file's rename out of every running DuckDB statement. DuckDB may open a parquet file more than once in
 * one statement (its footer when binding, its pages when scanning); a rename in between hands it the pages of one
 * version with the footer of the other, and the statement fails with "TProtocolException: Invalid data". So each
 * statement holds the gate shared, and a commit holds it alone for the rename only (the fsyncs stay outside).
 * A waiting rename goes before statements that arrive after it, so a stream of readers cannot hold a write back.
 */
export interface SwapGate {
  /** Runs one statement; waits while a rename is waiting or running. */
  statement<T>(fn: () => Promise<T>): Promise<T>
  /** Runs a rename once no statement runs. */
  swap<T>(fn: () => Promise<T>): Promise<T>
}

export function createSwapGate (): SwapGate {
  let statements = 0
  let swapping = false
  const waitingSwaps: Array<() => void> = []
  let waitingStatements: Array<() => void> = []

  function next (): void {
    if (swapping) return
    if (waitingSwaps.length > 0) {
      if (statements === 0) {
        swapping = true
        waitingSwaps.shift()!()
      }
      return
    }
    const released = waitingStatements
    waitingStatements = []
    statements += released.length
    for (const resume of released) resume()
  }

  return {
    async statement (fn) {
      if (swapping || waitingSwaps.length > 0) await new Promise<void>((resolve) => { waitingStatements.push(resolve) })
      else statements++
      try {
        return await fn()
      } finally {
        statements--
        next()
      }
    },
    async swap (fn) {
      await new Promise<void>((resolve) => {
        waitingSwaps.push(resolve)
        next()
      })
      try {
        return await fn()
      } finally {
        swapping = false
        next()
      }
    },
  }
}

/** One gate for the process: one process opens a lake (tracklake.lock), and a gate too wide only waits a little more. */
export const tableSwaps = createSwapGate()
