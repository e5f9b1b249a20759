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
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { CASES } from './cases/index.js'
import { CONTENDERS, type Verify } from './lib/contenders.js'
import { COLD_POOL, createFixture, type Fixture } from './lib/fixture.js'
import { caseTable, httpMatrix, summaryMatrix, svgChart, targetsTable } from './lib/report.js'
import { evaluateTargets, explainMiss } from './lib/targets.js'
import type { BenchContext, Row } from './lib/types.js'

const args = process.argv.slice(2)
const only = args.find((a) => a.startsWith('--only='))?.slice(7).split(',')
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

const started = performance.now()
const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(0).padStart(4)}s`
let currentCase = ''
const progress = (message: string): void => console.log(`[${elapsed()}] ${currentCase}: ${message}`)

let fixturePromise: Promise<Fixture> | undefined
let verifiersPromise: Promise<Map<string, Verify>> | undefined
const rows: Row[] = []
const ctx: BenchContext = {
  reps: 3,
  loopMs: quick ? 150 : 400,
  fixture: () =>
    (fixturePromise ??= (() => {
      progress(`minting ${COLD_POOL} distinct tokens with the local Dynamic stand-in`)
      return createFixture(COLD_POOL)
    })()),
  verifiers: () =>
    (verifiersPromise ??= (async () => {
      const fx = await ctx.fixture()
      const map = new Map<string, Verify>()
      for (const c of CONTENDERS) map.set(c.id, await c.ready(fx))
      return map
    })()),
  progress,
  rows,
}

console.log(
  `dynamic-guard bench — ${machine.cpu}, ${machine.cores} cores (this machine has ${machine.cores}), Node ${machine.node}, ` +
    `load average ${machine.loadAverageAtStart.join(' ')} at start${quick ? ' — QUICK mode' : ''}`,
)
const sections: Array<{ id: string; title: string; rows: Row[]; notes: readonly string[] }> = []
for (const benchCase of CASES) {
  if (only && !only.includes(benchCase.id)) continue
  currentCase = benchCase.id
  progress(`start — ${benchCase.title}`)
  try {
    const result = await benchCase.run(ctx)
    rows.push(...result.rows)
    if (result.sections) {
      sections.push({ id: benchCase.id, title: benchCase.title, rows: [], notes: result.notes ?? [] })
      for (const s of result.sections) sections.push({ id: s.id, title: s.title, rows: [...s.rows], notes: [] })
    } else sections.push({ id: benchCase.id, title: benchCase.title, rows: [...result.rows], notes: result.notes ?? [] })
    const ours = result.rows.find((r) => r.contender === 'dynamic-guard')
    progress(`done${ours ? ` — dynamic-guard ${Math.round(ours.value)} ${ours.unit}` : ''}`)
  } catch (error) {
    progress(`FAILED: ${(error as Error).stack ?? String(error)}`)
    sections.push({ id: benchCase.id, title: benchCase.title, rows: [], notes: [`Failed: ${(error as Error).message}`] })
  }
}
currentCase = 'bench'
await fixturePromise?.then((fx) => fx.close())

const targets = evaluateTargets(rows)
const machineLine =
  `${machine.cpu}, ${machine.cores} cores (availableParallelism ${machine.availableParallelism}), ${machine.memoryGB} GB, ` +
  `${machine.platform}, Node ${machine.node}, UV_THREADPOOL_SIZE ${machine.uvThreadpoolSize}, load average at start ${machine.loadAverageAtStart.join(' ')}`
const missed = targets.filter((t) => !t.met)
const busy = machine.loadAverageAtStart[0]! > machine.cores * 0.5
const busyNote = busy
  ? `The machine was busy when this run started (load average ${machine.loadAverageAtStart[0]} on ${machine.cores} cores): figures are noisy, compare ratios within the run, and re-run on a quiet machine for figures to quote.\n`
  : ''
const markdown = [
  `Measured ${machine.date.slice(0, 16).replace('T', ' ')} UTC on ${machineLine}. Medians of ${ctx.reps} repetitions${quick ? ' (quick mode)' : ''}.`,
  '',
  ...sections.flatMap((s) => [`#### ${s.title}`, '', ...(s.rows.length ? [caseTable(s.rows), ''] : []), ...s.notes.map((n) => `${n}\n`)]),
  '#### Targets (ratios within this run)',
  '',
  busyNote,
  targetsTable(targets),
  '',
  ...(missed.length ? ['#### Closing notes on missed targets', '', ...missed.map((t) => `- ${explainMiss(t, rows)}`), ''] : []),
].join('\n')

console.log(`\n${markdown}`)
mkdirSync(RESULTS, { recursive: true })
writeFileSync(`${RESULTS}latest.json`, `${JSON.stringify({ machine, quick, reps: ctx.reps, loopMs: ctx.loopMs, sections, targets }, null, 2)}\n`)
writeFileSync(`${RESULTS}latest.md`, markdown)
const chartPanels = [
  ['cold', 'Cold verify, one at a time (higher is better)'],
  ['inflight64', 'Cold verify, 64 in flight (higher is better)'],
  ['warm', 'Same token again (higher is better)'],
  ['refuse-malformed', 'Malformed-token refusal (higher is better)'],
  ['cold-start', 'Cold start incl. JWKS fetch (lower is better)'],
  ...sections.filter((s) => s.id.startsWith('http-')).map((s) => [s.id, `${s.title} (higher is better)`]),
]
  .map(([id, title]) => ({ title: title!, rows: sections.find((s) => s.id === id)?.rows ?? [] }))
  .filter((p) => p.rows.length > 0)
writeFileSync(`${RESULTS}chart.svg`, svgChart(chartPanels, `dynamic-guard bench, ${machine.date.slice(0, 10)} — ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}`))
console.log(`Wrote bench/results/latest.json, latest.md and chart.svg in ${elapsed().trim()}.`)

const readmeSection = [
  '## Benchmarks',
  '',
  '`npm run bench` (about four minutes; not part of `npm test`) runs dynamic-guard side by side with what a Dynamic',
  'customer would otherwise use, in one process on one machine: the raw `node:crypto` RS256 verify (the floor),',
  '`jose` (local and remote JWKS), `jsonwebtoken` + `jwks-rsa` (the recipe of Dynamic\'s older docs), `fast-jwt` (with',
  'and without its cache) and `aws-jwt-verify` (through its `JwksCache` with a custom fetcher, so it reads the local',
  'issuer over plain http). Everyone gets the same RSA-2048 key and Dynamic-shaped tokens from `createTestIssuer`,',
  'and does the same checks: RS256 only, the issuer, expiry and the `user:basic` scope (in user code where the',
  'library has no scope check). Each figure is the median of three repetitions, interleaved across contenders.',
  'Then autocannon drives Express, Fastify, Hono and Koa: the unprotected route, the same route behind our adapter,',
  'and behind the usual peer middleware. The run prints a progress line per case and the tables, and writes',
  '`bench/results/latest.json`, `bench/results/latest.md` (every table) and `bench/results/chart.svg`.',
  '',
  '```sh',
  'npm run bench                        # everything',
  'npm run bench -- --only=cold,warm    # some cases (ids: ' + CASES.map((c) => c.id).join(', ') + ')',
  'npm run bench -- --quick             # shorter loops, noisier',
  '```',
  '',
  `Latest run: ${machine.date.slice(0, 16).replace('T', ' ')} UTC on ${machineLine}.`,
  '',
  `![dynamic-guard against its peers](bench/results/chart.svg)`,
  '',
  summaryMatrix(sections, {
    cold: 'cold, one at a time',
    inflight64: 'cold, 64 in flight',
    warm: 'same token again',
    'refuse-signature': 'refusal: bad signature',
    'refuse-expired': 'refusal: expired',
    'refuse-malformed': 'refusal: malformed',
    'cold-start': 'cold start (JWKS fetch)',
  }),
  '',
  ...(rows.some((r) => r.case === 'memory') ? [`Memory: ${sections.find((s) => s.id === 'memory')?.notes[0] ?? ''}`, ''] : []),
  httpMatrix(sections),
  '',
  'Targets, as ratios within the run:',
  '',
  busyNote,
  targetsTable(targets),
  '',
  ...(missed.length ? ['Where a target is missed, by how much and why (the CPU profile of the hot path is in `bench/results/latest.md`):', '', ...missed.map((t) => `- ${explainMiss(t, rows)}`), ''] : []),
].join('\n')
writeFileSync(`${RESULTS}readme-section.md`, readmeSection)
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
