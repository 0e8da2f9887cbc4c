import { describe, expect, it } from 'vitest'
import { column as c, defineTable, partitionStorable, required } from '../../src/lake/table.ts'
import { isCanonicalInstant, parseTimestamp, preview } from '../../src/lake/values.ts'

const table = defineTable({
  name: 't',
  description: 'test',
  key: ['id'],
  columns: {
    id: required(c.varchar('id')),
    n: c.integer('int32'),
    big: c.bigint('int64, within what JSON numbers carry exactly'),
    at: c.timestamp('time'),
    names: c.varcharList('names'),
    tags: c.structList('tags', { name: required(c.varchar('tag')), count: c.integer('votes') }),
  },
})

describe('what the lake can store (the schema and the column agree)', () => {
  it('parses date-times strictly: real calendar dates, no leap second, years 1–9999, offsets within ±18:00', () => {
    expect(parseTimestamp('2024-02-29T10:00:00Z')).toBe(Date.parse('2024-02-29T10:00:00Z'))
    expect(parseTimestamp('2024-03-01T12:00:00+02:00')).toBe(Date.parse('2024-03-01T10:00:00Z'))
    expect(parseTimestamp('2024-03-01T12:00:00.123456Z')).toBe(Date.parse('2024-03-01T12:00:00.123Z'))
    for (const bad of ['2023-02-29T10:00:00Z', '2024-04-31T00:00:00Z', '2024-01-01T24:00:00Z', '2016-12-31T23:59:60Z', '0000-01-01T00:00:00Z', '2024-01-01T00:00:00+19:00', '2024-01-01', 'yesterday']) {
      expect(parseTimestamp(bad), bad).toBeUndefined()
    }
  })

  it('repairs lone surrogates to U+FFFD and counts them; refuses integers past the column type and impossible times', () => {
    const rows = [
      { id: 'a', n: 1, names: ['ok', 'x\ud800'], tags: [{ name: 'y\udc00', count: 2 }] },
      { id: 'b', n: 2 ** 31 },
      { id: 'c', big: 2 ** 63 },
      { id: 'd', at: '2024-02-30T00:00:00Z' },
      { id: 'e', n: 1.5 },
      { id: '' },
      { id: 'f', at: new Date('2024-01-01T00:00:00Z'), n: -(2 ** 31) },
    ]
    const sorted = partitionStorable(table, rows)
    expect(sorted.repaired).toBe(2)
    expect(sorted.storable.map((r) => r.id)).toEqual(['a', 'f'])
    expect(sorted.storable[0]).toMatchObject({ names: ['ok', 'x\ufffd'], tags: [{ name: 'y\ufffd', count: 2 }], big: null, at: null })
    expect(sorted.storable[1]!.at).toBe('2024-01-01T00:00:00.000Z')
    expect(sorted.rejected.map((r) => [r.index, r.problem.column])).toEqual([[1, 'n'], [2, 'big'], [3, 'at'], [4, 'n'], [5, 'id']])
  })

  it('quotes a short prefix of a bad value, never all of it', () => {
    expect(preview('a'.repeat(1000))).toBe(`"${'a'.repeat(40)}…"`)
    expect(preview(12)).toBe('12')
    expect(preview([1, [2]])).toBe('[1,[2]]')
  })

  it('names a list too deep to write out instead of recursing past the stack (100,000 nested arrays in an upload)', () => {
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)) as unknown
    expect(preview(deep)).toBe('[array]')
    expect(preview({ x: deep })).toBe('[object]')
  })
})

describe('the canonical-instant fast path (isCanonicalInstant)', () => {
  it('takes only real instants in Date#toISOString form, so nothing it lets through skips a check', () => {
    for (const ok of ['2024-02-29T23:59:59.999Z', '0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z']) {
      expect(isCanonicalInstant(ok), ok).toBe(true)
      expect(isCanonicalInstant(ok)).toBe(new Date(ok).toISOString() === ok)
    }
    for (const bad of [
      '0000-01-01T00:00:00.000Z', '2023-02-29T00:00:00.000Z', '2024-04-31T00:00:00.000Z', '2024-13-01T00:00:00.000Z',
      '2024-01-01T24:00:00.000Z', '2024-01-01T23:60:00.000Z', '2024-01-01T23:59:60.000Z', '2024-01-01T00:00:00.00aZ',
      '2024-01-01 00:00:00.000Z', '2024-01-01T00:00:00.000+', '2024-01-01T00:00:00Z', '+02024-01-01T00:00:00.000Z',
      '2024-0a-01T00:00:00.000Z', '2024-01-01T00:00:00.000z', '2024-01-01T00:00:00.0\uD800Z',
    ]) expect(isCanonicalInstant(bad), bad).toBe(false)
  })

  it('leaves every other form to the strict parser: offsets are still converted, impossible dates still refused', () => {
    expect(partitionStorable(table, [{ id: 'a', at: '2024-01-01T01:00:00+01:00' }]).storable[0]?.at).toBe('2024-01-01T00:00:00.000Z')
    expect(partitionStorable(table, [{ id: 'a', at: '2023-02-29T00:00:00.000Z' }]).rejected).toHaveLength(1)
    expect(partitionStorable(table, [{ id: 'a', at: '0000-01-01T00:00:00.000Z' }]).rejected).toHaveLength(1)
  })
})
