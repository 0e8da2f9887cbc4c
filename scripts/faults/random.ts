/** A seeded generator (mulberry32): the same seed gives the same delays, data and fuzz values. */
export interface Random {
  /** uniform in [0, 1) */
  next (): number
  /** integer in [min, max] */
  int (min: number, max: number): number
  pick<T> (items: readonly T[]): T
  /** a generator of its own for `name`, independent of how much this one was used */
  derive (name: string): Random
  readonly seed: number
}

function hashName (seed: number, name: string): number {
  let h = seed ^ 0x9e3779b9
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x85ebca6b) >>> 0
  return (h ^ (h >>> 16)) >>> 0
}

export function createRandom (seed: number): Random {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    seed,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
    derive: (name) => createRandom(hashName(seed, name)),
  }
}
