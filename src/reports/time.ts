import { dateRange, list, num, partsSql, placeFilterSql, placeParams, readParts, round1, str, strOrNull, struct, type WarehouseQuery } from './query.ts'
import type { TimeParams, TimeReport } from './schemas.ts'

/**
 * The chosen plays grouped once by local date and hour (tens of thousands of cells, not a million plays), then by
 * calendar month and by weekday × hour; every other breakdown (years, months of the year, weekdays, hours, times of
 * day) adds those up here. Only the distinct artists and tracks need the plays themselves; they are counted by
 * grouping on the integer key (an array indexed by it: several times faster than count(DISTINCT)).
 */
const timeSql = `
WITH f AS NOT MATERIALIZED (
  SELECT p.date, p.hour, p.minutes, p.artist_key, p.track_key
  FROM rpt_plays p
  WHERE p.date BETWEEN $from AND $to AND ${placeFilterSql('p.artist_key')}
),
cells AS MATERIALIZED (SELECT date, hour, count(*) AS n, coalesce(sum(minutes), 0) AS mi FROM f GROUP BY 1, 2)
${partsSql({
  timezone: '(SELECT timezone FROM meta.build)',
  totals: `(SELECT struct_pack(
      plays := coalesce(sum(n), 0), minutes := coalesce(sum(mi), 0), days := count(DISTINCT date), firstDate := strftime(min(date), '%Y-%m-%d'), lastDate := strftime(max(date), '%Y-%m-%d'))
    FROM cells)`,
  artists: '(SELECT count(*) FROM (SELECT artist_key FROM f GROUP BY ALL))',
  tracks: '(SELECT count(*) FROM (SELECT track_key FROM f GROUP BY ALL))',
  by_month: `(SELECT list(struct_pack(month := strftime(m, '%Y-%m'), plays := n, minutes := mi))
    FROM (SELECT date_trunc('month', date) AS m, sum(n) AS n, sum(mi) AS mi FROM cells GROUP BY 1))`,
  by_weekday_hour: `(SELECT list(struct_pack(weekday := wd, hour := h, plays := n, minutes := mi))
    FROM (SELECT isodow(date) AS wd, hour AS h, sum(n) AS n, sum(mi) AS mi FROM cells GROUP BY 1, 2))`,
})}
`

const monthNames = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']
const weekdayNames = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']
/** dim_time's times of day, in its order. */
const timesOfDay = ['Morning', 'Afternoon', 'Evening', 'Night'] as const
const timeOfDay = (hour: number): typeof timesOfDay[number] => hour < 6 ? 'Night' : hour < 12 ? 'Morning' : hour < 18 ? 'Afternoon' : 'Evening'

interface Sum { plays: number, minutes: number }

function adder<K> (): { add (key: K, plays: number, minutes: number): void, get (key: K): Sum } {
  const sums = new Map<K, Sum>()
  return {
    add (key, plays, minutes) {
      const sum = sums.get(key) ?? { plays: 0, minutes: 0 }
      sum.plays += plays
      sum.minutes += minutes
      sums.set(key, sum)
    },
    get: (key) => {
      const sum = sums.get(key) ?? { plays: 0, minutes: 0 }
      return { plays: sum.plays, minutes: round1(sum.minutes) }
    },
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i)

/** Every calendar month from the first to the last one (YYYY-MM). */
function monthsBetween (first: string, last: string): string[] {
  const index = (m: string): number => Number(m.slice(0, 4)) * 12 + Number(m.slice(5, 7)) - 1
  return range(index(first), index(last)).map((i) => `${String(Math.floor(i / 12)).padStart(4, '0')}-${String(i % 12 + 1).padStart(2, '0')}`)
}

/** Plays and minutes by year, month, weekday and hour of day, in local time. */
export async function timeReport (query: WarehouseQuery, params: TimeParams): Promise<TimeReport> {
  const dates = dateRange(params)
  const row = readParts(await query(timeSql, { ...dates.params, ...placeParams(params) }))
  const totals = struct(row.totals)

  const months = adder<string>()
  const years = adder<number>()
  const monthsOfYear = adder<number>()
  for (const m of list(row.by_month)) {
    const month = str(m.month)
    months.add(month, num(m.plays), num(m.minutes))
    years.add(Number(month.slice(0, 4)), num(m.plays), num(m.minutes))
    monthsOfYear.add(Number(month.slice(5, 7)), num(m.plays), num(m.minutes))
  }
  const cells = adder<string>()
  const weekdays = adder<number>()
  const hours = adder<number>()
  const parts = adder<string>()
  for (const c of list(row.by_weekday_hour)) {
    const weekday = num(c.weekday)
    const hour = num(c.hour)
    cells.add(`${weekday}:${hour}`, num(c.plays), num(c.minutes))
    weekdays.add(weekday, num(c.plays), num(c.minutes))
    hours.add(hour, num(c.plays), num(c.minutes))
    parts.add(timeOfDay(hour), num(c.plays), num(c.minutes))
  }

  const firstDate = strOrNull(totals.firstDate)
  const lastDate = strOrNull(totals.lastDate)
  const calendar = firstDate && lastDate ? monthsBetween(firstDate.slice(0, 7), lastDate.slice(0, 7)) : []
  return {
    range: { from: dates.from, to: dates.to, timezone: str(row.timezone) },
    totals: {
      plays: num(totals.plays),
      minutes: round1(num(totals.minutes)),
      artists: num(row.artists),
      tracks: num(row.tracks),
      days: num(totals.days),
      firstDate,
      lastDate,
    },
    byYear: firstDate && lastDate ? range(Number(firstDate.slice(0, 4)), Number(lastDate.slice(0, 4))).map((year) => ({ year, ...years.get(year) })) : [],
    byMonth: calendar.map((month) => ({ month, ...months.get(month) })),
    byMonthOfYear: range(1, 12).map((month) => ({ month, name: monthNames[month - 1]!, ...monthsOfYear.get(month) })),
    byWeekday: range(1, 7).map((weekday) => ({ weekday, name: weekdayNames[weekday - 1]!, ...weekdays.get(weekday) })),
    byHour: range(0, 23).map((hour) => ({ hour, timeOfDay: timeOfDay(hour), ...hours.get(hour) })),
    byTimeOfDay: timesOfDay.map((part) => ({ timeOfDay: part, ...parts.get(part) })),
    byWeekdayHour: range(1, 7).flatMap((weekday) => range(0, 23).map((hour) => ({ weekday, hour, ...cells.get(`${weekday}:${hour}`) }))),
  }
}
