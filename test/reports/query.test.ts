import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readRows } from '../../src/lake/rows.ts'
import { isoSql, partsSql, readParts } from '../../src/reports/query.ts'

describe('a report answered in parts', () => {
  let instance: DuckDBInstance
  let conn: DuckDBConnection

  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:')
    conn = await instance.connect()
    await conn.run("SET TimeZone = 'Europe/Berlin'")
  })
  afterAll(() => {
    conn.closeSync()
    instance.closeSync()
  })

  it('reads each part by name, lists of structs, numbers and an empty list alike', async () => {
    const sql = `WITH t AS (SELECT * FROM (VALUES (1, 'a', 1.5), (2, 'b', 2.25)) v(n, s, x))
${partsSql({
  rows: '(SELECT list(struct_pack(n := n, s := s, x := x) ORDER BY n) FROM t)',
  total: '(SELECT sum(n) FROM t)',
  none: '(SELECT list(n) FROM t WHERE n > 9)',
  day: "(SELECT DATE '2026-02-15')",
})}`
    expect(readParts(await readRows(conn, sql))).toEqual({
      rows: [{ n: 1, s: 'a', x: 1.5 }, { n: 2, s: 'b', x: 2.25 }],
      total: 3,
      none: null,
      day: '2026-02-15',
    })
  })

  it('writes an instant as the other answers do (UTC, milliseconds, Z), whatever the session time zone', async () => {
    const sql = partsSql({ at: `(SELECT ${isoSql("TIMESTAMPTZ '2026-02-15 12:34:56.789+00'")})` })
    expect(readParts(await readRows(conn, sql)).at).toBe(new Date('2026-02-15T12:34:56.789Z').toISOString())
  })

  it('takes plain names only: a part name is SQL text', () => {
    expect(() => partsSql({ "x' AS part, 1 --": '(SELECT 1)' })).toThrow(/plain name/)
  })

  it('an answer without rows is an error, not an empty report', () => {
    expect(() => readParts([])).toThrow(/no row/)
  })
})
