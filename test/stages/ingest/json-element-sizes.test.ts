import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createArrayElementSizer, type ArrayElementSizes } from '../../../src/stages/ingest/json-element-sizes.ts'

/** Measures `bytes` handed over in chunks cut at `cuts` (positions, any order). */
function measure (bytes: Buffer, cuts: number[] = []): ArrayElementSizes {
  const sizer = createArrayElementSizer()
  let from = 0
  for (const cut of [...new Set(cuts.map((c) => Math.min(c, bytes.length)))].sort((a, b) => a - b)) {
    sizer.write(bytes.subarray(from, cut))
    from = cut
  }
  sizer.write(bytes.subarray(from))
  return sizer.result()
}

describe('array element sizes', () => {
  it('measures every element in bytes, whatever the values, spacing and chunk cuts', () => {
    const space = fc.constantFrom('', ' ', '\n  ', '\t', '\r\n')
    fc.assert(fc.property(
      fc.array(fc.jsonValue(), { maxLength: 12 }), space, space, fc.constantFrom(undefined, 2, '\t'), fc.array(fc.nat(4000), { maxLength: 8 }),
      (values, before, after, indent, cuts) => {
        const texts = values.map((v) => JSON.stringify(v, null, indent))
        const text = `${before}[${before}${texts.map((t) => `${t}${after}`).join(`,${before}`)}]${after}`
        const expected = Math.max(0, ...texts.map((t) => Buffer.byteLength(t) + after.length))
        expect(measure(Buffer.from(text), cuts)).toEqual({ startsArray: true, largestElementBytes: expected })
      }
    ), { numRuns: 300 })
  })

  it('counts bytes, not characters, and sees quotes and brackets inside strings as text', () => {
    const entry = { name: 'é'.repeat(10), tricky: '"],[{\\"' }
    const text = JSON.stringify([entry, 1])
    expect(measure(Buffer.from(text), [3, 4, 5, 30, 31])).toEqual({ startsArray: true, largestElementBytes: Buffer.byteLength(JSON.stringify(entry)) })
  })

  it('tells an escaped quote from a closing one across any chunk cuts, after backslash runs of every length', () => {
    const values = Array.from({ length: 6 }, (_, n) => ({ text: `${'\\'.repeat(n)}"${'\\'.repeat(n)}`, after: '],"{' }))
    const text = JSON.stringify(values)
    const expected = Math.max(...values.map((v) => Buffer.byteLength(JSON.stringify(v))))
    for (let first = 0; first <= text.length; first++) {
      for (const second of [first + 1, first + 2, first + 3]) {
        expect(measure(Buffer.from(text), [first, second]), `cut at ${first}, ${second}`).toEqual({ startsArray: true, largestElementBytes: expected })
      }
    }
  })

  it('loses count on what is not one array: those files are left to the parser', () => {
    for (const text of ['', '  ', '{"a":1}', '"x"', '[1,2', '[{"a":"]"', '[,1]', '[1,', '\ufeff[1]']) {
      expect(measure(Buffer.from(text)).largestElementBytes, JSON.stringify(text)).toBe(Infinity)
    }
    expect(measure(Buffer.from('  [1]')).startsArray).toBe(true)
    expect(measure(Buffer.from('{"a":1}')).startsArray).toBe(false)
  })
})
