// @ts-check
/* global location, history, addEventListener, Element, MouseEvent, matchMedia */
// The reports page: one view at a time, its filters in the query string (/reports?view=places&continent=EU), so every
// view can be linked, reloaded and navigated back to.
import { ApiError, createApi } from './api.js'
import { disposeCharts } from './charts.js'
import { byId, fill, h } from './dom.js'
import { ago, day, number } from './format.js'
import { dateControls, datesOf, defaultRange } from './range.js'
import { genresView } from './views/genres.js'
import { placesView } from './views/places.js'
import { recentView } from './views/recent.js'
import { timeView } from './views/time.js'

/** @typedef {'recent' | 'time' | 'genres' | 'places'} View */
/**
 * @typedef {object} State
 * @property {View} view
 * @property {string} range a preset (24h, 7d, 30d, 90d, 12m, ytd, last-year, all) or custom (from/to)
 * @property {string} [from]
 * @property {string} [to]
 * @property {'plays' | 'minutes'} measure
 * @property {string[]} continent
 * @property {string[]} country
 * @property {string[]} genre
 * @property {'auto' | 'city' | 'country' | 'continent'} level
 */
/**
 * @typedef {object} Context
 * @property {State} state
 * @property {import('./api.js').Api} api
 * @property {any} overview the answer of GET /v1/reports
 * @property {HTMLElement} main
 * @property {HTMLElement} filters
 * @property {(patch: Partial<State>, options?: { replace?: boolean }) => void} navigate
 * @property {AbortSignal} signal
 * @property {{ from?: string, to?: string, hours?: number }} dates the range as the API takes it
 */

/** @type {Record<View, { title: string, render: (ctx: Context) => Promise<void> }>} */
const views = {
  recent: { title: 'Recent', render: recentView },
  time: { title: 'Over time', render: timeView },
  genres: { title: 'Genres', render: genresView },
  places: { title: 'Map', render: placesView },
}

const levels = ['auto', 'city', 'country', 'continent']

/** @returns {State} */
export function readState () {
  const q = new URLSearchParams(location.search)
  const asked = q.get('view') ?? ''
  const view = /** @type {View} */ (asked in views ? asked : 'recent')
  const from = q.get('from') ?? undefined
  const to = q.get('to') ?? undefined
  const range = from || to ? 'custom' : q.get('range') ?? defaultRange(view)
  return {
    view,
    range: range === '24h' && view !== 'recent' ? 'all' : range,
    from,
    to,
    measure: q.get('measure') === 'minutes' ? 'minutes' : 'plays',
    continent: q.getAll('continent'),
    country: q.getAll('country'),
    genre: q.getAll('genre'),
    level: /** @type {State['level']} */ (levels.includes(q.get('level') ?? '') ? q.get('level') : 'auto'),
  }
}

/** The query string of a state, defaults left out. @param {State} state */
export function search (state) {
  const q = new URLSearchParams()
  q.set('view', state.view)
  if (state.range === 'custom') {
    if (state.from) q.set('from', state.from)
    if (state.to) q.set('to', state.to)
  } else if (state.range !== defaultRange(state.view)) {
    q.set('range', state.range)
  }
  if (state.measure !== 'plays' && state.view === 'time') q.set('measure', state.measure)
  if (state.view === 'time' || state.view === 'places') {
    for (const c of state.continent) q.append('continent', c)
    for (const c of state.country) q.append('country', c)
  }
  if (state.view === 'genres') for (const g of state.genre) q.append('genre', g)
  if (state.view === 'places' && state.level !== 'auto') q.set('level', state.level)
  return `?${q}`
}

const main = byId('view')
const filters = byId('filters')
const built = byId('built')
const api = createApi({ askToken })
/** @type {any} */
let overview
let renders = 0
/** @type {AbortController | undefined} */
let running

/** @param {Partial<State>} patch @param {{ replace?: boolean }} [options] */
function navigate (patch, options = {}) {
  const next = { ...readState(), ...patch }
  const url = `reports${search(next)}`
  if (options.replace) history.replaceState(null, '', url)
  else history.pushState(null, '', url)
  refresh()
}

/** The token dialog: resolves with what the person typed. @param {boolean} refused */
function askToken (refused) {
  const dialog = /** @type {HTMLDialogElement} */ (byId('token-dialog'))
  const form = /** @type {HTMLFormElement} */ (byId('token-form'))
  const input = /** @type {HTMLInputElement} */ (byId('token-input'))
  byId('token-error').hidden = !refused
  input.value = ''
  return new Promise((resolve) => {
    /** @param {SubmitEvent} event */
    const submit = (event) => {
      event.preventDefault()
      if (!input.value.trim()) return
      form.removeEventListener('submit', submit)
      dialog.close()
      resolve(input.value.trim())
    }
    form.addEventListener('submit', submit)
    // The reports cannot go on without it: Escape does not close the dialog.
    dialog.addEventListener('cancel', (event) => event.preventDefault(), { once: true })
    dialog.showModal()
    input.focus()
  })
}

/** Tabs: the current one marked, each linking to its view with the date range carried over. @param {State} state */
function updateTabs (state) {
  for (const link of document.querySelectorAll('a[data-view]')) {
    const view = /** @type {View} */ (link.getAttribute('data-view'))
    const keep = state.range === 'custom' || (state.range !== defaultRange(state.view) && !(state.range === '24h' && view !== 'recent'))
    const target = { ...state, view, range: keep ? state.range : defaultRange(view), continent: [], country: [], genre: [], level: /** @type {const} */ ('auto') }
    link.setAttribute('href', `reports${search(target)}`)
    if (link.classList.contains('brand')) continue
    if (view === state.view) link.setAttribute('aria-current', 'page')
    else link.removeAttribute('aria-current')
  }
}

function showBuilt () {
  if (!overview?.built) {
    built.textContent = ''
    return
  }
  built.replaceChildren(
    h('span', { title: overview.builtAt }, `Warehouse built ${ago(overview.builtAt)}`),
    ` · ${number(overview.plays)} plays`,
    overview.firstDate ? ` from ${day(overview.firstDate)}` : '',
    h('br'),
    `Times in ${overview.timezone}`)
}

/** The friendly page for a missing or empty warehouse: what to do, and a button that does it. */
function noWarehouse () {
  const lakePlays = overview?.lakePlays ?? 0
  const status = h('p', { class: 'status' })
  const button = h('button', { class: 'primary', type: 'button' }, overview?.built ? 'Build it again now' : 'Build the warehouse now')
  button.addEventListener('click', async () => {
    button.setAttribute('disabled', '')
    status.className = 'status'
    status.textContent = 'Building… a few seconds for a small lake, about half a minute for a million plays.'
    try {
      await api.post('v1/warehouse/build', {})
      overview = undefined
      await render()
    } catch (err) {
      status.className = 'status error'
      status.textContent = err instanceof Error ? err.message : String(err)
      button.removeAttribute('disabled')
    }
  })
  const emptyLake = lakePlays === 0
  fill(main, h('div', { class: 'state', id: 'no-warehouse' },
    h('h1', {}, emptyLake ? 'No plays yet' : overview?.built ? 'The warehouse has no plays yet' : 'No warehouse yet'),
    emptyLake
      ? h('p', {}, 'The reports show your listening history once it is in the lake. Import your Spotify export, or let the service poll Spotify and ListenBrainz, then build the warehouse.')
      : h('p', {}, `Your lake holds ${number(lakePlays)} plays. The reports read the warehouse, a star schema built from the lake, `,
        overview?.built ? 'which was built before they arrived.' : 'which has not been built yet.'),
    h('pre', {}, h('code', {}, emptyLake
      ? 'curl -X POST localhost:8080/v1/ingest/streaming-history \\\n  -H \'content-type: application/zip\' --data-binary @my_spotify_data.zip\ncurl -X POST localhost:8080/v1/warehouse/build'
      : 'curl -X POST localhost:8080/v1/warehouse/build\n# or: npx tracklake run warehouse-build')),
    h('p', {}, 'The Daily ETL (n8n, or ', h('code', {}, 'tracklake run daily'), ') rebuilds it every day. With ', h('code', {}, 'TRACKLAKE_API_TOKEN'), ' set, add ', h('code', {}, '-H \'authorization: Bearer …\''), ' to curl.'),
    emptyLake ? null : h('div', { class: 'actions' }, button),
    status))
}

/** @param {unknown} err @param {() => void} retry */
function failed (err, retry) {
  const message = err instanceof Error ? err.message : String(err)
  fill(main, h('div', { class: 'state' },
    h('h1', {}, 'The report could not be read'),
    h('p', { class: 'error' }, message),
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: retry }, 'Try again'))))
}

function refresh () {
  render().catch((err) => console.error(err))
}

async function render () {
  const id = ++renders
  running?.abort()
  const controller = new AbortController()
  running = controller
  const state = readState()
  main.setAttribute('aria-busy', 'true')
  updateTabs(state)
  document.title = `${views[state.view].title} · tracklake`
  disposeCharts()
  try {
    overview ??= await api.get('v1/reports')
    if (id !== renders) return
    showBuilt()
    if (!overview.built || overview.plays === 0) {
      fill(filters)
      noWarehouse()
      return
    }
    fill(filters, dateControls(state, overview, navigate))
    fill(main, h('div', { class: 'loading' }, 'Loading…'))
    const dates = datesOf(state, overview.timezone)
    await views[state.view].render({ state, api, overview, main, filters, navigate, signal: controller.signal, dates })
  } catch (err) {
    if (id !== renders || controller.signal.aborted) return
    if (err instanceof ApiError && err.code === 'WAREHOUSE_NOT_BUILT') {
      overview = { built: false, lakePlays: overview?.lakePlays ?? 0 }
      noWarehouse()
      return
    }
    failed(err, refresh)
  } finally {
    if (id === renders) main.setAttribute('aria-busy', 'false')
  }
}

addEventListener('popstate', refresh)
// Links inside the page (tabs, brand) change the view without reloading it.
document.addEventListener('click', (event) => {
  const link = /** @type {Element | null} */ (event.target instanceof Element ? event.target.closest('a[data-view]') : null)
  if (!link || !(event instanceof MouseEvent) || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return
  event.preventDefault()
  history.pushState(null, '', link.getAttribute('href') ?? 'reports')
  refresh()
})
// Charts take their colours from the stylesheet: draw again when the colour scheme changes.
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', refresh)

refresh()
