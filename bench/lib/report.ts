/** Text tables for the terminal and README, and an SVG bar chart written without any library. */
import type { Row } from './types.js'
import type { Target } from './targets.js'

const SHORT_UNIT: Record<Row['unit'], string> = {
  'verifications/s': '/s',
  'refusals/s': '/s',
  ms: 'ms',
  MB: 'MB',
  'req/s': 'req/s',
}

export function formatValue(value: number, unit: Row['unit']): string {
  if (unit === 'ms') return `${value.toFixed(value < 10 ? 2 : 1)} ms`
  if (unit === 'MB') return `${value.toFixed(1)} MB`
  return `${Math.round(value).toLocaleString('en-US')} ${SHORT_UNIT[unit]}`
}

/** A case's rows as a Markdown table, with each row's ratio to dynamic-guard. */
export function caseTable(rows: readonly Row[]): string {
  const ours = rows.find((r) => r.contender === 'dynamic-guard')
  const lowerIsBetter = rows[0]?.unit === 'ms' || rows[0]?.unit === 'MB'
  const hasLatency = rows.some((r) => r.extra?.p50 !== undefined)
  const hasCpu = rows.some((r) => r.extra?.cpuTotal !== undefined)
  const head = [
    'contender',
    'median',
    ...(hasLatency ? ['p50', 'p99'] : []),
    ...(hasCpu ? ['CPU'] : []),
    'dynamic-guard is',
    'samples',
  ]
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`]
  for (const r of rows) {
    const rel =
      ours && r !== ours && r.value > 0 ? (lowerIsBetter ? r.value / ours.value : ours.value / r.value) : undefined
    const cells = [
      r.contender === 'dynamic-guard' ? `**${r.label}**` : r.label,
      formatValue(r.value, r.unit),
      ...(hasLatency ? [`${r.extra?.p50 ?? '-'} ms`, `${r.extra?.p99 ?? '-'} ms`] : []),
      ...(hasCpu ? [cpuCell(r.extra)] : []),
      rel === undefined ? '' : `${rel.toFixed(2)}×`,
      r.samples.map((s) => (r.unit === 'ms' || r.unit === 'MB' ? s.toFixed(1) : Math.round(s))).join(', '),
    ]
    lines.push(`| ${cells.join(' | ')} |`)
  }
  return lines.join('\n')
}

/** A burst row's CPU: all of it, then the server's main and other threads and the load generator. */
function cpuCell(extra: Row['extra']): string {
  if (extra?.cpuTotal === undefined) return '–'
  return `${extra.cpuTotal} ms (server ${extra.cpuServerMain} + ${extra.cpuServerOther}, load ${extra.cpuLoadGenerator}; busy ${extra.busy}%)`
}

export function targetsTable(targets: readonly Target[]): string {
  const lines = ['| target | measured | goal | |', '|---|---:|---:|---|']
  for (const t of targets) {
    // Enough digits that a miss never reads as the goal itself (0.7996 is not "0.80").
    const digits = !t.met && t.value.toFixed(2) === t.goal.toFixed(2) ? 3 : 2
    const fmt = (v: number): string => (t.op === '<' ? `${v.toFixed(1)} MB` : `${v.toFixed(digits)}×`)
    lines.push(`| ${t.name} | ${fmt(t.value)} | ${t.op} ${fmt(t.goal)} | ${t.met ? 'met' : '**missed**'} |`)
  }
  return lines.join('\n')
}

const escapeXml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** One horizontal bar panel per case; dynamic-guard's bar stands out. */
export function svgChart(panels: ReadonlyArray<{ title: string; rows: readonly Row[] }>, caption: string): string {
  const width = 860
  const labelWidth = 250
  const valueWidth = 120
  const barArea = width - labelWidth - valueWidth - 20
  const barHeight = 16
  const gap = 5
  let y = 40
  const parts: string[] = []
  for (const panel of panels) {
    if (panel.rows.length === 0) continue
    parts.push(`<text x="10" y="${y}" class="title">${escapeXml(panel.title)}</text>`)
    y += 10
    const max = Math.max(...panel.rows.map((r) => r.value)) || 1
    for (const r of panel.rows) {
      const w = Math.max(1, (r.value / max) * barArea)
      const ours = r.contender === 'dynamic-guard'
      parts.push(
        `<text x="${labelWidth - 8}" y="${y + barHeight - 4}" class="label${ours ? ' ours' : ''}" text-anchor="end">${escapeXml(r.label)}</text>`,
        `<rect x="${labelWidth}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" rx="2" class="${ours ? 'bar ours' : r.contender === 'node-crypto' || r.contender === 'unprotected' ? 'bar ref' : 'bar'}"/>`,
        `<text x="${labelWidth + w + 6}" y="${y + barHeight - 4}" class="value">${escapeXml(formatValue(r.value, r.unit))}</text>`,
      )
      y += barHeight + gap
    }
    y += 22
  }
  const height = y + 10
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">`,
    '<style>.title{font-size:14px;font-weight:600;fill:#111}.label{font-size:12px;fill:#333}.label.ours{font-weight:700;fill:#111}.value{font-size:11px;fill:#555}.bar{fill:#9aa5b1}.bar.ours{fill:#4f46e5}.bar.ref{fill:#d2d6dc}.caption{font-size:11px;fill:#666}</style>',
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="18" class="caption">${escapeXml(caption)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n')
}

/** One table for the README: a row per library-level case, a column per contender. */
export function summaryMatrix(
  sections: ReadonlyArray<{ id: string; title: string; rows: readonly Row[] }>,
  caseLabels: Readonly<Record<string, string>>,
): string {
  const chosen = sections.filter((s) => caseLabels[s.id] && s.rows.length > 0)
  const contenders: Array<{ id: string; label: string }> = []
  const isReference = (r: Row): boolean => r.label.endsWith('(same window)')
  for (const s of chosen)
    for (const r of s.rows)
      if (!isReference(r) && !contenders.some((c) => c.id === r.contender))
        contenders.push({ id: r.contender, label: r.label })
  const head = ['', ...contenders.map((c) => (c.id === 'dynamic-guard' ? `**${c.label}**` : c.label))]
  const lines = [`| ${head.join(' | ')} |`, `|---|${contenders.map(() => '---:').join('|')}|`]
  for (const s of chosen) {
    const cells = contenders.map((c) => {
      const row = s.rows.find((r) => r.contender === c.id)
      if (!row) return '–'
      const text = formatValue(row.value, row.unit).replace(' /s', '/s')
      return c.id === 'dynamic-guard' ? `**${text}**` : text
    })
    lines.push(`| ${caseLabels[s.id]} | ${cells.join(' | ')} |`)
  }
  return lines.join('\n')
}

/** The HTTP results as one table: a row per framework. */
export function httpMatrix(sections: ReadonlyArray<{ id: string; rows: readonly Row[] }>): string {
  const http = sections.filter((s) => s.id.startsWith('http-') && s.rows.length > 0)
  if (http.length === 0) return ''
  const cell = (r: Row | undefined): string =>
    r ? `${Math.round(r.value).toLocaleString('en-US')} (p50 ${r.extra?.p50} ms, p99 ${r.extra?.p99} ms)` : '–'
  const lines = [
    '| framework | unprotected | dynamic-guard | ratio | peer middleware | peer |',
    '|---|---:|---:|---:|---|---:|',
  ]
  for (const s of http) {
    const base = s.rows.find((r) => r.contender === 'unprotected')
    const ours = s.rows.find((r) => r.contender === 'dynamic-guard')
    const peer = s.rows.find((r) => r.contender.startsWith('peer-'))
    const ratio = base && ours ? `${(ours.value / base.value).toFixed(2)}×` : '–'
    lines.push(
      `| ${s.id.slice(5)} | ${cell(base)} | ${cell(ours)} | ${ratio} | ${peer?.label ?? '–'} | ${cell(peer)} |`,
    )
  }
  return lines.join('\n')
}

/** The burst case as one table: a row per framework and phase, time until all answered (p99). */
export function burstMatrix(sections: ReadonlyArray<{ id: string; rows: readonly Row[] }>): string {
  const chosen = sections.filter((s) => (s.id.startsWith('burst-') || s.id.startsWith('steady-')) && s.rows.length > 0)
  if (chosen.length === 0) return ''
  const contenders: Array<{ id: string; label: string }> = []
  for (const s of chosen)
    for (const r of s.rows)
      if (!contenders.some((c) => c.id === r.contender)) contenders.push({ id: r.contender, label: r.label })
  const head = ['', ...contenders.map((c) => (c.id === 'dynamic-guard' ? `**${c.label}**` : c.label))]
  const lines = [`| ${head.join(' | ')} |`, `|---|${contenders.map(() => '---:').join('|')}|`]
  for (const s of chosen) {
    const [phase, framework] = s.id.split('-') as [string, string]
    const name = `${framework === 'node' ? 'node:http' : framework}, ${phase === 'burst' ? 'burst of new users' : 'same users again'}`
    const cells = contenders.map((c) => {
      const r = s.rows.find((x) => x.contender === c.id)
      if (!r) return '–'
      const text = `${Math.round(r.value).toLocaleString('en-US')} ms (p99 ${r.extra?.p99 ?? '-'} ms)`
      return c.id === 'dynamic-guard' ? `**${text}**` : text
    })
    lines.push(`| ${name} | ${cells.join(' | ')} |`)
  }
  return lines.join('\n')
}

/**
 * What the burst cost in CPU (Linux): a row per framework, each contender's server CPU (main
 * thread / other threads), the load generator's, and how busy that kept the machine.
 */
export function burstCpuMatrix(sections: ReadonlyArray<{ id: string; rows: readonly Row[] }>): string {
  const chosen = sections.filter(
    (s) => s.id.startsWith('burst-') && s.rows.some((r) => r.extra?.cpuTotal !== undefined),
  )
  if (chosen.length === 0) return ''
  const contenders: Array<{ id: string; label: string }> = []
  for (const s of chosen)
    for (const r of s.rows)
      if (!contenders.some((c) => c.id === r.contender)) contenders.push({ id: r.contender, label: r.label })
  const lines = [
    `| CPU in the burst | ${contenders.map((c) => (c.id === 'dynamic-guard' ? `**${c.label}**` : c.label)).join(' | ')} |`,
    `|---|${contenders.map(() => '---:').join('|')}|`,
  ]
  for (const s of chosen) {
    const framework = s.id.slice('burst-'.length)
    const cells = contenders.map((c) => cpuCell(s.rows.find((r) => r.contender === c.id)?.extra))
    lines.push(`| ${framework === 'node' ? 'node:http' : framework} | ${cells.join(' | ')} |`)
  }
  return [
    ...lines,
    '',
    'Server: its main thread + its other threads. Busy: all the CPU ÷ (cores × the time until all were answered).',
  ].join('\n')
}
