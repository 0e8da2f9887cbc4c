/**
 * A plan's items held as one JSON text and the offset where each ends. A plan of 60,000 Spotify keys is some 1.9 MB of
 * one string and 240 KB of offsets; as 60,000 objects with their strings it took about 8 MB of the heap, for as long
 * as the plan was kept. A batch parses only its own slice.
 */
export interface PlanItems<Item> {
  readonly length: number
  /** The items of [start, end), parsed afresh: a caller may change them. */
  slice (start: number, end: number): Item[]
}

export interface PackedItems<Item> extends PlanItems<Item> {
  readonly chars: number
  /** The items as one JSON array, the text JSON.stringify(items) gives. */
  json (): string
}

export function packItems<Item> (items: readonly Item[]): PackedItems<Item> {
  const ends = new Uint32Array(items.length)
  const texts: string[] = new Array(items.length)
  let at = 0
  for (let i = 0; i < items.length; i++) {
    const text = JSON.stringify(items[i]) ?? 'null'
    texts[i] = text
    at += text.length
    ends[i] = at
    at++ // the comma after it
  }
  const text = texts.join(',')
  // The slices below must not hold `items`: the objects are what this drops.
  const count = items.length
  return {
    length: count,
    chars: text.length,
    json: () => `[${text}]`,
    slice (start, end) {
      const from = Math.max(0, Math.min(start, count))
      const to = Math.max(from, Math.min(end, count))
      if (from === to) return []
      return JSON.parse(`[${text.slice(from === 0 ? 0 : ends[from - 1]! + 1, ends[to - 1])}]`) as Item[]
    },
  }
}
