// @ts-check
/* global requestAnimationFrame */
// Where the music comes from: a bubble per city, country or continent sized by plays (by the zoom, or chosen), the
// continent and country filters, and a table of the top places.
import * as echarts from 'echarts'
import { base, chart, chartCard, heading, palette, row } from '../charts.js'
import { fill, h } from '../dom.js'
import { escape, minutesLabel, number, percent } from '../format.js'
import { kpis, placeFilters, segmented, viewHead } from './common.js'

/** @typedef {'city' | 'country' | 'continent'} Level */
/**
 * @typedef {object} Place
 * @property {string} key
 * @property {string} name
 * @property {string} detail
 * @property {number | null} lat
 * @property {number | null} lon
 * @property {number} plays
 * @property {number} minutes
 * @property {number} artists
 * @property {string} topArtist
 * @property {string} [countryCode]
 * @property {string} [continentCode]
 * @property {string} [count]
 */

const tableRows = 15
/** Zoom below which the map shows continents, and from which it shows cities (in between: countries). */
const continentZoom = 1
const cityZoom = 2.6
const initialZoom = 1.2
const bubbleSize = /** @type {Record<Level, number>} */ ({ city: 34, country: 44, continent: 70 })

/** @type {Promise<void> | undefined} */
let worldLoaded

/** The world map, registered once (world-atlas's countries, served by tracklake). */
function loadWorld () {
  worldLoaded ??= fetch('reports/assets/world.json').then((res) => {
    if (!res.ok) throw new Error(`the world map could not be loaded (${res.status})`)
    return res.json()
  }).then((/** @type {any} */ world) => {
    for (const f of world.features) f.properties.key = f.properties.code ?? f.properties.name
    echarts.registerMap('world', world)
  }).catch((err) => {
    worldLoaded = undefined
    throw err
  })
  return worldLoaded
}

/** @param {number} zoom @returns {Level} */
const levelAt = (zoom) => zoom < continentZoom ? 'continent' : zoom < cityZoom ? 'country' : 'city'

/** @param {any} data @returns {Record<Level, Place[]>} */
function placesOf (data) {
  return {
    city: data.cities.map((/** @type {any} */ c) => ({
      key: `${c.countryCode}/${c.state}/${c.name}`,
      name: c.name,
      detail: [c.state, c.country].filter(Boolean).join(', '),
      lat: c.lat,
      lon: c.lon,
      plays: c.plays,
      minutes: c.minutes,
      artists: c.artists,
      topArtist: c.topArtist,
      countryCode: c.countryCode,
      continentCode: c.continentCode,
    })),
    country: data.countries.map((/** @type {any} */ c) => ({
      key: c.code,
      name: c.name,
      detail: c.continent ?? '',
      lat: c.lat,
      lon: c.lon,
      plays: c.plays,
      minutes: c.minutes,
      artists: c.artists,
      topArtist: c.topArtist,
      countryCode: c.code,
      continentCode: c.continentCode,
      count: `${number(c.cities)} ${c.cities === 1 ? 'place' : 'places'}`,
    })),
    continent: data.continents.map((/** @type {any} */ c) => ({
      key: c.code,
      name: c.name,
      detail: '',
      lat: c.lat,
      lon: c.lon,
      plays: c.plays,
      minutes: c.minutes,
      artists: c.artists,
      topArtist: c.topArtist,
      continentCode: c.code,
      count: `${number(c.countries)} ${c.countries === 1 ? 'country' : 'countries'}`,
    })),
  }
}

/** Centre and zoom that frame the given places (the whole world when they are spread out or none). @param {Place[]} places */
function frame (places) {
  const located = places.filter((pl) => pl.lat !== null && pl.lon !== null)
  if (located.length === 0) return { center: undefined, zoom: initialZoom }
  const lats = located.map((pl) => /** @type {number} */ (pl.lat))
  const lons = located.map((pl) => /** @type {number} */ (pl.lon))
  const [south, north, west, east] = [Math.min(...lats), Math.max(...lats), Math.min(...lons), Math.max(...lons)]
  const span = Math.max((east - west) / 360, (north - south) / 140, 0.02)
  const zoom = Math.min(24, Math.max(initialZoom, 0.55 / span))
  return zoom <= initialZoom ? { center: undefined, zoom } : { center: [(west + east) / 2, (south + north) / 2], zoom }
}

/** @param {import('../app.js').Context} ctx */
export async function placesView (ctx) {
  const { state, dates } = ctx
  const [data] = await Promise.all([
    ctx.api.get('v1/reports/places', { ...dates, continent: state.continent, country: state.country, limit: 2000 }, ctx.signal),
    loadWorld(),
  ])
  const p = palette()
  const places = placesOf(data)
  const filtered = state.continent.length > 0 || state.country.length > 0
  const view = filtered ? frame(places.city.length > 0 ? places.city : places.country) : { center: undefined, zoom: initialZoom }
  /** @type {Level} */
  let level = state.level === 'auto' ? levelAt(view.zoom) : state.level

  ctx.filters.append(
    segmented('Bubbles', [['auto', 'By zoom'], ['city', 'Cities'], ['country', 'Countries'], ['continent', 'Continents']], state.level, (l) => ctx.navigate({ level: l }), 'level'),
    ...placeFilters(state, data.options, ctx.navigate))

  const t = data.totals
  const empty = t.withCountry === 0
  const levelNote = h('span', { class: 'badge', id: 'level-note' })
  const map = chartCard({ id: 'map', title: 'Where the music comes from', hint: 'Bubble area ∝ plays; drag to pan, scroll or pinch to zoom', height: 'map', empty, tools: levelNote })
  const tableCard = h('section', { class: 'card', id: 'top-places' })

  fill(ctx.main,
    viewHead('Where the music comes from', 'Where each artist is from (MusicBrainz area, else begin area), geocoded'),
    kpis([
      { id: 'placed', label: 'Plays with a known origin', value: percent(t.withCountry, t.plays), sub: `${number(t.withCountry)} of ${number(t.plays)}` },
      { id: 'continents', label: 'Continents', value: number(data.continents.length) },
      { id: 'countries', label: 'Countries', value: number(data.countries.length) },
      { id: 'cities', label: 'Places', value: number(data.cities.length), sub: 'cities, else the state' },
    ]),
    h('div', { class: 'grid' }, map.card, tableCard),
    !filtered && t.unknownPlace > 0
      ? h('p', { class: 'note' }, `${number(t.unknownPlace)} plays are by artists whose origin is not known (yet): the MusicBrainz and geography stages fill it in.`)
      : null)

  /** @param {Level} shown */
  function drawTable (shown, all = false) {
    const rows = places[shown]
    const heads = { city: ['Place', 'Where'], country: ['Country', 'Continent'], continent: ['Continent', ''] }[shown]
    const more = rows.length > tableRows && !all
      ? h('p', { class: 'note' }, h('button', { type: 'button', onclick: () => drawTable(shown, true) }, `Show all ${number(rows.length)}`))
      : null
    fill(tableCard,
      h('div', { class: 'card-head' }, h('h2', {}, `Top ${shown === 'city' ? 'places' : shown === 'country' ? 'countries' : 'continents'}`)),
      rows.length === 0
        ? h('div', { class: 'empty-chart' }, 'No places in this range')
        : h('div', { class: 'table-wrap' }, h('table', { id: 'places-table', 'data-level': shown },
          h('thead', {}, h('tr', {}, h('th', { class: 'num' }, '#'), h('th', {}, heads[0]), heads[1] ? h('th', {}, heads[1]) : null,
            h('th', { class: 'num' }, 'Plays'), h('th', { class: 'num' }, 'Minutes'), h('th', { class: 'num' }, 'Artists'), h('th', {}, 'Top artist'))),
          h('tbody', {}, (all ? rows : rows.slice(0, tableRows)).map((pl, i) => h('tr', {
            class: shown === 'city' ? '' : 'clickable',
            title: shown === 'country' ? `Show ${pl.name} only` : shown === 'continent' ? `Show ${pl.name} only` : undefined,
            onclick: () => {
              if (shown === 'country' && pl.countryCode && !state.country.includes(pl.countryCode)) ctx.navigate({ country: [...state.country, pl.countryCode] })
              if (shown === 'continent' && pl.continentCode && !state.continent.includes(pl.continentCode)) ctx.navigate({ continent: [...state.continent, pl.continentCode] })
            },
          },
          h('td', { class: 'num' }, String(i + 1)),
          h('td', {}, pl.name, pl.count ? h('span', { class: 'secondary' }, pl.count) : null),
          heads[1] ? h('td', {}, pl.detail) : null,
          h('td', { class: 'num' }, number(pl.plays)),
          h('td', { class: 'num' }, minutesLabel(pl.minutes)),
          h('td', { class: 'num' }, number(pl.artists)),
          h('td', {}, pl.topArtist)))))),
      more)
  }

  drawTable(level)
  if (empty) return

  const played = new Set(places.country.map((c) => c.key))
  const continentOrder = ['EU', 'NA', 'SA', 'AF', 'AS', 'OC', 'AN']
  /** @param {string | undefined} code */
  const continentColour = (code) => p.series[Math.max(0, continentOrder.indexOf(code ?? ''))] ?? p.accent
  /**
   * Names for the most played bubbles, leaving out any too close to one already named at this zoom.
   * @param {Place[]} list @param {number} zoom
   */
  const named = (list, zoom) => {
    /** @type {Place[]} */
    const chosen = []
    for (const pl of list) {
      if (chosen.length >= 8) break
      if (chosen.every((c) => Math.abs(Number(c.lat) - Number(pl.lat)) > 7 / zoom || Math.abs(Number(c.lon) - Number(pl.lon)) > 22 / zoom)) chosen.push(pl)
    }
    return new Set(chosen.map((pl) => pl.key))
  }
  /** @param {Level} shown @param {number} zoom */
  const series = (shown, zoom) => {
    const list = places[shown].filter((pl) => pl.lat !== null && pl.lon !== null)
    const max = Math.max(1, ...list.map((pl) => pl.plays))
    const labelled = named(list, zoom)
    return {
      type: /** @type {const} */ ('scatter'),
      id: 'bubbles',
      coordinateSystem: /** @type {const} */ ('geo'),
      data: list.map((pl) => ({ name: pl.name, value: [pl.lon, pl.lat, pl.plays], place: pl })),
      symbolSize: (/** @type {number[]} */ value) => 5 + Math.sqrt((value[2] ?? 0) / max) * bubbleSize[shown],
      itemStyle: {
        color: (/** @type {any} */ params) => continentColour(params.data?.place?.continentCode),
        opacity: 0.8,
        borderColor: p.surface,
        borderWidth: 1,
      },
      emphasis: { scale: 1.12, itemStyle: { opacity: 0.95 } },
      label: {
        show: true,
        position: /** @type {const} */ ('right'),
        color: p.text,
        fontSize: 11.5,
        formatter: (/** @type {any} */ params) => labelled.has(params.data?.place?.key) ? params.name : '',
      },
      labelLayout: { hideOverlap: true },
    }
  }
  const showLevel = () => {
    levelNote.textContent = `${{ city: 'Cities', country: 'Countries', continent: 'Continents' }[level]}${state.level === 'auto' ? ' at this zoom' : ''}`
  }
  showLevel()

  const instance = chart(map.area)
  instance.setOption({
    ...base(p),
    tooltip: {
      ...base(p).tooltip,
      trigger: 'item',
      formatter: (/** @type {any} */ params) => {
        /** @type {Place | undefined} */
        const pl = params.data?.place
        if (!pl) return ''
        return heading(pl.name) + (pl.detail ? `<div style="opacity:.7;margin:-2px 0 4px">${escape(pl.detail)}</div>` : '') +
          row('Plays', number(pl.plays)) + row('Minutes', minutesLabel(pl.minutes)) + row('Artists', number(pl.artists)) + row('Top artist', pl.topArtist)
      },
    },
    geo: {
      map: 'world',
      nameProperty: 'key',
      roam: true,
      zoom: view.zoom,
      center: view.center,
      scaleLimit: { min: 0.6, max: 60 },
      itemStyle: { areaColor: p.land, borderColor: p.landBorder, borderWidth: 0.6 },
      emphasis: { disabled: true },
      select: { disabled: true },
      tooltip: { show: false },
      regions: [...played].map((code) => ({ name: code, itemStyle: { areaColor: p.landPlayed } })),
    },
    series: [series(level, view.zoom)],
  })

  if (state.level === 'auto') {
    let pending = false
    instance.on('georoam', () => {
      if (pending) return
      pending = true
      requestAnimationFrame(() => {
        pending = false
        if (instance.isDisposed()) return
        const geo = /** @type {any} */ (instance.getOption()).geo?.[0]
        const zoom = Number(geo?.zoom ?? initialZoom)
        const next = levelAt(zoom)
        if (next === level) return
        level = next
        instance.setOption({ series: [series(level, zoom)] })
        showLevel()
        drawTable(level)
      })
    })
  }
}
