/**
 * Splits a JSON array arriving in text chunks into the source text of its items, one at a time, so a 12 MB export file
 * is never held whole (nor its object graph). Each item is parsed on its own by the caller.
 */
export class JsonArrayError extends Error {}

export async function * jsonArrayItems (chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let state: 'before' | 'between' | 'item' | 'after' = 'before'
  let depth = 0
  let inString = false
  let escaped = false
  let item = ''
  let sawComma = true

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
            item += chunk.slice(start, i)
            yield item.trim()
            item = ''
            state = 'after'
            continue
          }
          depth--
          if (depth === 0) {
            item += chunk.slice(start, i + 1)
            yield item
            item = ''
            state = 'between'
            sawComma = false
          }
        } else if (ch === ',' && depth === 0) {
          item += chunk.slice(start, i)
          yield item.trim()
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
    if (state === 'item') item += chunk.slice(start)
  }
  const end: string = state
  if (end === 'before') throw new JsonArrayError('the file is empty')
  if (end !== 'after') throw new JsonArrayError('the file ends before its array closes (truncated?)')
}

/** Adapts an in-memory string (tests, small bodies) to the chunked reader. */
export async function * stringChunks (text: string, size = 64 * 1024): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size)
}
