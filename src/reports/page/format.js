// @ts-check
// Numbers, durations and dates as the page shows them.

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
const oneDecimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 })
const compactFormat = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 })

/** @param {number} n */
export const number = (n) => integer.format(n)

/** @param {number} n */
export const compact = (n) => (Math.abs(n) < 10_000 ? integer.format(n) : compactFormat.format(n))

/** @param {number} minutes */
export function duration (minutes) {
  if (minutes < 1) return `${Math.round(minutes * 60)} s`
  if (minutes < 60) return `${oneDecimal.format(minutes)} min`
  if (minutes < 48 * 60) {
    const h = Math.floor(minutes / 60)
    const m = Math.round(minutes - h * 60)
    return m === 0 ? `${h} h` : `${h} h ${m} min`
  }
  return `${integer.format(minutes / 60)} h`
}

/** Minutes on an axis or in a tooltip. @param {number} minutes */
export const minutesLabel = (minutes) => `${oneDecimal.format(minutes)} min`

/** @param {number} part @param {number} whole */
export const percent = (part, whole) => (whole > 0 ? `${oneDecimal.format(part / whole * 100)} %` : '–')

/** "3 hours ago" for an ISO instant. @param {string} iso @param {number} [now] */
export function ago (iso, now = Date.now()) {
  const seconds = Math.round((now - Date.parse(iso)) / 1000)
  const units = /** @type {const} */ ([['day', 86_400], ['hour', 3600], ['minute', 60]])
  const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' })
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return rtf.format(-Math.round(seconds / size), unit)
  }
  return 'just now'
}

/** "15 Feb 2026" for YYYY-MM-DD. @param {string} date */
export function day (date) {
  const d = new Date(`${date}T00:00:00Z`)
  return d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' })
}

/** "Feb 2026" for YYYY-MM. @param {string} month */
export function month (month) {
  const d = new Date(`${month}-01T00:00:00Z`)
  return d.toLocaleDateString('en-GB', { month: 'short', year: 'numeric', timeZone: 'UTC' })
}

/** Escapes text for the HTML of chart tooltips. @param {unknown} text */
export function escape (text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c)
}
