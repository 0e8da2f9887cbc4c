// @ts-check
// Genres: a treemap of plays by primary genre; pick genres (a tile, or by name) to see their top artists.
import { axes, base, chart, chartCard, heading, palette, row } from '../charts.js'
import { fill, h } from '../dom.js'
import { duration, escape, minutesLabel, number, percent } from '../format.js'
import { kpis, rankedBars, viewHead } from './common.js'

const treemapGenres = 40
const minLabelledSide = 70

/** @param {import('../app.js').Context} ctx */
export async function genresView (ctx) {
  const { state, dates } = ctx
  const data = await ctx.api.get('v1/reports/genres', { ...dates, genre: state.genre, limit: 500, artists: 15 }, ctx.signal)
  const p = palette()
  const chosen = new Set(state.genre)
  /** @param {string} genre */
  const toggle = (genre) => ctx.navigate({ genre: chosen.has(genre) ? state.genre.filter((g) => g !== genre) : [...state.genre, genre] })

  // The genre picker: chosen genres as removable chips, a search field over every played genre.
  const listId = 'genre-names'
  const input = /** @type {HTMLInputElement} */ (h('input', { type: 'search', list: listId, placeholder: 'Add a genre…', 'aria-label': 'Add a genre', id: 'genre-input' }))
  const known = new Set(data.genres.map((/** @type {any} */ g) => g.genre))
  input.addEventListener('change', () => {
    const genre = input.value.trim()
    if (genre && known.has(genre) && !chosen.has(genre)) ctx.navigate({ genre: [...state.genre, genre] })
  })
  ctx.filters.append(h('div', { class: 'field' }, h('span', {}, 'Genres'), h('div', { class: 'chips' },
    state.genre.map((genre) => h('button', { type: 'button', class: 'chip on', 'data-genre': genre, title: 'Remove', onclick: () => toggle(genre) },
      genre, h('span', { class: 'x', 'aria-hidden': 'true' }, '×'))),
    input,
    h('datalist', { id: listId }, data.genres.filter((/** @type {any} */ g) => !chosen.has(g.genre)).map((/** @type {any} */ g) => h('option', { value: g.genre }))),
    state.genre.length > 0 ? h('button', { type: 'button', onclick: () => ctx.navigate({ genre: [] }) }, 'Clear') : null)))

  const tiles = data.genres.filter((/** @type {any} */ g) => g.plays > 0).slice(0, treemapGenres)
  const withGenre = data.totals.plays - data.totals.withoutGenre
  const picked = state.genre.length > 0
  const selectionName = picked ? state.genre.join(', ') : 'all genres'
  const map = chartCard({ id: 'treemap', title: 'Plays by genre', hint: `Each play counts once, in its artist's primary genre${tiles.length < data.genres.length ? ` · the ${tiles.length} most played` : ''} · click a genre to pick it`, size: 'two-thirds', height: 'tall', empty: tiles.length === 0 })
  const artists = chartCard({ id: 'genre-artists', title: picked ? 'Top artists in the chosen genres' : 'Top artists', hint: picked ? selectionName : 'Pick genres to narrow this down', size: 'third', height: 'tall', empty: data.topArtists.length === 0 })
  const byYear = chartCard({ id: 'genre-years', title: `${picked ? 'The chosen genres' : 'All plays'} by year`, hint: picked ? `Plays of artists with any of: ${selectionName}` : undefined, height: 'short', empty: data.selection.byYear.length === 0 })

  fill(ctx.main,
    viewHead('Genres', 'MusicBrainz genres first, then Spotify\'s'),
    kpis([
      { id: 'genres', label: 'Genres', value: number(data.totals.genres) },
      { id: 'with-genre', label: 'Plays with a genre', value: percent(withGenre, data.totals.plays), sub: `${number(withGenre)} of ${number(data.totals.plays)}` },
      { id: 'without-genre', label: 'Without a genre', value: number(data.totals.withoutGenre), sub: 'artists not enriched yet, or untagged' },
      { id: 'selection', label: picked ? 'Plays in the chosen genres' : 'Listening time', value: picked ? number(data.selection.plays) : duration(data.totals.minutes), sub: picked ? `${number(data.selection.artists)} artists · ${duration(data.selection.minutes)}` : undefined },
    ]),
    h('div', { class: 'grid' }, map.card, artists.card, byYear.card))

  if (tiles.length > 0) {
    // A label needs about 70 px each way; a tile's side is about the square root of its share of the chart's area
    // (the layout keeps tiles near square). Smaller tiles go without one: their tooltip names them.
    const tilePlays = tiles.reduce((/** @type {number} */ n, /** @type {any} */ g) => n + g.plays, 0)
    const pixelsPerPlay = (map.area.clientWidth * map.area.clientHeight) / Math.max(1, tilePlays)
    const labelled = (/** @type {number} */ plays) => Math.sqrt(plays * pixelsPerPlay) >= minLabelledSide
    const treemap = chart(map.area)
    treemap.setOption({
      ...base(p),
      tooltip: {
        ...base(p).tooltip,
        formatter: (/** @type {any} */ params) => {
          const g = params.data?.genre
          if (!g) return ''
          return heading(g.genre) + row('Plays', number(g.plays)) + row('Share', percent(g.plays, withGenre)) + row('Minutes', minutesLabel(g.minutes)) +
            row('Artists', number(g.artists)) + (g.topArtist ? row('Top artist', g.topArtist) : '') +
            (g.taggedPlays > g.plays ? row('Plays of all artists tagged', number(g.taggedPlays)) : '')
        },
      },
      series: [{
        type: 'treemap',
        roam: false,
        nodeClick: false,
        breadcrumb: { show: false },
        width: '100%',
        height: '100%',
        top: 0,
        left: 0,
        label: {
          show: true,
          position: 'insideTopLeft',
          padding: [6, 8],
          color: '#fff',
          fontSize: 13,
          fontWeight: 600,
          lineHeight: 17,
          overflow: 'truncate',
          formatter: (/** @type {any} */ params) => `${params.name}\n{small|${number(params.value)} plays}`,
          rich: { small: { fontSize: 11.5, fontWeight: 400, lineHeight: 16, color: 'rgba(255,255,255,.85)' } },
        },
        upperLabel: { show: false },
        itemStyle: { borderColor: p.surface, borderWidth: 2, gapWidth: 2, borderRadius: 6 },
        data: tiles.map((/** @type {any} */ g, /** @type {number} */ i) => ({
          name: g.genre,
          value: g.plays,
          genre: g,
          label: { show: labelled(g.plays) },
          itemStyle: {
            color: p.series[i % p.series.length],
            opacity: picked && !chosen.has(g.genre) ? 0.35 : 1,
            borderColor: chosen.has(g.genre) ? p.text : p.surface,
            borderWidth: chosen.has(g.genre) ? 3 : 2,
          },
        })),
      }],
    })
    treemap.on('click', (/** @type {any} */ params) => { if (params.data?.genre) toggle(params.data.genre.genre) })
  }

  if (data.topArtists.length > 0) {
    chart(artists.area).setOption(rankedBars(p, data.topArtists.map((/** @type {any} */ a) => ({
      label: a.name,
      value: a.plays,
      plays: a.plays,
      minutes: a.minutes,
      extra: row('Primary genre', a.primaryGenre) + (a.genres.length > 0 ? `<div style="opacity:.7;margin-top:4px;max-width:260px;white-space:normal">${escape(a.genres.join(', '))}</div>` : ''),
    })), { unit: 'plays', color: p.series[1] }))
  }

  if (data.selection.byYear.length > 0) {
    const a = axes(p)
    const years = data.selection.byYear
    chart(byYear.area).setOption({
      ...base(p),
      grid: { left: 8, right: 10, top: 12, bottom: 4, containLabel: true },
      tooltip: { ...base(p).tooltip, trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: { type: 'category', data: years.map((/** @type {any} */ y) => String(y.year)), ...a.category },
      yAxis: { type: 'value', ...a.value },
      series: [{ type: 'bar', name: 'Plays', data: years.map((/** @type {any} */ y) => y.plays), barMaxWidth: 34, itemStyle: { color: p.series[2], borderRadius: [5, 5, 0, 0] } }],
    })
  }
}
