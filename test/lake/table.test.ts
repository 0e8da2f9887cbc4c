import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { catalog } from '../../src/catalog.ts'
import { RowProblem, storableJsonLine, storableRow } from '../../src/lake/table.ts'
import type { ValueKind } from '../../src/lake/values.ts'

/** Values of every kind a caller may hand over, good and bad: what the lake must store, repair or refuse. */
const anyValue = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.string(),
  fc.constantFrom('', 'x\uD800y', '2024-02-29T12:00:00Z', '2024-02-30T12:00:00Z', '2024-05-01T10:00:00.123Z', '2024-05-01', 'Ädïe "quoted"\n'),
  fc.integer(),
  fc.constantFrom(2 ** 40, -1, 1.5, Number.NaN, -0),
  fc.boolean(),
  fc.array(fc.oneof(fc.string(), fc.constant(null), fc.integer()), { maxLength: 3 }),
  fc.array(fc.record({ name: fc.string(), count: fc.integer() }), { maxLength: 2 })
)

/** A value the column stores as it is. */
function validFor (kind: ValueKind): unknown {
  switch (kind.kind) {
    case 'varchar': return 'text'
    case 'integer': return Math.max(kind.minimum, 5)
    case 'double': return 1.5
    case 'boolean': return true
    case 'date': return '2024-05-01'
    case 'timestamp': return '2024-05-01T10:00:00.000Z'
    case 'list': return [validFor(kind.of)]
    case 'struct': return Object.fromEntries(Object.entries(kind.fields).map(([name, field]) => [name, validFor(field)]))
  }
}

function outcome (fn: () => string): string {
  try {
    return fn()
  } catch (err) {
    if (err instanceof RowProblem) return `RowProblem ${err.message}`
    throw err
  }
}

const valid = Symbol('valid')
const rows = fc.constantFrom(...catalog).chain((table) => fc.tuple(
  fc.constant(table),
  fc.array(fc.oneof({ arbitrary: anyValue, weight: 1 }, { arbitrary: fc.constant(valid), weight: 4 }), { minLength: table.columns.length, maxLength: table.columns.length }),
  fc.nat()
))

describe('storableJsonLine', () => {
  it('is the JSON of storableRow without nulls, the tail last, for any row of any lake table (or the same RowProblem)', () => {
    fc.assert(fc.property(rows, ([table, values, ord]) => {
      const row = Object.fromEntries(table.columns.map((col, i) => [col.name, values[i] === valid ? validFor(col.kind) : values[i]]))
      const viaObject = { strings: 0 }
      const viaLine = { strings: 0 }
      const expected = outcome(() => JSON.stringify({ ...storableRow(table, row, viaObject, { omitNulls: true }), _ord: ord }))
      expect(outcome(() => storableJsonLine(table, row, viaLine, `"_ord":${ord}`))).toBe(expected)
      expect(viaLine.strings).toBe(viaObject.strings)
    }), { numRuns: 3000 })
  })
})
