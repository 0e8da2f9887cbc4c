import { createHash } from 'node:crypto'
import { column as c, defineTable, required, type RowOf } from './table.ts'
import type { RejectedRow } from './staging-writer.ts'
import { preview } from './values.ts'

/** A record is kept at most this long (as JSON text): enough to see what was wrong, never a runaway value. */
const maxRecordChars = 4000

export const quarantine = defineTable({
  name: 'quarantine',
  description: 'Records from an upstream or an import that the lake could not store, set aside with the reason; the good records of the same call were written.',
  key: ['record_id'],
  columns: {
    record_id: required(c.varchar('hash of the table and the record: the same bad record is kept once')),
    table_name: required(c.varchar('the table the record was meant for')),
    source: c.varchar('where it came from, e.g. spotify-export:Streaming_History_Audio_2023.json[17]'),
    column_name: c.varchar('the column whose value could not be stored'),
    reason: required(c.varchar('why it could not be stored')),
    record: c.varchar('the record as JSON, long values cut short'),
    quarantined_at: required(c.timestamp('when it was set aside')),
  },
})

export type QuarantineRow = RowOf<typeof quarantine>

/** Long strings in a record are cut to a preview, so a hostile 300 MB value costs a few bytes here. */
function shorten (value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.length > 200 ? `${value.slice(0, 200)}…` : value.toWellFormed()
  if (Array.isArray(value)) return depth > 3 ? preview(value) : value.slice(0, 20).map((v) => shorten(v, depth + 1))
  if (value && typeof value === 'object') {
    return depth > 3 ? preview(value) : Object.fromEntries(Object.entries(value).slice(0, 60).map(([k, v]) => [k.slice(0, 100), shorten(v, depth + 1)]))
  }
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value
}

export function quarantineRow (tableName: string, source: string, rejected: RejectedRow, at: string): QuarantineRow {
  const text = JSON.stringify(shorten(rejected.row)) ?? 'null'
  const record = text.length > maxRecordChars ? `${text.slice(0, maxRecordChars)}…` : text
  return {
    record_id: createHash('sha256').update(`${tableName}\u0001${record}`).digest('hex').slice(0, 32),
    table_name: tableName,
    source,
    column_name: rejected.problem.column,
    reason: `${rejected.problem.column} ${rejected.problem.problem}`,
    record,
    quarantined_at: at,
  }
}
