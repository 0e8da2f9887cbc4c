/** 75 → "1 min 15 s", 7300 → "2 h 1 min". */
export function duration (seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`
  const minutes = Math.floor((s % 3600) / 60)
  if (s < 86_400) return `${Math.floor(s / 3600)} h${minutes ? ` ${minutes} min` : ''}`
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`
}

export function bytes (n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KB', 'MB', 'GB', 'TB']
  let value = n / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`
}

export const count = (n: number): string => n.toLocaleString('en-US')

/** "3 h ago", "in 2 d 4 h" */
export function relative (iso: string | null | undefined, now: number): string {
  if (!iso) return ''
  const seconds = (Date.parse(iso) - now) / 1000
  return seconds >= 0 ? `in ${duration(seconds)}` : `${duration(-seconds)} ago`
}

/** A plain text table: columns padded to their widest cell, numbers right-aligned. */
export function table (headers: string[], rows: string[][], options: { right?: number[] } = {}): string {
  const right = new Set(options.right ?? [])
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)))
  const line = (cells: string[]): string => cells
    .map((cell, i) => (right.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
    .join('  ')
    .trimEnd()
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n'
}
