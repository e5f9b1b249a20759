/**
 * HTTP level: autocannon against each framework's unprotected route, the same route protected
 * by our adapter, and by the framework's usual peer middleware. Servers run in child processes
 * pinned to core 0; the load generator (this process) moves to core 1, where taskset exists.
 * Every request carries the same token (the repeated-token case a busy client produces).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { median } from '../lib/measure.js'
import type { BenchCase, BenchContext, CaseResult, Row } from '../lib/types.js'
import { waitForReady } from '../lib/server-child.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const SERVER = `${ROOT}bench/http-server.ts`

interface Target {
  readonly framework: string
  readonly variant: 'unprotected' | 'dynamic-guard' | 'peer'
  readonly label: string
}

const FRAMEWORKS: ReadonlyArray<{ name: string; peer?: string }> = [
  { name: 'express', peer: 'express-jwt + jwks-rsa' },
  { name: 'fastify', peer: '@fastify/jwt + get-jwks' },
  { name: 'hono', peer: 'hono/jwk' },
  { name: 'koa' },
]

const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0
const pin = (core: number, command: string[]): string[] =>
  hasTaskset ? ['taskset', '-c', String(core), ...command] : command

interface Running {
  readonly target: Target
  readonly child: ChildProcess
  readonly url: string
}

async function startServer(target: Target, config: string): Promise<Running> {
  const [cmd, ...args] = pin(0, [process.execPath, '--import', 'tsx', SERVER, target.framework, target.variant, config])
  const child = spawn(cmd!, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  const port = await waitForReady(child, `${target.framework}/${target.variant}`)
  return { target, child, url: `http://127.0.0.1:${port}/me` }
}

/** The route answers 200 with the token, and (when protected) 401 without it. */
async function sanityCheck(server: Running, token: string): Promise<string | undefined> {
  const ok = await fetch(server.url, { headers: { authorization: `Bearer ${token}` } })
  const body = await ok.text()
  if (ok.status !== 200) return `answered ${ok.status} with a valid token: ${body.slice(0, 200)}`
  if (server.target.variant !== 'unprotected') {
    const refused = await fetch(server.url)
    await refused.text()
    if (refused.status !== 401) return `answered ${refused.status} without a token`
  }
  return undefined
}

interface LoadResult {
  readonly rps: number
  readonly p50: number
  readonly p99: number
  readonly non2xx: number
  readonly errors: number
}

async function load(url: string, token: string, seconds: number): Promise<LoadResult> {
  const result = await autocannon({
    url,
    connections: 32,
    pipelining: 1,
    duration: seconds,
    headers: { authorization: `Bearer ${token}` },
  })
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  }
}

function pinSelf(cores: string): void {
  if (hasTaskset) spawnSync('taskset', ['-a', '-p', '-c', cores, String(process.pid)], { stdio: 'ignore' })
}

async function runHttp(
  ctx: BenchContext,
): Promise<CaseResult & { sections: Array<{ id: string; title: string; rows: Row[] }> }> {
  const fx = await ctx.fixture()
  const config = JSON.stringify({
    environmentId: fx.issuer.environmentId,
    jwksUrl: fx.server.jwksUrl,
    origin: fx.server.origin,
    jwksPath: new URL(fx.server.jwksUrl).pathname,
    iss: fx.iss,
  })
  const notes: string[] = [
    `This machine has ${cpus().length} cores. ${hasTaskset ? 'Servers are pinned to core 0 and the load generator to core 1 (taskset).' : 'taskset is not available: servers and load generator share the cores.'} autocannon, 32 connections, the same token on every request. ${ctx.reps * 2} repetitions of 1 s per server, each framework's servers back to back; the protected ÷ unprotected target is the median of the per-repetition ratios.`,
  ]
  const targets: Target[] = []
  for (const f of FRAMEWORKS) {
    const adapter = existsSync(`${ROOT}src/adapters/${f.name}.ts`)
    if (!adapter && !f.peer) continue
    targets.push({ framework: f.name, variant: 'unprotected', label: `${f.name}, unprotected` })
    if (adapter) targets.push({ framework: f.name, variant: 'dynamic-guard', label: 'dynamic-guard' })
    else notes.push(`src/adapters/${f.name}.ts is not there: no dynamic-guard row for ${f.name}.`)
    if (f.peer) targets.push({ framework: f.name, variant: 'peer', label: f.peer })
  }
  const servers: Running[] = []
  try {
    for (const t of targets) {
      try {
        const server = await startServer(t, config)
        const problem = await sanityCheck(server, fx.warmToken)
        if (problem) {
          notes.push(`${t.framework}/${t.label} ${problem}; left out.`)
          server.child.kill()
        } else servers.push(server)
      } catch (error) {
        notes.push(`${t.framework}/${t.label} could not start: ${(error as Error).message.split('\n')[0]}`)
      }
    }
    ctx.progress(`${servers.length} servers up; warming up`)
    pinSelf('1')
    for (const s of servers) await load(s.url, fx.warmToken, 1)
    const samples = new Map<Running, LoadResult[]>(servers.map((s) => [s, []]))
    // What a user compares is the same framework with and without the adapter: a framework's
    // servers are measured back to back (1 s each), so that each repetition's protected ÷
    // unprotected ratio compares moments seconds apart, and the targets take the median of those
    // ratios. Twice the run's repetitions, so the case takes as long as with 2 s windows.
    const reps = ctx.reps * 2
    const groups = FRAMEWORKS.map((f) => servers.filter((s) => s.target.framework === f.name)).filter((g) => g.length)
    for (let rep = 0; rep < reps; rep++) {
      // Reversed every other repetition, so that no server is always measured right after another.
      for (const group of rep % 2 ? [...groups].reverse() : groups)
        for (const s of rep % 2 ? [...group].reverse() : group) samples.get(s)!.push(await load(s.url, fx.warmToken, 1))
      ctx.progress(`rep ${rep + 1}/${reps}`)
    }
    const sections = FRAMEWORKS.map((f) => {
      const rows: Row[] = servers
        .filter((s) => s.target.framework === f.name)
        .map((s) => {
          const runs = samples.get(s)!
          const contender = s.target.variant === 'peer' ? 'peer' : s.target.variant
          const bad = runs.reduce((n, r) => n + r.non2xx + r.errors, 0)
          return {
            case: `http-${f.name}`,
            contender: s.target.variant === 'peer' ? `peer-${f.name}` : contender,
            label: s.target.label,
            value: median(runs.map((r) => r.rps)),
            unit: 'req/s' as const,
            samples: runs.map((r) => r.rps),
            extra: { p50: median(runs.map((r) => r.p50)), p99: median(runs.map((r) => r.p99)), non2xxOrErrors: bad },
          }
        })
      return { id: `http-${f.name}`, title: `HTTP, ${f.name}: GET /me with a repeated token`, rows }
    }).filter((s) => s.rows.length > 0)
    return { rows: sections.flatMap((s) => s.rows), notes, sections }
  } finally {
    pinSelf(`0-${cpus().length - 1}`)
    for (const s of servers) s.child.kill('SIGTERM')
  }
}

export const http: BenchCase = {
  id: 'http',
  title: 'HTTP level: unprotected route vs our adapter vs the peer middleware',
  run: runHttp,
}
