// @ts-check
// The last 24 hours (or any range): how much, who and what, hour by hour, and the latest plays.
import { axes, base, chart, chartCard, heading, palette, row } from '../charts.js'
import { fill, h } from '../dom.js'
import { day, duration, escape, minutesLabel, month, number } from '../format.js'
import { kpis, rankedBars, viewHead } from './common.js'

const latestRows = 12

/** @param {string} start @param {string} unit */
function bucketLabel (start, unit) {
  if (unit === 'hour') return start.slice(11, 16)
  if (unit === 'month') return month(start)
  return day(start).replace(/ \d{4}$/, '')
}

/** @param {import('../app.js').Context} ctx */
export async function recentView (ctx) {
  // All time is every date from the first play: the API's default without dates is the last 24 hours.
  const allTime = ctx.dates.hours === undefined && !ctx.dates.from && !ctx.dates.to
  const dates = allTime ? { from: ctx.overview.firstDate ?? undefined } : ctx.dates
  const data = await ctx.api.get('v1/reports/recent', { ...dates, limit: 10 }, ctx.signal)
  const p = palette()
  const rolling = data.window.kind === 'rolling'
  const title = rolling ? `The last ${data.window.hours === 24 ? '24 hours' : `${data.window.hours} hours`}` : 'Recent listening'
  const sub = rolling
    ? `Since ${new Date(data.window.start).toLocaleString('en-GB', { timeZone: data.window.timezone, weekday: 'short', hour: '2-digit', minute: '2-digit' })} (${data.window.timezone})`
    : `${data.window.from ? day(data.window.from) : 'the first play'} – ${data.window.to ? day(data.window.to) : 'the last play'}`
  const empty = data.totals.plays === 0

  const timeline = chartCard({ id: 'timeline', title: data.timeline.unit === 'hour' ? 'Hour by hour' : data.timeline.unit === 'day' ? 'Day by day' : 'Month by month', hint: 'Minutes listened', empty: data.timeline.points.length === 0 || empty, height: 'short' })
  const artists = chartCard({ id: 'top-artists', title: 'Top artists', hint: 'By minutes listened', size: 'half', empty })
  const tracks = chartCard({ id: 'top-tracks', title: 'Top tracks', hint: 'By minutes listened', size: 'half', empty })
  const latest = h('section', { class: 'card' },
    h('h2', {}, 'Played last'),
    h('p', { class: 'hint' }, `The last ${data.latest.length === 50 ? 50 : 'plays'} of the range, newest first`),
    empty
      ? h('div', { class: 'empty-chart' }, 'No plays in this range')
      : h('div', { class: 'table-wrap' }, h('table', { id: 'latest' },
        h('thead', {}, h('tr', {}, h('th', {}, 'When'), h('th', {}, 'Track'), h('th', {}, 'Artist'), h('th', { class: 'num' }, 'Minutes'))),
        h('tbody', {}, data.latest.map((/** @type {any} */ play, /** @type {number} */ i) => h('tr', { hidden: i >= latestRows },
          h('td', {}, play.local.slice(rolling ? 11 : 0)),
          h('td', {}, play.track, play.album ? h('span', { class: 'secondary' }, play.album) : null),
          h('td', {}, play.artist),
          h('td', { class: 'num' }, play.minutes === null ? '–' : minutesLabel(play.minutes))))))),
    data.latest.length > latestRows
      ? h('p', { class: 'note' }, h('button', {
        type: 'button',
        onclick: (/** @type {Event} */ event) => {
          const button = /** @type {HTMLElement} */ (event.currentTarget)
          for (const tr of latest.querySelectorAll('tr[hidden]')) tr.removeAttribute('hidden')
          button.remove()
        },
      }, `Show all ${data.latest.length}`))
      : null)

  fill(ctx.main,
    viewHead(title, sub),
    data.newSinceBuild > 0
      ? h('p', { class: 'notice' }, `${number(data.newSinceBuild)} of these plays arrived after the warehouse was built; they are read from the lake and join the rest at the next build.`)
      : null,
    kpis([
      { id: 'minutes', label: 'Listening time', value: duration(data.totals.minutes), sub: `${number(Math.round(data.totals.minutes))} minutes` },
      { id: 'plays', label: 'Plays', value: number(data.totals.plays) },
      { id: 'artists', label: 'Artists', value: number(data.totals.artists) },
      { id: 'tracks', label: 'Tracks', value: number(data.totals.tracks), sub: 'distinct tracks' },
    ]),
    h('div', { class: 'grid' }, timeline.card, artists.card, tracks.card, latest))
  if (empty) return

  const a = axes(p)
  const points = data.timeline.points
  chart(timeline.area).setOption({
    ...base(p),
    grid: { left: 8, right: 12, top: 12, bottom: 4, containLabel: true },
    tooltip: {
      ...base(p).tooltip,
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: (/** @type {any} */ params) => {
        const point = points[params[0]?.dataIndex ?? -1]
        return point ? heading(escape(point.start)) + row('Minutes', minutesLabel(point.minutes)) + row('Plays', number(point.plays)) : ''
      },
    },
    xAxis: { type: 'category', data: points.map((/** @type {any} */ b) => bucketLabel(b.start, data.timeline.unit)), ...a.category },
    yAxis: { type: 'value', ...a.value },
    series: [{ type: 'bar', data: points.map((/** @type {any} */ b) => b.minutes), itemStyle: { color: p.accent, borderRadius: [5, 5, 0, 0] }, barMaxWidth: 28 }],
  })
  chart(artists.area).setOption(rankedBars(p, data.topArtists.map((/** @type {any} */ x) => ({
    label: x.name, value: x.minutes, plays: x.plays, minutes: x.minutes, extra: row('Tracks', number(x.tracks)),
  })), { unit: 'minutes' }))
  chart(tracks.area).setOption(rankedBars(p, data.topTracks.map((/** @type {any} */ x) => ({
    label: `${x.name} · ${x.artist}`, value: x.minutes, plays: x.plays, minutes: x.minutes,
  })), { unit: 'minutes', color: p.series[1] }))
}
