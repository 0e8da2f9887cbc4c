// @ts-check
/* global ResizeObserver, getComputedStyle, matchMedia */
// ECharts instances of the current view, with colours from the stylesheet (light or dark).
import * as echarts from 'echarts'
import { h } from './dom.js'
import { compact, escape } from './format.js'

/** @typedef {import('echarts').ECharts} ECharts */
/** @typedef {import('echarts').EChartsOption} Option */

/** @type {Set<ECharts>} */
const live = new Set()
const resizer = new ResizeObserver((entries) => {
  for (const entry of entries) echarts.getInstanceByDom(/** @type {HTMLElement} */ (entry.target))?.resize()
})

/** @param {string} name */
const cssVar = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim()

/** The stylesheet's colours, read when a view is drawn (they change with the colour scheme). */
export function palette () {
  return {
    text: cssVar('--text'),
    muted: cssVar('--muted'),
    faint: cssVar('--faint'),
    grid: cssVar('--grid'),
    border: cssVar('--border'),
    surface: cssVar('--surface'),
    accent: cssVar('--accent'),
    land: cssVar('--land'),
    landPlayed: cssVar('--land-played'),
    landBorder: cssVar('--land-border'),
    series: [1, 2, 3, 4, 5, 6, 7, 8].map((i) => cssVar(`--series-${i}`)),
    timesOfDay: /** @type {Record<string, string>} */ ({
      Morning: cssVar('--morning'), Afternoon: cssVar('--afternoon'), Evening: cssVar('--evening'), Night: cssVar('--night'),
    }),
  }
}

/** @typedef {ReturnType<typeof palette>} Palette */

/**
 * A chart in `el`, resized with it, disposed with the view.
 * @param {HTMLElement} el
 */
export function chart (el) {
  const instance = echarts.init(el, null, { renderer: 'canvas' })
  live.add(instance)
  resizer.observe(el)
  return instance
}

export function disposeCharts () {
  for (const instance of live) {
    resizer.unobserve(instance.getDom())
    instance.dispose()
  }
  live.clear()
}

/** What every chart shares: transparent background, the page's font and colours. @param {Palette} p @returns {Option} */
export function base (p) {
  return {
    backgroundColor: 'transparent',
    color: p.series,
    textStyle: { color: p.text, fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif' },
    // Asked for less motion (a setting of the system, or a test that screenshots): charts appear drawn.
    animation: !matchMedia('(prefers-reduced-motion: reduce)').matches,
    animationDuration: 450,
    tooltip: {
      backgroundColor: p.surface,
      borderColor: p.border,
      textStyle: { color: p.text, fontSize: 13 },
      extraCssText: 'border-radius: 10px; box-shadow: 0 6px 24px rgba(0,0,0,.18);',
    },
  }
}

/** @param {Palette} p */
export function axes (p) {
  const axisLabel = { color: p.muted, fontSize: 12 }
  return {
    category: { axisLine: { lineStyle: { color: p.border } }, axisTick: { show: false }, axisLabel },
    value: { splitLine: { lineStyle: { color: p.grid } }, axisLabel: { ...axisLabel, formatter: (/** @type {number} */ v) => compact(v) } },
  }
}

/** A card with a title, an optional hint and a chart area; `draw` gets the chart once the card is in the page. */
/**
 * @param {{ title: string, hint?: string, size?: string, height?: string, id: string, empty?: boolean, tools?: HTMLElement }} spec
 */
export function chartCard ({ title, hint, size = '', height = '', id, empty = false, tools }) {
  const area = h('div', { class: `chart ${height}`, id: `chart-${id}`, 'data-chart': id })
  if (empty) area.replaceChildren(h('div', { class: 'empty-chart' }, 'No plays in this range'))
  const card = h('section', { class: `card ${size}` },
    h('div', { class: 'card-head' }, h('h2', {}, title), tools),
    hint ? h('p', { class: 'hint' }, hint) : null,
    area)
  return { card, area }
}

/** A tooltip row. @param {string} label @param {string | number} value */
export const row = (label, value) => `<div style="display:flex;justify-content:space-between;gap:18px"><span style="opacity:.7">${escape(label)}</span><b>${escape(value)}</b></div>`

/** A tooltip title. @param {string} text */
export const heading = (text) => `<div style="font-weight:700;margin-bottom:4px">${escape(text)}</div>`
