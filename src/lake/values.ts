/**
 * What a lake column can store, checked in JavaScript before DuckDB sees it: a value DuckDB would refuse mid-write
 * (a lone surrogate, an integer past the column type, an impossible date) is caught per row, so one bad record can be
 * set aside instead of failing the whole write.
 */
export type ValueKind =
  | { kind: 'varchar' }
  | { kind: 'integer', minimum: number, maximum: number }
  | { kind: 'double' }
  | { kind: 'boolean' }
  | { kind: 'date' }
  | { kind: 'timestamp' }
  | { kind: 'list', of: ValueKind }
  | { kind: 'struct', fields: Record<string, ValueKind> }

export class ValueProblem extends Error {}

/**
 * Shown in messages instead of a whole bad value: a 300 MB string must never be echoed. A list or object too deep for
 * JSON.stringify (100,000 nested arrays in an upload) is named, not converted: String() on it recurses past the stack.
 */
export function preview (value: unknown, max = 40): string {
  let text: string
  if (typeof value === 'string') {
    text = value
  } else if (typeof value === 'object' && value !== null) {
    try {
      text = JSON.stringify(value)
    } catch {
      text = Array.isArray(value) ? '[array]' : '[object]'
    }
  } else {
    text = String(value)
  }
  const cut = text.length > max ? `${text.slice(0, max)}…` : text
  return typeof value === 'string' ? JSON.stringify(cut) : cut
}

const dateTimePattern = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:?\d{2})?$/
const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/

const leap = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
const daysIn = (year: number, month: number): number => [31, leap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!

function validCalendarDate (year: number, month: number, day: number): boolean {
  return year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month)
}

/**
 * Milliseconds since the epoch of an ISO 8601 date-time, parsed strictly: real calendar dates only (no 30 February),
 * hours 0–23, no leap second, years 1–9999, an offset of at most ±18:00. A date-time without an offset is UTC.
 */
export function parseTimestamp (text: string): number | undefined {
  const match = dateTimePattern.exec(text)
  if (!match) return undefined
  const [, y, mo, d, h, mi, s, fraction, zone] = match
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  const hour = Number(h)
  const minute = Number(mi)
  const second = Number(s)
  if (!validCalendarDate(year, month, day) || hour > 23 || minute > 59 || second > 59) return undefined
  let offsetMinutes = 0
  if (zone && zone !== 'Z' && zone !== 'z') {
    const digits = zone.replace(':', '')
    const hours = Number(digits.slice(1, 3))
    const minutes = Number(digits.slice(3, 5))
    if (hours > 18 || minutes > 59) return undefined
    offsetMinutes = (digits[0] === '-' ? -1 : 1) * (hours * 60 + minutes)
  }
  const ms = fraction ? Math.floor(Number(`0.${fraction}`) * 1000) : 0
  const utc = new Date(0)
  utc.setUTCFullYear(year, month - 1, day)
  utc.setUTCHours(hour, minute, second, ms)
  return utc.getTime() - offsetMinutes * 60_000
}

export const isStrictDateTime = (text: string): boolean => parseTimestamp(text) !== undefined

const digitAt = (text: string, i: number): number => text.charCodeAt(i) - 48
const twoDigits = (text: string, i: number): number => {
  const a = digitAt(text, i)
  const b = digitAt(text, i + 1)
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1
}

/**
 * True when `text` is already the canonical form the lake stores (`Date#toISOString()`: YYYY-MM-DDTHH:MM:SS.sssZ) and
 * names a real instant: it is stored as it is. A million imported plays carry three each; parsing them again was a
 * tenth of an import.
 */
export function isCanonicalInstant (text: string): boolean {
  if (text.length !== 24 || text.charCodeAt(23) !== 90 /* Z */) return false
  const c = (i: number): number => text.charCodeAt(i)
  if (c(4) !== 45 || c(7) !== 45 || c(10) !== 84 || c(13) !== 58 || c(16) !== 58 || c(19) !== 46) return false
  const century = twoDigits(text, 0)
  const yy = twoDigits(text, 2)
  const month = twoDigits(text, 5)
  const day = twoDigits(text, 8)
  const hour = twoDigits(text, 11)
  const minute = twoDigits(text, 14)
  const second = twoDigits(text, 17)
  const ms = twoDigits(text, 20)
  const lastDigit = digitAt(text, 22)
  if (century < 0 || yy < 0 || ms < 0 || lastDigit < 0 || lastDigit > 9) return false
  return validCalendarDate(century * 100 + yy, month, day) && hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59
}

export function isStrictDate (text: string): boolean {
  const match = datePattern.exec(text)
  return match !== null && validCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]))
}

/** Counts what a row needed repaired on its way in. */
export interface Repairs {
  /** strings holding lone surrogates, stored with U+FFFD in their place */
  strings: number
}

/** The value as the lake stores it, or a ValueProblem saying why it cannot be stored. */
export function storable (kind: ValueKind, value: unknown, repairs: Repairs): unknown {
  if (value === null || value === undefined) return null
  switch (kind.kind) {
    case 'varchar': {
      if (typeof value !== 'string') throw new ValueProblem(`must be text, got ${typeof value}`)
      if (value.isWellFormed()) return value
      repairs.strings++
      return value.toWellFormed()
    }
    case 'integer': {
      const n = typeof value === 'bigint' ? Number(value) : value
      if (typeof n !== 'number' || !Number.isInteger(n)) throw new ValueProblem(`must be an integer, got ${preview(value)}`)
      if (n < kind.minimum || n > kind.maximum) throw new ValueProblem(`must be from ${kind.minimum} to ${kind.maximum}, got ${preview(n)}`)
      return n
    }
    case 'double':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new ValueProblem(`must be a finite number, got ${preview(value)}`)
      return value
    case 'boolean':
      if (typeof value !== 'boolean') throw new ValueProblem(`must be true or false, got ${preview(value)}`)
      return value
    case 'date':
      if (typeof value !== 'string' || !isStrictDate(value)) throw new ValueProblem(`must be a date YYYY-MM-DD, got ${preview(value)}`)
      return value
    case 'timestamp': {
      if (typeof value === 'string' && isCanonicalInstant(value)) return value
      const ms = value instanceof Date ? value.getTime() : typeof value === 'string' ? parseTimestamp(value) : undefined
      if (ms === undefined || Number.isNaN(ms)) throw new ValueProblem(`must be an ISO 8601 date-time, got ${preview(value)}`)
      const year = new Date(ms).getUTCFullYear()
      if (year < 1 || year > 9999) throw new ValueProblem(`must be within the years 1 to 9999, got ${preview(value)}`)
      return new Date(ms).toISOString()
    }
    case 'list':
      if (!Array.isArray(value)) throw new ValueProblem(`must be a list, got ${preview(value)}`)
      return value.map((item) => storable(kind.of, item, repairs))
    case 'struct': {
      if (typeof value !== 'object' || Array.isArray(value)) throw new ValueProblem(`must be an object, got ${preview(value)}`)
      const out: Record<string, unknown> = {}
      for (const [name, fieldKind] of Object.entries(kind.fields)) {
        try {
          out[name] = storable(fieldKind, (value as Record<string, unknown>)[name], repairs)
        } catch (err) {
          if (err instanceof ValueProblem) throw new ValueProblem(`.${name} ${err.message}`)
          throw err
        }
      }
      return out
    }
  }
}
