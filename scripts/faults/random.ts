import { mulberry32 } from '../../test/helpers/random.ts'

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
  const next = mulberry32(seed >>> 0)
  return {
    seed,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
    derive: (name) => createRandom(hashName(seed, name)),
  }
}
