/** Human forms of times and durations for the CLI's output. */

/** `2h 5m`, `45s`, `3d 2h`: a short duration from seconds. */
export function duration(seconds: number): string {
  const s = Math.round(Math.abs(seconds))
  const units: Array<[string, number]> = [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ]
  const parts: string[] = []
  let rest = s
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size)
    if (count > 0) parts.push(`${count}${unit}`)
    rest -= count * size
    if (parts.length === 2) break
  }
  return parts.length ? parts.join(' ') : '0s'
}

/** `2026-11-25 21:40:00 UTC (in 1h 59m)` for a NumericDate, or a note when it is not one. */
export function humanTime(value: unknown, nowSeconds: number): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${JSON.stringify(value)} (not a NumericDate)`
  const date = new Date(value * 1000)
  if (Number.isNaN(date.getTime())) return `${value} (out of range)`
  const when = date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, ' UTC')
  const delta = value - nowSeconds
  return `${when} (${delta >= 0 ? `in ${duration(delta)}` : `${duration(delta)} ago`})`
}

/** Pads the first column of rows so values line up. */
export function table(rows: Array<[string, string]>, indent = '  '): string {
  const width = Math.max(...rows.map(([label]) => label.length))
  return rows.map(([label, value]) => `${indent}${label.padEnd(width)}  ${value}`).join('\n')
}
