// @ts-check
// The date range of every view: presets relative to today in the warehouse's time zone (a link to "last 30 days"
// stays the last 30 days), or fixed dates.
import { h } from './dom.js'

const presets = /** @type {const} */ ([
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
  ['30d', 'Last 30 days'],
  ['90d', 'Last 90 days'],
  ['12m', 'Last 12 months'],
  ['ytd', 'This year'],
  ['last-year', 'Last year'],
  ['all', 'All time'],
  ['custom', 'Dates…'],
])

/** @param {string} view */
export const defaultRange = (view) => (view === 'recent' ? '24h' : 'all')

/** Today's date where the warehouse is. @param {string} timezone */
export function today (timezone) {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date())
  } catch {
    return new Date().toISOString().slice(0, 10)
  }
}

/** @param {string} date @param {number} days */
function addDays (date, days) {
  const d = new Date(`${date}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + days)
  return d.toISOString().slice(0, 10)
}

/**
 * The range as the API takes it: hours for the rolling 24 hours, from/to otherwise (none for all time).
 * @param {{ range: string, from?: string, to?: string }} state
 * @param {string} timezone
 * @returns {{ from?: string, to?: string, hours?: number }}
 */
export function datesOf (state, timezone) {
  const now = today(timezone)
  const year = Number(now.slice(0, 4))
  switch (state.range) {
    case 'custom': return { from: state.from, to: state.to }
    case '24h': return { hours: 24 }
    case '7d': return { from: addDays(now, -6), to: now }
    case '30d': return { from: addDays(now, -29), to: now }
    case '90d': return { from: addDays(now, -89), to: now }
    case '12m': return { from: addDays(`${year - 1}${now.slice(4)}`, 1), to: now }
    case 'ytd': return { from: `${year}-01-01`, to: now }
    case 'last-year': return { from: `${year - 1}-01-01`, to: `${year - 1}-12-31` }
    default: return {}
  }
}

/**
 * The range picker: a preset, or two dates (editing a date makes the range custom).
 * @param {import('./app.js').State} state
 * @param {{ timezone: string, firstDate: string | null, lastDate: string | null }} overview
 * @param {import('./app.js').Context['navigate']} navigate
 */
export function dateControls (state, overview, navigate) {
  const dates = datesOf(state, overview.timezone)
  const select = h('select', { 'aria-label': 'Date range', id: 'range' },
    presets.filter(([value]) => value !== '24h' || state.view === 'recent')
      .map(([value, label]) => h('option', { value, selected: value === state.range }, label)))
  const from = /** @type {HTMLInputElement} */ (h('input', { type: 'date', 'aria-label': 'From', id: 'from', value: dates.from ?? '', min: overview.firstDate ?? undefined }))
  const to = /** @type {HTMLInputElement} */ (h('input', { type: 'date', 'aria-label': 'To', id: 'to', value: dates.to ?? '', min: overview.firstDate ?? undefined }))

  select.addEventListener('change', () => {
    const range = /** @type {HTMLSelectElement} */ (select).value
    if (range === 'custom') navigate({ range, from: dates.from ?? overview.firstDate ?? undefined, to: dates.to ?? overview.lastDate ?? undefined })
    else navigate({ range, from: undefined, to: undefined })
  })
  if (state.range !== 'custom') {
    // A preset shows the dates it stands for; choosing "Dates…" makes them editable.
    const span = dates.from ? `${short(dates.from)} – ${short(dates.to ?? '')}` : dates.hours ? 'up to now' : overview.firstDate ? `${short(overview.firstDate)} – ${short(overview.lastDate ?? '')}` : ''
    return h('div', { class: 'field' }, h('span', {}, 'Dates'), select, h('span', { class: 'span', id: 'range-dates' }, span))
  }
  const custom = () => {
    let [a, b] = [from.value || undefined, to.value || undefined]
    if (a && b && a > b) [a, b] = [b, a]
    navigate({ range: 'custom', from: a, to: b })
  }
  from.addEventListener('change', custom)
  to.addEventListener('change', custom)
  return h('div', { class: 'field' }, h('span', {}, 'Dates'), select, from, h('span', { 'aria-hidden': 'true' }, '–'), to)
}

/** "9 Feb 2026" @param {string} date */
function short (date) {
  return date ? new Date(`${date}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }) : ''
}
