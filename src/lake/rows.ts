import { DuckDBTypeId, listValue, VARCHAR, LIST, type DuckDBConnection, type DuckDBPreparedStatement, type DuckDBResultReader, type DuckDBType, type DuckDBValue } from '@duckdb/node-api'
import { tableSwaps } from './swap-gate.ts'

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }
export type JsonRow = Record<string, JsonValue>
export type SqlParam = string | number | boolean | null | bigint | readonly string[]
export type SqlParams = Record<string, SqlParam>

/** Binds JS values: integers stay integers (LIMIT and OFFSET need them) and string arrays become VARCHAR[]. */
function bind (params: SqlParams | undefined): { values: Record<string, DuckDBValue>, types: Record<string, DuckDBType | undefined> } | undefined {
  if (!params) return undefined
  const values: Record<string, DuckDBValue> = {}
  const types: Record<string, DuckDBType | undefined> = {}
  for (const [name, value] of Object.entries(params)) {
    if (Array.isArray(value)) {
      values[name] = listValue(value as string[])
      types[name] = LIST(VARCHAR)
    } else if (typeof value === 'number' && Number.isSafeInteger(value)) {
      values[name] = BigInt(value)
    } else {
      values[name] = value as DuckDBValue
    }
  }
  return { values, types }
}

function toJson (value: unknown, typeId?: DuckDBTypeId): JsonValue {
  if (value === null || value === undefined) return null
  if (typeof value === 'bigint') {
    const asNumber = Number(value)
    return Number.isSafeInteger(asNumber) ? asNumber : value.toString()
  }
  if (value instanceof Date) {
    const iso = value.toISOString()
    return typeId === DuckDBTypeId.DATE ? iso.slice(0, 10) : iso
  }
  if (Array.isArray(value)) return value.map((inner) => toJson(inner))
  if (typeof value === 'object') {
    const out: Record<string, JsonValue> = {}
    for (const [key, inner] of Object.entries(value)) out[key] = toJson(inner)
    return out
  }
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value
  return String(value)
}

/** Runs a query and returns JSON-safe rows: ISO timestamps, YYYY-MM-DD dates, numbers for counts. */
export async function readRows (conn: DuckDBConnection, sql: string, params?: SqlParams): Promise<JsonRow[]> {
  const bound = bind(params)
  return jsonRows(await tableSwaps.statement(() => conn.runAndReadAll(sql, bound?.values, bound?.types)))
}

/**
 * Runs a prepared statement with these parameters (every one it has) and returns JSON-safe rows as readRows does. A
 * statement prepared once skips parsing, binding and optimising on each later run; DuckDB binds again by itself
 * where a parameter decides what is read (a table function's file). Outside the swap gate: for files no lake write
 * renames (the warehouse, a snapshot).
 */
export async function readPreparedRows (statement: DuckDBPreparedStatement, params?: SqlParams): Promise<JsonRow[]> {
  const bound = bind(params)
  statement.clearBindings()
  if (bound) statement.bind(bound.values, bound.types)
  return jsonRows(await statement.runAndReadAll())
}

function jsonRows (reader: DuckDBResultReader): JsonRow[] {
  const typeIds = reader.columnTypes().map((type) => type.typeId)
  const names = reader.columnNames()
  return reader.getRowsJS().map((row) => {
    const out: JsonRow = {}
    row.forEach((value, i) => { out[names[i]!] = toJson(value, typeIds[i]) })
    return out
  })
}

/** Runs a statement with bound parameters, discarding any result. */
export async function execute (conn: DuckDBConnection, sql: string, params?: SqlParams): Promise<void> {
  const bound = bind(params)
  await tableSwaps.statement(() => conn.run(sql, bound?.values, bound?.types))
}
