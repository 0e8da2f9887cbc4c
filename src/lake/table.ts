import { quotedIdentifier as qi } from '@duckdb/node-api'
import { Type, type Static, type TNull, type TObject, type TOptional, type TSchema, type TUnion } from 'typebox'
import { storable, ValueProblem, type Repairs, type ValueKind } from './values.ts'

/**
 * One declaration per row shape: a column's DuckDB type, its TypeBox schema and what the lake accepts in it come from
 * the same builder, so a request body the schema takes is a row the lake can store.
 */
export interface Column<S extends TSchema = TSchema, N extends boolean = boolean> {
  readonly type: string
  readonly description: string
  /** schema of a non-null value */
  readonly value: S
  readonly nullable: N
  readonly kind: ValueKind
}

const int32 = { minimum: -(2 ** 31), maximum: 2 ** 31 - 1 }
const safe = { minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER }

function make<S extends TSchema> (type: string, description: string, value: S, kind: ValueKind): Column<S, true> {
  // The column's description documents the field in every body schema built from it (and so the OpenAPI document).
  return { type, description, value: { ...value, description }, nullable: true, kind }
}

type Bounds = { minimum?: number, maximum?: number }
const within = (limits: { minimum: number, maximum: number }, bounds: Bounds = {}) => ({
  minimum: Math.max(limits.minimum, bounds.minimum ?? limits.minimum),
  maximum: Math.min(limits.maximum, bounds.maximum ?? limits.maximum),
})

/** Column builders; every column is nullable unless wrapped in `required`. */
export const column = {
  varchar: (description: string, options: { minLength?: number, maxLength?: number, pattern?: string, format?: string } = {}) =>
    make('VARCHAR', description, Type.String(options), { kind: 'varchar' }),
  /** A closed set of words, e.g. the play sources. */
  oneOf: <const V extends string[]>(description: string, values: [...V]) =>
    make('VARCHAR', description, Type.Union(values.map((v) => Type.Literal(v))) as TUnion<{ [K in keyof V]: ReturnType<typeof Type.Literal<V[K]>> }>, { kind: 'varchar' }),
  integer: (description: string, bounds?: Bounds) => {
    const limits = within(int32, bounds)
    return make('INTEGER', description, Type.Integer(limits), { kind: 'integer', ...limits })
  },
  bigint: (description: string, bounds?: Bounds) => {
    const limits = within(safe, bounds)
    return make('BIGINT', description, Type.Integer(limits), { kind: 'integer', ...limits })
  },
  double: (description: string, bounds?: Bounds) => make('DOUBLE', description, Type.Number(bounds ?? {}), { kind: 'double' }),
  boolean: (description: string) => make('BOOLEAN', description, Type.Boolean(), { kind: 'boolean' }),
  date: (description: string) => make('DATE', description, Type.String({ format: 'date' }), { kind: 'date' }),
  timestamp: (description: string) => make('TIMESTAMPTZ', description, Type.String({ format: 'date-time' }), { kind: 'timestamp' }),
  varcharList: (description: string, item: { minLength?: number, maxLength?: number, pattern?: string } = {}) =>
    make('VARCHAR[]', description, Type.Array(Type.String(item)), { kind: 'list', of: { kind: 'varchar' } }),
  /** A list of structs, e.g. tags as [{name, count}]. */
  structList: <const F extends Record<string, Column<TSchema, boolean>>>(description: string, fields: F) => {
    const type = `STRUCT(${Object.entries(fields).map(([name, f]) => `${qi(name)} ${f.type}`).join(', ')})[]`
    const properties = Object.fromEntries(Object.entries(fields).map(([name, f]) => [name, schemaOf(f)])) as { [K in keyof F]: SchemaOf<F[K]> }
    const kind: ValueKind = { kind: 'list', of: { kind: 'struct', fields: Object.fromEntries(Object.entries(fields).map(([name, f]) => [name, f.kind])) } }
    return make(type, description, Type.Array(Type.Object(properties)), kind)
  },
}

/** The same column, never null (key columns, names a row cannot do without). */
export function required<S extends TSchema> (col: Column<S, boolean>): Column<S, false> {
  return { ...col, nullable: false }
}

export type SchemaOf<C> = C extends Column<infer S, infer N> ? (N extends true ? TUnion<[S, TNull]> : S) : never

export function schemaOf<C extends Column<TSchema, boolean>> (col: C): SchemaOf<C> {
  return (col.nullable ? Type.Union([col.value, Type.Null()]) : col.value) as SchemaOf<C>
}

export type Columns = Record<string, Column<TSchema, boolean>>
export type RowSchema<Cols extends Columns> = TObject<{ [K in keyof Cols]: SchemaOf<Cols[K]> }>

/** A column as the lake and the table list see it. */
export interface ColumnDef {
  name: string
  type: string
  description: string
  nullable: boolean
  kind: ValueKind
}

export interface TableDef {
  name: string
  description: string
  columns: ColumnDef[]
  /** Columns that identify a row: merges upsert on them, appends skip rows whose key is already stored. */
  key: string[]
  /**
   * Sort order of the parquet file, so readers can skip row groups by min/max. Empty for tables appended in arrival
   * order (sorting a large table on every write costs far more memory than it saves readers).
   */
  orderBy: string[]
}

export interface Table<Cols extends Columns = Columns> extends TableDef {
  /** Every column, null where the row has no value: the shape of a stored row. */
  readonly schema: RowSchema<Cols>
  readonly spec: Cols
}

export type RowOf<T extends Table> = Static<T['schema']>

export function defineTable<const Cols extends Columns> (def: {
  name: string
  description: string
  key: Array<keyof Cols & string>
  orderBy?: Array<keyof Cols & string>
  columns: Cols
}): Table<Cols> {
  for (const k of def.key) {
    if (def.columns[k]?.nullable !== false) throw new Error(`${def.name}: key column ${k} must be declared required`)
  }
  const properties = Object.fromEntries(Object.entries(def.columns).map(([name, c]) => [name, schemaOf(c)]))
  return {
    name: def.name,
    description: def.description,
    key: def.key,
    orderBy: def.orderBy ?? def.key,
    columns: Object.entries(def.columns).map(([name, c]) => ({ name, type: c.type, description: c.description, nullable: c.nullable, kind: c.kind })),
    schema: Type.Object(properties) as RowSchema<Cols>,
    spec: def.columns,
  }
}

type RecordProps<Cols extends Columns, R extends keyof Cols> = {
  [K in keyof Cols]: K extends R ? SchemaOf<Cols[K]> : TOptional<SchemaOf<Cols[K]>>
}

/**
 * The body schema of a write route: the table's columns, `required` ones present, the others optional (the step fills
 * them). `$id` makes it a named schema in the OpenAPI document.
 */
export function recordSchema<Cols extends Columns, const R extends keyof Cols & string> (table: Table<Cols>, options: {
  $id: string
  required: R[]
  description: string
  /** narrower schemas for some columns (a Spotify id pattern, a 0–100 range) */
  narrow?: Partial<{ [K in keyof Cols]: TSchema }>
}): TObject<RecordProps<Cols, R>> & { $id: string } {
  const properties: Record<string, TSchema> = {}
  for (const [name, col] of Object.entries(table.spec)) {
    const narrowed = options.narrow?.[name]
    const schema = narrowed ? (col.nullable ? Type.Union([narrowed, Type.Null()]) : narrowed) : schemaOf(col)
    properties[name] = options.required.includes(name as R) ? schema : Type.Optional(schema)
  }
  return Type.Object(properties, { $id: options.$id, title: options.$id, description: options.description }) as unknown as TObject<RecordProps<Cols, R>> & { $id: string }
}

export class RowProblem extends Error {
  readonly column: string
  readonly problem: string

  constructor (column: string, problem: string) {
    super(`${column} ${problem}`)
    this.column = column
    this.problem = problem
  }
}

/** One column's value as the lake stores it; a RowProblem naming the column when it cannot be stored. */
function storableValue (table: TableDef, col: ColumnDef, row: Record<string, unknown>, repairs: Repairs): unknown {
  let value: unknown
  try {
    value = storable(col.kind, row[col.name], repairs)
  } catch (err) {
    if (err instanceof ValueProblem) throw new RowProblem(col.name, err.message)
    throw err
  }
  if (value !== null && value !== '') return value
  const inKey = table.key.includes(col.name)
  if ((value === null || inKey) && (!col.nullable || inKey)) {
    throw new RowProblem(col.name, `is required${inKey ? `: it is part of the key of ${table.name}` : ''}`)
  }
  return value
}

/**
 * The row as the lake stores it: every column present (null when absent, or left out with `omitNulls`), strings
 * well-formed, integers within the column type, timestamps in one canonical form. Throws RowProblem naming the column when a value cannot be stored.
 */
export function storableRow (table: TableDef, row: Record<string, unknown>, repairs: Repairs, options: { omitNulls?: boolean } = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const col of table.columns) {
    const value = storableValue(table, col, row, repairs)
    // omitNulls: the staging writer leaves nulls out (a missing field reads as NULL).
    if (value !== null || !options.omitNulls) out[col.name] = value
  }
  return out
}

/**
 * The same row as one line of JSON, nulls left out, with `tail` (a `"name":value` pair) last: the text of
 * `JSON.stringify({ ...storableRow(table, row, repairs, { omitNulls: true }), ...tail })`, written value by value. The
 * staging writer's lines: a million imported plays no longer build a second object each.
 */
export function storableJsonLine (table: TableDef, row: Record<string, unknown>, repairs: Repairs, tail: string): string {
  const keys = jsonKeysOf(table)
  let line = '{'
  for (let i = 0; i < table.columns.length; i++) {
    const value = storableValue(table, table.columns[i]!, row, repairs)
    if (value !== null) line += `${keys[i]}${JSON.stringify(value)},`
  }
  return `${line}${tail}}`
}

const jsonKeys = new WeakMap<TableDef, string[]>()
function jsonKeysOf (table: TableDef): string[] {
  let keys = jsonKeys.get(table)
  if (!keys) jsonKeys.set(table, keys = table.columns.map((col) => `${JSON.stringify(col.name)}:`))
  return keys
}

/** Splits rows into those the table can store (as it stores them) and those it cannot, with the reason. */
export function partitionStorable (table: TableDef, rows: readonly Record<string, unknown>[]): {
  storable: Array<Record<string, unknown>>
  rejected: Array<{ index: number, row: Record<string, unknown>, problem: RowProblem }>
  repaired: number
} {
  const repairs = { strings: 0 }
  const storable: Array<Record<string, unknown>> = []
  const rejected: Array<{ index: number, row: Record<string, unknown>, problem: RowProblem }> = []
  rows.forEach((row, index) => {
    try {
      storable.push(storableRow(table, row, repairs))
    } catch (err) {
      if (!(err instanceof RowProblem)) throw err
      rejected.push({ index, row, problem: err })
    }
  })
  return { storable, rejected, repaired: repairs.strings }
}
