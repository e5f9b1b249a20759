/**
 * What `bench/non-rsa-cost.ts` measures, in instructions instead of µs: repeatable on a shared
 * machine, where wall-clock figures swing with the neighbours' load. Runs a bundled copy of the
 * verifier under `valgrind --tool=callgrind` (every thread, V8's compiler threads included) and
 * subtracts a run that does less, so process start-up and the fixture cancel out:
 *
 *   - first 2,000: a new process's first 2,000 verifications (accepted tokens of distinct users);
 *   - accepted / expired: 20,000 more verifications after 20,000 of warm-up, per verification.
 *
 * Same set-up as non-rsa-cost.ts: an always-valid signature backend, the verified-token cache
 * off, Dynamic-shaped RSA-4096 tokens. Needs valgrind. About a minute.
 *
 *   node --import tsx bench/non-rsa-instructions.ts [--node=/path/to/node] [--runs=1]
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { createTestIssuer } from '../src/testing/index.js'

const args = process.argv.slice(2)
const node = args.find((a) => a.startsWith('--node='))?.slice(7) ?? process.execPath
const runs = Number(args.find((a) => a.startsWith('--runs='))?.slice(7) ?? 1)
/** The child's phases: kind, verifications, and whether the figure is reported. */
const PHASES = [
  { name: 'first 2,000', kind: 'accepted', count: 2000, shown: true },
  { name: 'warm-up', kind: 'accepted', count: 18_000, shown: false },
  { name: 'accepted', kind: 'accepted', count: 20_000, shown: true },
  { name: 'warm-up', kind: 'expired', count: 20_000, shown: false },
  { name: 'expired', kind: 'expired', count: 20_000, shown: true },
]
const dir = mkdtempSync(join(tmpdir(), 'non-rsa-instructions-'))

const issuer = createTestIssuer({ modulusLength: 4096 })
const fixture = {
  options: issuer.authOptions(),
  tokens: Array.from({ length: 512 }, () => issuer.mint({ sub: randomUUID(), sid: randomUUID() })),
  expired: issuer.mint({ expired: true }),
}
writeFileSync(join(dir, 'fixture.json'), JSON.stringify(fixture))
await build({
  entryPoints: [fileURLToPath(new URL('./lib/non-rsa-child.ts', import.meta.url))],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: join(dir, 'child.mjs'),
  logLevel: 'error',
})

/** Instructions per verification in each measured phase of one run of the child (all threads). */
function oneRun(): Record<string, number> {
  const prefix = join(dir, 'callgrind')
  rmSync(prefix, { recursive: true, force: true })
  execFileSync(
    'valgrind',
    [
      '--tool=callgrind',
      '--smc-check=all',
      `--callgrind-out-file=${prefix}.%p`,
      '--dump-line=no',
      '--dump-instr=no',
      '--dump-before=*v8_utils::CachedDataVersionTag*',
      node,
      join(dir, 'child.mjs'),
      join(dir, 'fixture.json'),
      ...PHASES.map((p) => `${p.kind}:${p.count}`),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  const dumps = readdirSync(dir)
    .filter((f) => f.startsWith('callgrind.'))
    .map((f) => ({ f, part: Number(/^callgrind\.\d+\.(\d+)$/.exec(f)?.[1] ?? Infinity) }))
    .sort((a, b) => a.part - b.part)
  const totals = dumps.map(({ f }) =>
    Number(/^(?:summary|totals): (\d+)/m.exec(readFileSync(join(dir, f), 'utf8'))?.[1]),
  )
  for (const { f } of dumps) rmSync(join(dir, f))
  if (process.env.SHOW_TOTALS) console.log(dumps.map(({ f }, i) => `${f} ${totals[i]}`).join('\n'))
  // The first dump ends the start-up, the next ones the phases; the last is the exit.
  const out: Record<string, number> = {}
  PHASES.forEach((phase, p) => {
    if (phase.shown) out[phase.name] = totals[p + 1]! / phase.count
  })
  return out
}

console.log(
  `${node} (${execFileSync(node, ['--version']).toString().trim()}), instructions per verification (all threads), ${runs} run(s):`,
)
for (let run = 0; run < runs; run++) {
  const figures = oneRun()
  console.log(
    Object.entries(figures)
      .map(([phase, n]) => `${phase} ${Math.round(n).toLocaleString('en-US')}`)
      .join('   '),
  )
}
rmSync(dir, { recursive: true, force: true })
