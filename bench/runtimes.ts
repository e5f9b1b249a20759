/**
 * verify/s per runtime, side by side: the same workload (bench/runtimes-workload.ts) on Node 20
 * (this Node), Node 22, Bun, Deno and workerd (through Miniflare), each loading the built package
 * through its own export condition, with each crypto backend the runtime offers: node:crypto
 * (src/signature/node.ts: synchronous verify, part of overlapping ones on the thread pool) and
 * WebCrypto. Each figure is the best of the rounds, which alternate between the backends; the CPU
 * time per verification (all threads) is given too where the runtime reports it (not workerd),
 * as it hardly depends on what else the machine runs. Writes bench/results/runtimes.json.
 * Needs the runtimes: `npm ci --prefix runtimes`.
 *
 *   node --import tsx bench/runtimes.ts                 # about 1-2 minutes
 *   node --import tsx bench/runtimes.ts --quick         # shorter, noisier
 *   node --import tsx bench/runtimes.ts --only=bun,deno
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createTestIssuer } from '../src/testing/index.js'
import {
  createTestApp,
  readMarkedJson,
  ROOT,
  RUNTIMES,
  runOn,
  type RuntimeName,
} from '../test/conformance/runtime-host.js'
import type { WorkloadFixture, WorkloadOptions, WorkloadResult } from './runtimes-workload.js'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',')
const options: WorkloadOptions = quick ? { minMs: 300, rounds: 1 } : { minMs: 700, rounds: 3 }
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url))
const loadAverageAtStart = loadavg().map((l) => Math.round(l * 100) / 100)

type Target = { name: 'node20' | RuntimeName; defaultBackend: 'node:crypto' | 'webcrypto' }
const targets: Target[] = [
  { name: 'node20', defaultBackend: 'node:crypto' } as Target,
  ...RUNTIMES.map(
    (r): Target => ({ name: r.name, defaultBackend: r.expectedBuild.includes('/web/') ? 'webcrypto' : 'node:crypto' }),
  ),
].filter((t) => !only || only.includes(t.name))

const ping = createServer((_req, res) => res.end('ok'))
await new Promise<void>((resolve) => ping.listen(0, '127.0.0.1', resolve))
const pingUrl = `http://127.0.0.1:${(ping.address() as AddressInfo).port}/`

// Dynamic's key size, passed explicitly (the figures must not depend on the test kit's default).
const issuer = createTestIssuer({ modulusLength: 4096 })
const fixture: WorkloadFixture = {
  environmentId: issuer.environmentId,
  jwks: issuer.jwks(),
  tokens: Array.from({ length: 500 }, (_, i) => issuer.mint({ sub: `bench-user-${i}` })),
  pingUrl,
}

const app = await createTestApp(['index'])
const results: Record<
  string,
  { runtime: string; defaultBackend: string; backends: WorkloadResult } | { error: string }
> = {}
try {
  await app.bundle(join(ROOT, 'bench/runtimes-workload.ts'), 'workload.js')
  await app.bundle(join(ROOT, 'src/signature/node.ts'), 'node-backend.js')
  await app.write('fixture.js', `export default ${JSON.stringify(fixture)}\n`)
  const runtimeName = `(globalThis.Bun ? 'bun ' + Bun.version : globalThis.Deno ? 'deno ' + Deno.version.deno : globalThis.navigator?.userAgent === 'Cloudflare-Workers' ? 'workerd' : 'node ' + process.versions.node)`
  await app.write(
    'bench-run.mjs',
    `import * as lib from 'dynamic-guard'
import { runWorkload } from './workload.js'
import { nodeBackend } from './node-backend.js'
import fixture from './fixture.js'
const backends = { 'node:crypto': nodeBackend, webcrypto: lib.webCryptoBackend }
const result = await runWorkload(lib, backends, fixture, ${JSON.stringify(options)})
console.log('RESULT ' + JSON.stringify({ runtime: ${runtimeName}, backends: result }))
`,
  )
  await app.write(
    'bench-worker.mjs',
    `import * as lib from 'dynamic-guard'
import { runWorkload } from './workload.js'
import fixture from './fixture.js'
export default {
  async fetch() {
    const result = await runWorkload(lib, { webcrypto: lib.webCryptoBackend }, fixture, ${JSON.stringify(options)})
    return Response.json({ runtime: 'workerd', backends: result })
  },
}
`,
  )

  for (const target of targets) {
    const started = performance.now()
    try {
      let parsed: { runtime: string; backends: WorkloadResult }
      if (target.name === 'node20') {
        const output = await runNode20(join(app.dir, 'bench-run.mjs'))
        parsed = readMarkedJson('node20', output, 'RESULT')
      } else if (target.name === 'workerd') {
        const worker = await app.bundleWorker(join(app.dir, 'bench-worker.mjs'), 'bench-worker.js')
        const output = await runOn('workerd', app, worker, { timeoutMs: 300_000 })
        const line = output.stdout.split('\n').find((l) => l.startsWith('WORKER 200 '))
        if (!line) throw new Error(`workerd: no result.\n${output.stdout.slice(-2000)}\n${output.stderr.slice(-2000)}`)
        parsed = JSON.parse(line.slice('WORKER 200 '.length))
      } else {
        const output = await runOn(target.name, app, join(app.dir, 'bench-run.mjs'), { timeoutMs: 300_000 })
        parsed = readMarkedJson(target.name, output, 'RESULT')
      }
      results[target.name] = {
        runtime: parsed.runtime,
        defaultBackend: target.defaultBackend,
        backends: parsed.backends,
      }
      console.log(
        `[${((performance.now() - started) / 1000).toFixed(0).padStart(3)}s] ${target.name} (${parsed.runtime}): ${JSON.stringify(parsed.backends)}`,
      )
    } catch (error) {
      results[target.name] = { error: error instanceof Error ? error.message : String(error) }
      console.log(
        `${target.name}: FAILED ${results[target.name] && 'error' in results[target.name]! ? (results[target.name] as { error: string }).error : ''}`,
      )
    }
  }
} finally {
  await app.remove()
  await new Promise<void>((resolve) => ping.close(() => resolve()))
}

async function runNode20(script: string) {
  const { spawn } = await import('node:child_process')
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [script], {
      cwd: app.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

// ---- report: one row per runtime and backend, ratios against Node 20's default ----
const base =
  results.node20 && 'backends' in results.node20 ? results.node20.backends[results.node20.defaultBackend] : undefined
const ratio = (value: number, of: number | undefined): string => (of ? `${(value / of).toFixed(2)}x` : '-')
const cpu = (value: number | undefined): string => (value === undefined ? '-' : String(value))
const rows: string[] = [
  '| runtime | backend | verify/s, one at a time | verify/s, 64 in flight | vs Node 20 default (1 / 64) | CPU µs per verify (1 / 64) |',
  '|---|---|--:|--:|--:|--:|',
]
for (const [name, entry] of Object.entries(results)) {
  if ('error' in entry) {
    rows.push(`| ${name} | failed | - | - | - | - |`)
    continue
  }
  for (const [backend, r] of Object.entries(entry.backends)) {
    const mark = backend === entry.defaultBackend ? ' (default)' : ''
    rows.push(
      `| ${entry.runtime} | ${backend}${mark} | ${r.sequential} | ${r.inFlight64} | ${ratio(r.sequential, base?.sequential)} / ${ratio(r.inFlight64, base?.inFlight64)} | ${cpu(r.cpuMicrosSequential)} / ${cpu(r.cpuMicrosInFlight64)} |`,
    )
  }
}
console.log(`\n${rows.join('\n')}\n`)

mkdirSync(RESULTS, { recursive: true })
const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGB: Math.round(totalmem() / 2 ** 30),
  loadAverageAtStart,
  loadAverageAtEnd: loadavg().map((l) => Math.round(l * 100) / 100),
  date: new Date().toISOString(),
}
writeFileSync(
  join(RESULTS, 'runtimes.json'),
  `${JSON.stringify({ machine, options, results, table: rows }, null, 2)}\n`,
)
console.log(`wrote ${join(RESULTS, 'runtimes.json')}`)
if (Object.values(results).some((entry) => 'error' in entry)) process.exitCode = 1
