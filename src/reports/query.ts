import { invalidField } from '../errors.ts'
import type { JsonRow, JsonValue, SqlParams } from '../lake/rows.ts'

/** Runs one statement on the query's connection and returns its rows. */
export type StatementRunner = (sql: string, params?: SqlParams) => Promise<JsonRow[]>

export interface QueryOptions {
  /** run first, on the query's connection (e.g. filling a temporary table it reads) */
  before?: (run: StatementRunner) => Promise<void>
}

/** Runs a parameterised read-only query on the current warehouse (createWarehouseReader); WAREHOUSE_NOT_BUILT without one. */
export type WarehouseQuery = (sql: string, params?: SqlParams, options?: QueryOptions) => Promise<JsonRow[]>

/** Bounds that stand for "no bound": every local date of a play lies between them. */
const noLowerDate = '0001-01-01'
const noUpperDate = '9999-12-31'

export interface DateRange {
  /** as asked for; null: no bound */
  from: string | null
  to: string | null
  /** the bounds to bind as $from and $to */
  params: { from: string, to: string }
}

/** The from/to of a query: a 400 naming `query.to` when it lies before `query.from`. */
export function dateRange (query: { from?: string, to?: string }): DateRange {
  const { from, to } = query
  if (from !== undefined && to !== undefined && to < from) throw invalidField('query.to', `must not be before query.from (${from})`)
  return { from: from ?? null, to: to ?? null, params: { from: from ?? noLowerDate, to: to ?? noUpperDate } }
}

/**
 * Keeps the plays of artists from the chosen continents and countries ($continents, $countries: empty lists choose
 * everything). `column` is the artist_key column (rpt_artists) of the query it goes into.
 */
export const placeFilterSql = (column: string): string => `(
  (len($continents) = 0 AND len($countries) = 0)
  OR ${column} IN (
    SELECT artist_key FROM rpt_artists
    WHERE (len($continents) = 0 OR list_contains($continents, continent_code))
      AND (len($countries) = 0 OR list_contains($countries, country_code))
  )
)`

export const placeParams = (query: { continent?: string[], country?: string[] }): { continents: string[], countries: string[] } =>
  ({ continents: [...new Set(query.continent ?? [])], countries: [...new Set(query.country ?? [])] })

/** Minutes as the answers give them: one decimal. */
export const round1 = (value: number): number => Math.round(value * 10) / 10

/**
 * A report's answer as one row per part (part, value), the branches of a UNION ALL: each part's joins are ordered on
 * their own. As the columns of one row, DuckDB's join-order optimizer planned every part's subquery together, as one
 * cross product: 70 ms of each Recent over 1,000,000 plays, 15 ms as parts. Each value comes as JSON text (to_json),
 * parsed natively, not converted from DuckDB's lists of structs value by value in JavaScript. A TIMESTAMPTZ needs
 * isoSql: to_json writes it as DuckDB prints it.
 */
export function partsSql (parts: Record<string, string>): string {
  return Object.entries(parts).map(([name, expression]) => {
    if (!/^\w+$/.test(name)) throw new Error(`a report part needs a plain name, not ${JSON.stringify(name)}`)
    return `SELECT '${name}' AS part, to_json(${expression}) AS value`
  }).join('\nUNION ALL\n')
}

/** An instant as the answers give it (2026-02-15T12:00:00.000Z), in SQL: for a TIMESTAMPTZ inside a part. */
export const isoSql = (expression: string): string => `strftime(timezone('UTC', ${expression}), '%Y-%m-%dT%H:%M:%S.%gZ')`

/** The parts of a partsSql answer by name, their JSON parsed (a missing or NULL part reads as null). */
export function readParts (rows: JsonRow[]): Record<string, JsonValue> {
  if (rows.length === 0) throw new Error('a report query returned no row')
  const parts: Record<string, JsonValue> = {}
  for (const row of rows) parts[String(row.part)] = row.value === null || row.value === undefined ? null : JSON.parse(String(row.value)) as JsonValue
  return parts
}

/** The one row of a plain query (the overview). */
export function firstRow (rows: JsonRow[]): JsonRow {
  const row = rows[0]
  if (!row) throw new Error('a report query returned no row')
  return row
}

// Reading the parts, whose values are lists of objects, objects and numbers.

export const list = (value: JsonValue | undefined): Array<Record<string, JsonValue>> =>
  Array.isArray(value) ? value as Array<Record<string, JsonValue>> : []

export const struct = (value: JsonValue | undefined): Record<string, JsonValue> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {}

export const num = (value: JsonValue | undefined): number => typeof value === 'number' ? value : Number(value ?? 0)
export const str = (value: JsonValue | undefined): string => String(value ?? '')
export const strOrNull = (value: JsonValue | undefined): string | null => value === null || value === undefined ? null : String(value)
export const numOrNull = (value: JsonValue | undefined): number | null => value === null || value === undefined ? null : Number(value)
