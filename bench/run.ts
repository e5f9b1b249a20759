/**
 * `npm run bench`: dynamic-guard side by side with the libraries a Dynamic customer would
 * otherwise use, in one run on one machine. Prints a progress line per case, then the tables and
 * the targets as ratios; writes bench/results/latest.json, latest.md and chart.svg.
 *
 *   npm run bench                      # everything (about 3-4 minutes)
 *   npm run bench -- --only=cold,warm  # some cases
 *   npm run bench -- --quick           # shorter loops, for a quick look (noisier)
 *   npm run bench -- --update-readme   # also rewrite the README's benchmarks section
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { CASES } from './cases/index.js'
import { createBenchContext } from './lib/context.js'
import {
  burstCpuMatrix,
  burstMatrix,
  caseTable,
  httpMatrix,
  summaryMatrix,
  svgChart,
  targetsTable,
} from './lib/report.js'
import { evaluateTargets, explainMiss } from './lib/targets.js'
import type { Row } from './lib/types.js'

const args = process.argv.slice(2)
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',')
const quick = args.includes('--quick')
const updateReadme = args.includes('--update-readme')
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url))

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  availableParallelism: availableParallelism(),
  memoryGB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
  loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
  date: new Date().toISOString(),
}

/** The 1-minute load average at the start of each case: the machine is shared, so say how noisy it was. */
const loadDuringRun: Array<{ case: string; load1: number }> = []
const started = performance.now()
const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(0).padStart(4)}s`
let currentCase = ''
const progress = (message: string): void => console.log(`[${elapsed()}] ${currentCase}: ${message}`)

const rows: Row[] = []
const { ctx, fixtures } = createBenchContext({
  reps: 3,
  loopMs: quick ? 150 : 400,
  progress: (message) => progress(message),
  rows,
})

console.log(
  `dynamic-guard bench — ${machine.cpu}, ${machine.cores} cores (this machine has ${machine.cores}), Node ${machine.node}, ` +
    `load average ${machine.loadAverageAtStart.join(' ')} at start${quick ? ' — QUICK mode' : ''}`,
)
const sections: Array<{ id: string; title: string; rows: Row[]; notes: readonly string[] }> = []
/** The headline cases, which also run on Node 24 (case headline-node24): their titles name the Node. */
const HEADLINE_HERE = { cold: true, inflight64: true }
for (const benchCase of CASES) {
  if (only && !only.includes(benchCase.id)) continue
  currentCase = benchCase.id
  const load = Math.round(loadavg()[0]! * 100) / 100
  loadDuringRun.push({ case: benchCase.id, load1: load })
  progress(`start (load average ${load}) — ${benchCase.title}`)
  try {
    const result = await benchCase.run(ctx)
    rows.push(...result.rows)
    if (result.sections) {
      sections.push({ id: benchCase.id, title: benchCase.title, rows: [], notes: result.notes ?? [] })
      for (const s of result.sections) sections.push({ id: s.id, title: s.title, rows: [...s.rows], notes: [] })
    } else
      sections.push({
        id: benchCase.id,
        title: benchCase.id in HEADLINE_HERE ? `${benchCase.title}, on Node ${process.versions.node}` : benchCase.title,
        rows: [...result.rows],
        notes: result.notes ?? [],
      })
    const ours = result.rows.find((r) => r.contender === 'dynamic-guard')
    progress(`done${ours ? ` — dynamic-guard ${Math.round(ours.value)} ${ours.unit}` : ''}`)
  } catch (error) {
    progress(`FAILED: ${(error as Error).stack ?? String(error)}`)
    sections.push({
      id: benchCase.id,
      title: benchCase.title,
      rows: [],
      notes: [`Failed: ${(error as Error).message}`],
    })
  }
}
currentCase = 'bench'
for (const fixture of fixtures.values()) await fixture.then((fx) => fx.close())

const targets = evaluateTargets(rows)
const machineLine =
  `${machine.cpu}, ${machine.cores} cores (availableParallelism ${machine.availableParallelism}), ${machine.memoryGB} GB, ` +
  `${machine.platform}, Node ${machine.node}, UV_THREADPOOL_SIZE ${machine.uvThreadpoolSize}, load average at start ${machine.loadAverageAtStart.join(' ')}`
const missed = targets.filter((t) => !t.met)
const loads = loadDuringRun.map((l) => l.load1)
const loadLine = loads.length
  ? `load average (1 min) at the start of each case between ${Math.min(...loads)} and ${Math.max(...loads)} on ${machine.cores} cores`
  : ''
const busy = Math.max(machine.loadAverageAtStart[0]!, ...loads) > machine.cores * 0.5
const busyNote = busy
  ? `The machine was busy during this run (${loadLine}): figures are noisy, compare ratios within the run, and re-run on a quiet machine for figures to quote.\n`
  : ''
const markdown = [
  `Measured ${machine.date.slice(0, 16).replace('T', ' ')} UTC on ${machineLine}; ${loadLine}. Medians of ${ctx.reps} repetitions${quick ? ' (quick mode)' : ''}.`,
  '',
  ...sections.flatMap((s) => [
    `#### ${s.title}`,
    '',
    ...(s.rows.length ? [caseTable(s.rows), ''] : []),
    ...s.notes.map((n) => `${n}\n`),
  ]),
  '#### Targets (ratios within this run)',
  '',
  busyNote,
  targetsTable(targets),
  '',
  ...(missed.length
    ? ['#### Closing notes on missed targets', '', ...missed.map((t) => `- ${explainMiss(t, rows)}`), '']
    : []),
].join('\n')

console.log(`\n${markdown}`)
mkdirSync(RESULTS, { recursive: true })
writeFileSync(
  `${RESULTS}latest.json`,
  `${JSON.stringify({ machine: { ...machine, loadDuringRun }, quick, reps: ctx.reps, loopMs: ctx.loopMs, sections, targets }, null, 2)}\n`,
)
writeFileSync(`${RESULTS}latest.md`, markdown)
const chartPanels = [
  ['cold', 'RSA-4096, cold verify, one at a time (higher is better)'],
  ['inflight64', 'RSA-4096, cold verify, 64 in flight (higher is better)'],
  ['burst-fastify', 'Fastify, 2,000 new users on a fresh server: time until all answered (lower is better)'],
  ['warm', 'Same token again (higher is better)'],
  ['refuse-malformed', 'Malformed-token refusal (higher is better)'],
  ['cold-2048', 'RSA-2048, cold verify, one at a time (higher is better)'],
  ['inflight64-2048', 'RSA-2048, cold verify, 64 in flight (higher is better)'],
  ['cold-start', 'Cold start incl. JWKS fetch (lower is better)'],
  ...sections.filter((s) => s.id.startsWith('http-')).map((s) => [s.id, `${s.title} (higher is better)`]),
]
  .map(([id, title]) => ({
    title: title!,
    rows: (sections.find((s) => s.id === id)?.rows ?? []).filter(
      (r) => !r.label.endsWith('(same window)') || r.contender.startsWith('floor-thread-pool'),
    ),
  }))
  .filter((p) => p.rows.length > 0)
const chart = svgChart(
  chartPanels,
  `dynamic-guard bench, ${machine.date.slice(0, 10)} — ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, load ${loads.length ? `${Math.min(...loads)}-${Math.max(...loads)}` : machine.loadAverageAtStart[0]}`,
)
writeFileSync(`${RESULTS}chart.svg`, chart)
console.log(`Wrote bench/results/latest.json, latest.md and chart.svg in ${elapsed().trim()}.`)

/** The Node 24 the headline-node24 case ran on, from its section titles. */
const NODE24_VERSION = (): string =>
  /on Node (\S+)$/.exec(sections.find((s) => s.id === 'cold-node24')?.title ?? '')?.[1] ?? '24'
const HEADLINE = {
  cold: 'cold, one at a time',
  inflight64: 'cold, 64 in flight',
  'after-burst': 'lone caller right after a burst',
  warm: 'same token again',
  'refuse-signature': 'refusal: bad signature',
  'refuse-expired': 'refusal: expired',
  'refuse-malformed': 'refusal: malformed',
  'cold-start': 'cold start (JWKS fetch)',
}
const target = (prefix: string): string => {
  const t = targets.find((x) => x.name.startsWith(prefix))
  return t ? `${t.value.toFixed(2)}× (goal ${t.goal.toFixed(2)}×, ${t.met ? 'met' : 'missed'})` : 'not measured'
}
const row = (caseId: string, contender: string): Row | undefined =>
  rows.find((r) => r.case === caseId && r.contender === contender)
const rate = (r: Row | undefined): string => (r ? `${Math.round(r.value).toLocaleString('en-US')}/s` : '–')
const ms = (r: Row | undefined): string => (r ? `${Math.round(r.value).toLocaleString('en-US')} ms` : '–')

/** The short summary the README embeds (the docs page has the rest). */
const readmeSection = [
  '## Benchmarks',
  '',
  'At RSA-4096, the size Dynamic signs with, against the raw `node:crypto` floor, `jose`, `jsonwebtoken` + `jwks-rsa`,',
  '`fast-jwt` and `aws-jwt-verify`, all on the same key and Dynamic-shaped tokens, in one run on one machine',
  `(${machine.cores} cores, shared; ${loadLine || `load average ${machine.loadAverageAtStart[0]}`}):`,
  '',
  `- a new token, one at a time: **${rate(row('cold', 'dynamic-guard'))}**, ${target('cold, one at a time ÷ node:crypto floor (median)')} of the one-core floor (${rate(row('cold', 'node-crypto'))});`,
  `- new tokens, 64 in flight: **${rate(row('inflight64', 'dynamic-guard'))}**, ${target('cold, 64 in flight ÷ bare thread pool')} of the bare thread pool (${rate(row('inflight64', 'floor-thread-pool'))});`,
  ...(row('cold-node24', 'dynamic-guard')
    ? [
        `- the same two on Node ${NODE24_VERSION()} (the active LTS; the figures above are Node ${process.versions.node}'s): **${rate(row('cold-node24', 'dynamic-guard'))}** one at a time (floor ${rate(row('cold-node24', 'node-crypto'))}), **${rate(row('inflight64-node24', 'dynamic-guard'))}** 64 in flight (bare pool ${rate(row('inflight64-node24', 'floor-thread-pool'))});`,
      ]
    : []),
  `- the same token again: **${rate(row('warm', 'dynamic-guard'))}** (verified-token cache);`,
  `- 2,000 new users hitting a freshly started Fastify server over 64 connections: all answered in **${ms(row('burst-fastify', 'dynamic-guard'))}** (jose ${ms(row('burst-fastify', 'jose'))}, fast-jwt ${ms(row('burst-fastify', 'fast-jwt'))}, unprotected ${ms(row('burst-fastify', 'unprotected'))}).`,
  '',
  '![dynamic-guard against its peers](bench/results/chart.svg)',
  '',
  '`npm run bench` reproduces it (see the Benchmarks page of the guide, `docs/guide/benchmarks.md`, for every table, the targets and the reasoning).',
  '',
].join('\n')
// Only a complete run speaks for the README.
if (!only && !quick) writeFileSync(`${RESULTS}readme-section.md`, readmeSection)

/** Everything measured, for the guide's Benchmarks page (between its results markers). */
const docsResults = [
  `Latest run: ${machine.date.slice(0, 16).replace('T', ' ')} UTC on ${machineLine}; ${loadLine}. Medians of ${ctx.reps} repetitions, interleaved across contenders${quick ? ' (quick mode)' : ''}. The whole run took ${elapsed().trim()}.`,
  '',
  busyNote,
  '![dynamic-guard against its peers](/benchmarks-chart.svg)',
  '',
  `### RSA-4096 (Dynamic's key size), Node ${process.versions.node} (the oldest supported line)`,
  '',
  summaryMatrix(sections, HEADLINE),
  '',
  `The second floor, callback \`crypto.verify\` with 64 in flight and nothing else (the machine's limit for concurrent work): ${rate(row('inflight64', 'floor-thread-pool'))}; the one-core floor in the same window: ${rate(row('inflight64', 'floor-one-at-a-time'))}.`,
  '',
  ...(sections.some((s) => s.id.endsWith('-node24'))
    ? [
        `### RSA-4096 on Node ${NODE24_VERSION()} (the active LTS; the table above is Node ${process.versions.node}, the oldest supported line)`,
        '',
        summaryMatrix(sections, { 'cold-node24': 'cold, one at a time', 'inflight64-node24': 'cold, 64 in flight' }),
        '',
      ]
    : []),
  '### RSA-2048 (second table)',
  '',
  summaryMatrix(sections, { 'cold-2048': 'cold, one at a time', 'inflight64-2048': 'cold, 64 in flight' }),
  '',
  '### HTTP: a burst of new users, then the same users again',
  '',
  burstMatrix(sections),
  '',
  ...(burstCpuMatrix(sections) ? [burstCpuMatrix(sections), ''] : []),
  ...(sections.find((s) => s.id === 'burst')?.notes ?? []).map((n) => `${n}\n`),
  '### HTTP: a repeated token, each framework',
  '',
  httpMatrix(sections),
  '',
  ...(rows.some((r) => r.case === 'memory')
    ? [`Memory: ${sections.find((s) => s.id === 'memory')?.notes[0] ?? ''}`, '']
    : []),
  '### Targets, as ratios within the run',
  '',
  targetsTable(targets),
  '',
  ...(missed.length
    ? ['Where a target is missed, by how much and why:', '', ...missed.map((t) => `- ${explainMiss(t, rows)}`), '']
    : []),
  ...(sections.find((s) => s.id === 'profile')?.notes.length
    ? [
        '### CPU profiles of the cold paths',
        '',
        ...sections.find((s) => s.id === 'profile')!.notes.map((n) => `${n}\n`),
      ]
    : []),
].join('\n')

// A complete run refreshes the guide's results block and its copy of the chart.
const DOCS_PAGE = fileURLToPath(new URL('../docs/guide/benchmarks.md', import.meta.url))
const DOCS_CHART = fileURLToPath(new URL('../docs/public/benchmarks-chart.svg', import.meta.url))
if (!only && !quick && existsSync(DOCS_PAGE)) {
  const page = readFileSync(DOCS_PAGE, 'utf8')
  const open = '<!-- results:start -->'
  const close = '<!-- results:end -->'
  const start = page.indexOf(open)
  const end = page.indexOf(close)
  if (start >= 0 && end > start) {
    writeFileSync(DOCS_PAGE, `${page.slice(0, start + open.length)}\n\n${docsResults}\n${page.slice(end)}`)
    mkdirSync(dirname(DOCS_CHART), { recursive: true })
    writeFileSync(DOCS_CHART, chart)
    console.log('Updated the results in docs/guide/benchmarks.md and docs/public/benchmarks-chart.svg.')
  }
}
if (updateReadme) {
  const readmePath = fileURLToPath(new URL('../README.md', import.meta.url))
  const readme = readFileSync(readmePath, 'utf8')
  const open = '<!-- section:benchmarks -->'
  const close = '<!-- /section:benchmarks -->'
  const start = readme.indexOf(open)
  const end = readme.indexOf(close)
  if (start < 0 || end < start) console.log('README.md has no benchmarks section markers; not updated.')
  else {
    writeFileSync(readmePath, `${readme.slice(0, start + open.length)}\n${readmeSection}${readme.slice(end)}`)
    console.log('Updated the benchmarks section of README.md.')
  }
}
