/** One async mutex per name: callers for the same name run one after another, in arrival order. */
export interface LockSet {
  run<T> (names: readonly string[], fn: () => Promise<T>): Promise<T>
}

export function createLockSet (): LockSet {
  const tails = new Map<string, Promise<void>>()

  async function acquire (name: string): Promise<() => void> {
    const previous = tails.get(name) ?? Promise.resolve()
    let release!: () => void
    const current = new Promise<void>((resolve) => { release = resolve })
    const tail = previous.then(() => current)
    tails.set(name, tail)
    await previous
    return () => {
      release()
      if (tails.get(name) === tail) tails.delete(name)
    }
  }

  async function run<T> (names: readonly string[], fn: () => Promise<T>): Promise<T> {
    // Sorted acquisition order: two writers that need the same tables can never wait on each other in a cycle.
    const ordered = [...new Set(names)].sort()
    const releases: Array<() => void> = []
    try {
      for (const name of ordered) releases.push(await acquire(name))
      return await fn()
    } finally {
      for (const release of releases.reverse()) release()
    }
  }

  return { run }
}
