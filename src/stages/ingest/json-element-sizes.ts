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

  return {
    write (chunk) {
      if (lost) return
      // The state in locals for the loop (V8 keeps them in registers; the closure's variables are loads and stores).
      let began = startsArray
      let d = depth
      let inStr = inString
      let esc = escaped
      let start = elementStart
      let big = largest
      const length = chunk.length
      let i = 0
      while (i < length) {
        if (inStr) {
          // Strings are most of an export's bytes: a tight loop to the next quote or backslash.
          if (esc) {
            esc = false
            i++
            continue
          }
          while (i < length) {
            const c = chunk[i]!
            if (c === quote || c === backslash) break
            i++
          }
          if (i === length) break
          if (chunk[i] === backslash) esc = true
          else inStr = false
          i++
          continue
        }
        const byte = chunk[i]!
        i++
        // Inside an element: only strings and nesting matter.
        if (d >= 2) {
          if (byte === quote) inStr = true
          else if (byte === openObject || byte === openArray) d++
          else if (byte === closeObject || byte === closeArray) d--
          continue
        }
        if (!began) {
          if (isSpace(byte)) continue
          if (byte !== openArray) {
            lost = true
            return
          }
          began = true
          d = 1
          continue
        }
        if (d === 0) continue
        if (start < 0) {
          if (isSpace(byte)) continue
          if (byte === closeArray) {
            d = 0
            continue
          }
          if (byte === comma) {
            lost = true
            return
          }
          start = offset + i - 1
        }
        if (byte === quote) inStr = true
        else if (byte === openObject || byte === openArray) d++
        else if (byte === comma || byte === closeObject || byte === closeArray) {
          // The element ends before this byte: a comma leads to the next, a bracket closes the array.
          big = Math.max(big, offset + i - 1 - start)
          start = -1
          if (byte !== comma) d = 0
        }
      }
      startsArray = began
      depth = d
      inString = inStr
      escaped = esc
      elementStart = start
      largest = big
      offset += length
    },
    result () {
      // Not an array, or one that never closes.
      if (!startsArray || depth !== 0 || inString) lost = true
      return { startsArray, largestElementBytes: lost ? Infinity : largest }
    },
  }
}
