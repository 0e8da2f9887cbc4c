export class JsonArrayError extends Error {
  /** The item at fault, when there is one. */
  readonly index: number | undefined

  constructor (message: string, index?: number) {
    super(message)
    this.index = index
  }
}

/** A real export entry is under 2 KB; an item this large is refused rather than accumulated. */
export const defaultMaxItemChars = 1024 * 1024

/** The characters that matter inside an item outside its strings: the scan jumps from one to the next. */
const structural = /["{}[\],]/g
const backslash = 92

/**
 * Splits a JSON array arriving in text chunks into the source text of its items, one at a time, so a 12 MB export file
 * is never held whole (nor its object graph). Each item is parsed on its own by the caller. An item longer than
 * `maxItemChars` throws (naming its index) as soon as it passes the cap: memory stays within the cap and one chunk.
 */
export async function * jsonArrayItems (chunks: AsyncIterable<string>, options: { maxItemChars?: number } = {}): AsyncGenerator<string> {
  for await (const batch of jsonArrayBatches(chunks, options)) yield * batch
}

/**
 * The same, a chunk's items at a time: a million entries cost a few thousand steps of the async iteration instead of a
 * million. Items before a fault in the array are handed over before the fault throws.
 */
export async function * jsonArrayBatches (chunks: AsyncIterable<string>, options: { maxItemChars?: number } = {}): AsyncGenerator<string[]> {
  const maxItemChars = options.maxItemChars ?? defaultMaxItemChars
  const tooLarge = (): JsonArrayError =>
    new JsonArrayError(`entry ${index} is larger than ${formatSize(maxItemChars)} (an export entry is under 2 KB)`, index)
  let state: 'before' | 'between' | 'item' | 'after' = 'before'
  let depth = 0
  let inString = false
  let escaped = false
  let item = ''
  let sawComma = true
  let index = 0
  const append = (chunk: string, from: number, to: number): void => {
    if (item.length + to - from > maxItemChars) throw tooLarge()
    item += chunk.slice(from, to)
  }

  /** Scans one chunk, pushing the items it completes onto `batch`. */
  function scan (chunk: string, batch: string[]): void {
    let start = 0
    const n = chunk.length
    let i = 0
    while (i < n) {
      if (state === 'item') {
        if (inString) {
          if (escaped) {
            escaped = false
            i++
            continue
          }
          const quote = chunk.indexOf('"', i)
          // Backslashes right before the quote (or the chunk's end): an odd run escapes what follows.
          const end = quote === -1 ? n : quote
          let run = 0
          while (end - run - 1 >= i && chunk.charCodeAt(end - run - 1) === backslash) run++
          if (quote === -1) {
            escaped = run % 2 === 1
            i = n
          } else {
            if (run % 2 === 0) inString = false
            i = quote + 1
          }
          continue
        }
        structural.lastIndex = i
        const found = structural.exec(chunk)
        if (!found) {
          i = n
          continue
        }
        i = found.index
        const ch = chunk[i]!
        if (ch === '"') inString = true
        else if (ch === '{' || ch === '[') depth++
        else if (ch === '}' || ch === ']') {
          if (depth === 0) {
            // A primitive item ends where the array does.
            append(chunk, start, i)
            batch.push(item.trim())
            index++
            item = ''
            state = 'after'
            i++
            continue
          }
          depth--
          if (depth === 0) {
            append(chunk, start, i + 1)
            batch.push(item)
            index++
            item = ''
            state = 'between'
            sawComma = false
          }
        } else if (ch === ',' && depth === 0) {
          append(chunk, start, i)
          batch.push(item.trim())
          index++
          item = ''
          state = 'between'
          sawComma = true
        }
        i++
        continue
      }
      const ch = chunk[i]!
      i++
      if (ch === ' ' || ch === '\n' || ch === '\r' || ch === '\t' || ch === '\uFEFF') continue
      if (state === 'before') {
        if (ch !== '[') throw new JsonArrayError(`expected a JSON array, found ${JSON.stringify(ch)}`)
        state = 'between'
        sawComma = true
        continue
      }
      if (state === 'after') throw new JsonArrayError(`unexpected ${JSON.stringify(ch)} after the end of the array`)
      // between items
      if (ch === ']') {
        state = 'after'
        continue
      }
      if (ch === ',') {
        if (sawComma) throw new JsonArrayError('unexpected , in the array')
        sawComma = true
        continue
      }
      if (!sawComma) throw new JsonArrayError(`expected , or ] between entries, found ${JSON.stringify(ch)}`)
      state = 'item'
      sawComma = false
      depth = ch === '{' || ch === '[' ? 1 : 0
      inString = ch === '"'
      start = i - 1
    }
    if (state === 'item') append(chunk, start, n)
  }

  for await (const chunk of chunks) {
    const batch: string[] = []
    try {
      scan(chunk, batch)
    } catch (err) {
      if (batch.length > 0) yield batch
      throw err
    }
    if (batch.length > 0) yield batch
  }
  const end: string = state
  if (end === 'before') throw new JsonArrayError('the file is empty')
  if (end !== 'after') throw new JsonArrayError('the file ends before its array closes (truncated?)')
}

function formatSize (chars: number): string {
  return chars % (1024 * 1024) === 0 ? `${chars / 1024 / 1024} MB` : chars % 1024 === 0 ? `${chars / 1024} KB` : `${chars} characters`
}

/** Adapts an in-memory string (tests, small bodies) to the chunked reader. */
export async function * stringChunks (text: string, size = 64 * 1024): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size)
}
