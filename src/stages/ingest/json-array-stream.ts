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

/**
 * Splits a JSON array arriving in text chunks into the source text of its items, one at a time, so a 12 MB export file
 * is never held whole (nor its object graph). Each item is parsed on its own by the caller. An item longer than
 * `maxItemChars` throws (naming its index) as soon as it passes the cap: memory stays within the cap and one chunk.
 */
export async function * jsonArrayItems (chunks: AsyncIterable<string>, options: { maxItemChars?: number } = {}): AsyncGenerator<string> {
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

  for await (const chunk of chunks) {
    let start = 0
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk[i]!
      if (state === 'item') {
        if (inString) {
          if (escaped) escaped = false
          else if (ch === '\\') escaped = true
          else if (ch === '"') inString = false
          continue
        }
        if (ch === '"') inString = true
        else if (ch === '{' || ch === '[') depth++
        else if (ch === '}' || ch === ']') {
          if (depth === 0) {
            // A primitive item ends where the array does.
            append(chunk, start, i)
            yield item.trim()
            index++
            item = ''
            state = 'after'
            continue
          }
          depth--
          if (depth === 0) {
            append(chunk, start, i + 1)
            yield item
            index++
            item = ''
            state = 'between'
            sawComma = false
          }
        } else if (ch === ',' && depth === 0) {
          append(chunk, start, i)
          yield item.trim()
          index++
          item = ''
          state = 'between'
          sawComma = true
        }
        continue
      }
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
      start = i
    }
    if (state === 'item') append(chunk, start, chunk.length)
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
