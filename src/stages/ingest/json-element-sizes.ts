/**
 * Measures a file's top-level JSON array as it streams past: does it start as an array, and how many bytes its
 * largest element takes. The export reader hands DuckDB only files whose entries all fit the parser's 1 MB cap: an
 * entry's bytes are never fewer than its characters, so a file within the cap in bytes is within it in characters, and
 * any other file goes to the parser, which decides exactly. Bytes it cannot place (no array, a stray comma) count as an
 * element past any cap; a malformed file is DuckDB's or the parser's to refuse either way.
 */
export interface ArrayElementSizes {
  /** the first byte other than whitespace is `[` */
  startsArray: boolean
  /** bytes of the largest element, from its first byte to the `,` or `]` after it; Infinity when lost */
  largestElementBytes: number
}

const quote = 0x22
const backslash = 0x5c
const comma = 0x2c
const openArray = 0x5b
const closeArray = 0x5d
const openObject = 0x7b
const closeObject = 0x7d
const isSpace = (byte: number): boolean => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09

export interface ArrayElementSizer {
  write (chunk: Buffer): void
  result (): ArrayElementSizes
}

export function createArrayElementSizer (): ArrayElementSizer {
  let offset = 0
  /** false until the first byte other than whitespace; a file that starts otherwise is lost at once */
  let startsArray = false
  /** nesting depth: 1 inside the top array; 0 before it and after it */
  let depth = 0
  let inString = false
  let escaped = false
  /** absolute offset where the current element began; -1 between elements */
  let elementStart = -1
  let largest = 0
  let lost = false

  const endElement = (at: number): void => {
    if (elementStart < 0) lost = true
    else largest = Math.max(largest, at - elementStart)
    elementStart = -1
  }

  return {
    write (chunk) {
      if (lost) return
      const length = chunk.length
      let i = 0
      while (i < length) {
        if (inString) {
          // Strings are most of an export's bytes: a tight loop to the closing quote.
          while (i < length) {
            const c = chunk[i]!
            i++
            if (escaped) escaped = false
            else if (c === backslash) escaped = true
            else if (c === quote) {
              inString = false
              break
            }
          }
          continue
        }
        const byte = chunk[i]!
        if (!startsArray) {
          if (!isSpace(byte)) {
            if (byte !== openArray) {
              lost = true
              return
            }
            startsArray = true
            depth = 1
          }
          i++
          continue
        }
        if (depth === 0) {
          i++
          continue
        }
        if (depth === 1 && elementStart < 0) {
          if (isSpace(byte)) {
            i++
            continue
          }
          if (byte === closeArray) {
            depth = 0
            i++
            continue
          }
          if (byte === comma) {
            lost = true
            return
          }
          elementStart = offset + i
        }
        if (byte === quote) inString = true
        else if (byte === openObject || byte === openArray) depth++
        else if (byte === closeObject || byte === closeArray) {
          if (depth === 1) {
            endElement(offset + i)
            depth = 0
          } else depth--
        } else if (byte === comma && depth === 1) endElement(offset + i)
        i++
      }
      offset += length
    },
    result () {
      // Not an array, or one that never closes.
      if (!startsArray || depth !== 0 || inString) lost = true
      return { startsArray, largestElementBytes: lost ? Infinity : largest }
    },
  }
}
