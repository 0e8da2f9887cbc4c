import { unknownTimezone } from '../config.ts'
import type { JsonRow, SqlParams } from './rows.ts'

/**
 * The zone as DuckDB names it (`europe/berlin` is `Europe/Berlin`): the warehouse and the reports convert times with
 * DuckDB's time zone data, so its list decides. A zone it does not know is a configuration error.
 */
export async function engineTimezone (query: (sql: string, params?: SqlParams) => Promise<JsonRow[]>, name: string): Promise<string> {
  const [row] = await query('SELECT name FROM pg_timezone_names() WHERE lower(name) = lower($name) ORDER BY name = $name DESC LIMIT 1', { name })
  if (typeof row?.name !== 'string') throw unknownTimezone(name)
  return row.name
}
