// @ts-check
// What several views share: the figures at the top, ranked bars, and the continent and country filters.
import { axes, base, heading, row } from '../charts.js'
import { h } from '../dom.js'
import { duration, minutesLabel, number } from '../format.js'

export const continentNames = /** @type {Record<string, string>} */ ({
  AF: 'Africa', AN: 'Antarctica', AS: 'Asia', EU: 'Europe', NA: 'North America', OC: 'Oceania', SA: 'South America',
})

/** @param {Array<{ label: string, value: string, sub?: string, id?: string }>} items */
export function kpis (items) {
  return h('div', { class: 'kpis' }, items.map(({ label, value, sub, id }) =>
    h('div', { class: 'kpi', 'data-kpi': id ?? label },
      h('div', { class: 'label' }, label),
      h('div', { class: 'value' }, value),
      sub ? h('div', { class: 'sub' }, sub) : null)))
}

/** @param {string} title @param {string | Node} [sub] */
export const viewHead = (title, sub) => h('div', { class: 'view-head' }, h('h1', {}, title), sub ? h('p', {}, sub) : null)

/**
 * Horizontal bars, longest on top.
 * @param {import('../charts.js').Palette} p
 * @param {Array<{ label: string, value: number, plays: number, minutes: number, extra?: string }>} items
 * @param {{ color?: string, unit: 'plays' | 'minutes' }} options
 * @returns {import('../charts.js').Option}
 */
export function rankedBars (p, items, { color, unit }) {
  const a = axes(p)
  return {
    ...base(p),
    grid: { left: 14, right: 56, top: 6, bottom: 6, containLabel: true },
    tooltip: {
      ...base(p).tooltip,
      trigger: 'item',
      formatter: (/** @type {any} */ params) => {
        const item = items[params.dataIndex]
        if (!item) return ''
        return heading(item.label) + row('Plays', number(item.plays)) + row('Minutes', minutesLabel(item.minutes)) + (item.extra ?? '')
      },
    },
    xAxis: { type: 'value', ...a.value, splitNumber: 3 },
    yAxis: {
      type: 'category',
      inverse: true,
      data: items.map((i) => i.label),
      ...a.category,
      axisLabel: { ...a.category.axisLabel, width: 150, overflow: 'truncate', color: p.text },
    },
    series: [{
      type: 'bar',
      data: items.map((i) => i.value),
      barMaxWidth: 22,
      itemStyle: { color: color ?? p.accent, borderRadius: [0, 6, 6, 0] },
      label: {
        show: true,
        position: 'right',
        color: p.muted,
        fontSize: 12,
        formatter: (/** @type {any} */ params) => unit === 'minutes' ? duration(params.value) : number(params.value),
      },
    }],
  }
}

/**
 * Continent chips and a country picker (its chosen countries as removable chips).
 * @param {import('../app.js').State} state
 * @param {{ continents: Array<{ code: string, name: string, plays: number }>, countries: Array<{ code: string, name: string, continentCode: string | null, plays: number }> }} options
 * @param {import('../app.js').Context['navigate']} navigate
 */
export function placeFilters (state, options, navigate) {
  const shown = new Map(options.continents.map((c) => [c.code, c.name]))
  for (const code of state.continent) if (!shown.has(code)) shown.set(code, continentNames[code] ?? code)
  const continents = h('div', { class: 'chips', role: 'group', 'aria-label': 'Continents' },
    [...shown].map(([code, name]) => {
      const on = state.continent.includes(code)
      return h('button', {
        type: 'button',
        class: 'chip',
        'aria-pressed': String(on),
        'data-continent': code,
        onclick: () => {
          const continent = on ? state.continent.filter((c) => c !== code) : [...state.continent, code]
          // A country outside the chosen continents could never match: drop it.
          const keep = new Set(options.countries.filter((c) => continent.length === 0 || continent.includes(c.continentCode ?? '')).map((c) => c.code))
          navigate({ continent, country: state.country.filter((c) => continent.length === 0 || keep.has(c)) })
        },
      }, name)
    }))
  const names = new Map(options.countries.map((c) => [c.code, c.name]))
  const picker = h('select', { 'aria-label': 'Add a country', id: 'country-picker' },
    h('option', { value: '' }, options.countries.length > 0 ? '+ Country' : 'No countries'),
    options.countries.filter((c) => !state.country.includes(c.code))
      .map((c) => h('option', { value: c.code }, `${c.name} (${number(c.plays)})`)))
  picker.addEventListener('change', () => {
    const code = /** @type {HTMLSelectElement} */ (picker).value
    if (code) navigate({ country: [...state.country, code] })
  })
  const chosen = state.country.map((code) => h('button', {
    type: 'button',
    class: 'chip on',
    'data-country': code,
    title: 'Remove',
    onclick: () => navigate({ country: state.country.filter((c) => c !== code) }),
  }, names.get(code) ?? code, h('span', { class: 'x', 'aria-hidden': 'true' }, '×')))
  return [
    h('div', { class: 'field' }, h('span', {}, 'Continents'), continents),
    h('div', { class: 'field' }, h('span', {}, 'Countries'), h('div', { class: 'chips' }, chosen, picker)),
  ]
}

/**
 * A segmented switch.
 * @template {string} T
 * @param {string} label
 * @param {Array<[T, string]>} choices
 * @param {T} current
 * @param {(value: T) => void} choose
 * @param {string} id
 */
export function segmented (label, choices, current, choose, id) {
  return h('div', { class: 'field' }, h('span', {}, label), h('div', { class: 'segmented', role: 'group', 'aria-label': label, id },
    choices.map(([value, text]) => h('button', {
      type: 'button',
      'aria-pressed': String(value === current),
      'data-value': value,
      onclick: () => { if (value !== current) choose(value) },
    }, text))))
}
