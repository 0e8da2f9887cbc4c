// @ts-check
// Listening over time: month by month, by year, month of the year, weekday, hour of day, and the week as a heatmap.
import { axes, base, chart, chartCard, heading, palette, row } from '../charts.js'
import { fill, h } from '../dom.js'
import { day, duration, minutesLabel, month, number } from '../format.js'
import { kpis, placeFilters, segmented, viewHead } from './common.js'

const shortWeekdays = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']
const shortMonths = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** @param {import('../app.js').Context} ctx */
export async function timeView (ctx) {
  const { state, dates } = ctx
  const filter = { ...dates, continent: state.continent, country: state.country }
  const [data, places] = await Promise.all([
    ctx.api.get('v1/reports/time', filter, ctx.signal),
    // The continent and country filters offer what the range has.
    ctx.api.get('v1/reports/places', { ...dates, continent: state.continent, limit: 1 }, ctx.signal),
  ])
  const measure = state.measure
  /** @param {{ plays: number, minutes: number }} b */
  const value = (b) => measure === 'minutes' ? b.minutes : b.plays
  const unit = measure === 'minutes' ? 'Minutes' : 'Plays'
  const p = palette()
  const a = axes(p)
  const empty = data.totals.plays === 0

  ctx.filters.append(
    segmented('Measure', [['plays', 'Plays'], ['minutes', 'Minutes']], measure, (m) => ctx.navigate({ measure: m }), 'measure'),
    ...placeFilters(state, places.options, ctx.navigate))

  const months = chartCard({ id: 'months', title: 'Month by month', hint: `${unit} per calendar month`, empty })
  const years = chartCard({ id: 'years', title: 'By year', size: 'third', empty, height: 'short' })
  const monthsOfYear = chartCard({ id: 'months-of-year', title: 'Month of the year', size: 'third', empty, height: 'short' })
  const weekdays = chartCard({ id: 'weekdays', title: 'Day of the week', size: 'third', empty, height: 'short' })
  const hours = chartCard({ id: 'hours', title: 'Hour of the day', hint: 'Local time, coloured by time of day', size: 'two-thirds', empty })
  const parts = chartCard({ id: 'times-of-day', title: 'Time of day', hint: 'Morning 6–11, afternoon 12–17, evening 18–23, night 0–5', size: 'third', empty })
  const week = chartCard({ id: 'week', title: 'Your week', hint: `${unit} by weekday and hour`, empty, height: 'tall' })

  const t = data.totals
  fill(ctx.main,
    viewHead('Listening over time', t.firstDate ? `${day(t.firstDate)} – ${day(t.lastDate)} · local time (${data.range.timezone})` : 'No plays in this range'),
    kpis([
      { id: 'plays', label: 'Plays', value: number(t.plays) },
      { id: 'minutes', label: 'Listening time', value: duration(t.minutes), sub: t.days > 0 ? `${duration(t.minutes / t.days)} a day when you listen` : undefined },
      { id: 'artists', label: 'Artists', value: number(t.artists) },
      { id: 'tracks', label: 'Tracks', value: number(t.tracks) },
      { id: 'days', label: 'Days with music', value: number(t.days) },
    ]),
    h('div', { class: 'grid' }, months.card, years.card, monthsOfYear.card, weekdays.card, hours.card, parts.card, week.card))
  if (empty) return

  /**
   * @param {Array<{ plays: number, minutes: number }>} items
   * @param {(b: any) => string} label
   */
  const tooltip = (items, label) => ({
    ...base(p).tooltip,
    trigger: /** @type {const} */ ('axis'),
    axisPointer: { type: /** @type {const} */ ('shadow') },
    formatter: (/** @type {any} */ params) => {
      const b = items[params[0]?.dataIndex ?? -1]
      return b ? heading(label(b)) + row('Plays', number(b.plays)) + row('Minutes', minutesLabel(b.minutes)) : ''
    },
  })
  /**
   * @param {Array<{ plays: number, minutes: number }>} items
   * @param {string[]} labels
   * @param {(b: any) => string} label
   * @param {string | ((params: any) => string)} color
   */
  const columns = (items, labels, label, color) => ({
    ...base(p),
    grid: { left: 8, right: 10, top: 12, bottom: 4, containLabel: true },
    tooltip: tooltip(items, label),
    xAxis: { type: /** @type {const} */ ('category'), data: labels, ...a.category },
    yAxis: { type: /** @type {const} */ ('value'), ...a.value },
    series: [{ type: /** @type {const} */ ('bar'), data: items.map(value), barMaxWidth: 34, itemStyle: { color, borderRadius: [5, 5, 0, 0] } }],
  })

  const many = data.byMonth.length > 48
  chart(months.area).setOption({
    ...columns(data.byMonth, data.byMonth.map((/** @type {any} */ m) => month(m.month)), (m) => month(m.month), p.accent),
    grid: { left: 8, right: 10, top: 12, bottom: many ? 46 : 4, containLabel: true },
    dataZoom: many ? [{ type: 'slider', height: 22, bottom: 6, start: Math.max(0, 100 - 4800 / data.byMonth.length), borderColor: p.border, textStyle: { color: p.muted } }, { type: 'inside' }] : [],
  })
  chart(years.area).setOption(columns(data.byYear, data.byYear.map((/** @type {any} */ y) => String(y.year)), (y) => String(y.year), p.series[1]))
  chart(monthsOfYear.area).setOption(columns(data.byMonthOfYear, shortMonths, (m) => m.name, p.series[2]))
  chart(weekdays.area).setOption(columns(data.byWeekday, shortWeekdays, (d) => d.name, p.series[4]))
  chart(hours.area).setOption(columns(data.byHour, data.byHour.map((/** @type {any} */ b) => String(b.hour).padStart(2, '0')),
    (b) => `${String(b.hour).padStart(2, '0')}:00–${String(b.hour).padStart(2, '0')}:59 · ${b.timeOfDay}`,
    (params) => p.timesOfDay[data.byHour[params.dataIndex]?.timeOfDay] ?? p.accent))
  chart(parts.area).setOption({
    ...base(p),
    tooltip: { ...base(p).tooltip, trigger: 'item', formatter: (/** @type {any} */ params) => heading(params.name) + row(unit, number(params.value)) + row('Share', `${params.percent} %`) },
    legend: { bottom: 0, icon: 'circle', itemWidth: 10, itemHeight: 10, textStyle: { color: p.muted } },
    series: [{
      type: 'pie',
      radius: ['42%', '72%'],
      center: ['50%', '44%'],
      itemStyle: { borderColor: p.surface, borderWidth: 3, borderRadius: 6 },
      label: { position: 'inside', color: '#fff', fontWeight: 600, formatter: (/** @type {any} */ params) => params.percent >= 6 ? `${Math.round(params.percent)} %` : '' },
      data: data.byTimeOfDay.map((/** @type {any} */ b) => ({ name: b.timeOfDay, value: value(b), itemStyle: { color: p.timesOfDay[b.timeOfDay] } })),
    }],
  })
  const cells = data.byWeekdayHour.map((/** @type {any} */ c) => [c.hour, c.weekday - 1, value(c)])
  chart(week.area).setOption({
    ...base(p),
    grid: { left: 8, right: 64, top: 8, bottom: 4, containLabel: true },
    tooltip: {
      ...base(p).tooltip,
      formatter: (/** @type {any} */ params) => {
        const [hour, weekday, v] = params.value
        return heading(`${shortWeekdays[weekday]} ${String(hour).padStart(2, '0')}:00`) + row(unit, measure === 'minutes' ? minutesLabel(v) : number(v))
      },
    },
    xAxis: { type: 'category', data: Array.from({ length: 24 }, (_, i) => String(i).padStart(2, '0')), ...a.category, splitArea: { show: false } },
    yAxis: { type: 'category', data: shortWeekdays, inverse: true, ...a.category },
    visualMap: {
      min: 0,
      max: Math.max(1, ...cells.map((/** @type {number[]} */ c) => c[2] ?? 0)),
      orient: 'vertical',
      right: 0,
      top: 'middle',
      itemWidth: 12,
      itemHeight: 150,
      text: ['more', 'less'],
      textStyle: { color: p.muted, fontSize: 11 },
      inRange: { color: [p.grid, p.series[6] ?? p.accent, p.accent] },
    },
    series: [{ type: 'heatmap', data: cells, itemStyle: { borderColor: p.surface, borderWidth: 2, borderRadius: 4 }, emphasis: { itemStyle: { borderColor: p.text } } }],
  })
}
