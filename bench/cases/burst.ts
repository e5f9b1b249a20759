/**
 * A burst of new users at HTTP level: a freshly started server (Fastify, node:http), keys loaded,
 * nothing else warm, receives 2,000 distinct users' tokens (distinct `sub` and `sid`, RSA-4096)
 * over 64 keep-alive connections: the time until all are answered and the latency percentiles.
 * Then the steady state: the same 2,000 users again (what the verified-token cache gives).
 * Against the same server with jose and with fast-jwt, and unprotected. Servers are child
 * processes on all cores (bench/burst-server.ts); the load comes from this process. On Linux each
 * wave also records the CPU it cost (the server's main thread, its other threads, the load
 * generator): what the two cores could give and what a schedule of that work can reach.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { Agent, request } from 'node:http'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { median } from '../lib/measure.js'
import type { BenchCase, BenchContext, CaseResult, Row } from '../lib/types.js'
import { waitForReady } from '../lib/server-child.js'
import { cpuBetween, threadCpu } from '../lib/thread-cpu.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const SERVER = `${ROOT}bench/burst-server.ts`

/** Distinct users in the burst. */
export const BURST_USERS = 2000
/** Keep-alive connections the burst arrives over. */
export const BURST_CONNECTIONS = 64
/**
 * Repetitions: more than the library cases' (a fresh-server run swings more), never fewer than
 * the run's own.
 */
const BURST_REPS = 5
/** Verified-token cache of the caching variants: the 2,000 users fit (the default holds 1,000). */
const CACHE_SIZE = 4096

const FRAMEWORKS = ['fastify', 'node'] as const
const VARIANTS = [
  { id: 'unprotected', label: 'unprotected' },
  { id: 'dynamic-guard', label: 'dynamic-guard' },
  { id: 'jose', label: 'jose (local JWKS)' },
  { id: 'fast-jwt', label: `fast-jwt (cache ${CACHE_SIZE})` },
] as const

interface Running {
  readonly child: ChildProcess
  readonly port: number
}

async function startServer(framework: string, variant: string, config: string): Promise<Running> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER, framework, variant, config], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const port = await waitForReady(child, `${framework}/${variant}`)
  return { child, port }
}

function get(agent: Agent, port: number, path: string, token?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: '127.0.0.1', port, path, headers: token ? { authorization: `Bearer ${token}` } : {} },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end()
  })
}

export interface Wave {
  /** From the first request sent to the last answer, ms. */
  readonly totalMs: number
  readonly p50: number
  readonly p99: number
  readonly max: number
  /** Answers other than 200. */
  readonly non200: number
  /** CPU the wave cost, ms (Linux only). */
  readonly cpu?: WaveCpu
}

export interface WaveCpu {
  /** The server's main thread (HTTP, JavaScript). */
  readonly serverMain: number
  /** The server's other threads: libuv's pool (RSA checks that overlap), V8's compiler and GC threads. */
  readonly serverOther: number
  /** This process: the load generator. */
  readonly loadGenerator: number
  /** All of it ÷ (cores × the wave's time), %: how busy the machine was kept. */
  readonly busy: number
}

const CORES = availableParallelism()

/** Sends every token once, `connections` at a time over the agent's open sockets, to the server process `pid`. */
async function wave(
  agent: Agent,
  port: number,
  pid: number,
  tokens: readonly string[],
  connections: number,
): Promise<Wave> {
  const latencies: number[] = []
  let next = 0
  let non200 = 0
  const serverBefore = threadCpu(pid)
  const loadBefore = process.cpuUsage()
  const start = performance.now()
  const worker = async (): Promise<void> => {
    while (next < tokens.length) {
      const token = tokens[next++]!
      const sent = performance.now()
      const status = await get(agent, port, '/me', token)
      latencies.push(performance.now() - sent)
      if (status !== 200) non200++
    }
  }
  await Promise.all(Array.from({ length: connections }, worker))
  const totalMs = performance.now() - start
  const load = process.cpuUsage(loadBefore)
  const server = cpuBetween(serverBefore, threadCpu(pid))
  const loadGenerator = (load.user + load.system) / 1000
  const cpu: WaveCpu | undefined = server && {
    serverMain: server.main,
    serverOther: server.other,
    loadGenerator,
    busy: (100 * (server.main + server.other + loadGenerator)) / (CORES * totalMs),
  }
  latencies.sort((a, b) => a - b)
  const at = (q: number): number =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]! * 10) / 10
  return { totalMs, p50: at(0.5), p99: at(0.99), max: at(1), non200, ...(cpu && { cpu }) }
}

interface Measured {
  readonly burst: Wave
  readonly steady: Wave
}

async function once(framework: string, variant: string, config: string, tokens: readonly string[]): Promise<Measured> {
  const server = await startServer(framework, variant, config)
  const agent = new Agent({ keepAlive: true, maxSockets: BURST_CONNECTIONS })
  try {
    // Open the connections first: the burst measures answers, not TCP handshakes.
    await Promise.all(Array.from({ length: BURST_CONNECTIONS }, () => get(agent, server.port, '/health')))
    const pid = server.child.pid!
    const burst = await wave(agent, server.port, pid, tokens, BURST_CONNECTIONS)
    const steady = await wave(agent, server.port, pid, tokens, BURST_CONNECTIONS)
    return { burst, steady }
  } finally {
    agent.destroy()
    server.child.kill('SIGTERM')
    await new Promise((resolve) => server.child.once('exit', resolve))
  }
}

/** Medians of the waves' CPU figures, for a row's `extra` (none when a wave has no reading). */
function cpuMedians(waves: readonly Wave[]): Record<string, number> {
  const cpu = waves.map((w) => w.cpu)
  if (cpu.length === 0 || cpu.some((c) => c === undefined)) return {}
  const of = (pick: (c: WaveCpu) => number): number => Math.round(median(cpu.map((c) => pick(c!))))
  return {
    cpuServerMain: of((c) => c.serverMain),
    cpuServerOther: of((c) => c.serverOther),
    cpuLoadGenerator: of((c) => c.loadGenerator),
    cpuTotal: of((c) => c.serverMain + c.serverOther + c.loadGenerator),
    busy: of((c) => c.busy),
    cores: CORES,
  }
}

async function runBurst(ctx: BenchContext): Promise<CaseResult> {
  const fx = await ctx.fixture()
  const tokens = fx.tokens.slice(0, BURST_USERS)
  const config = JSON.stringify({
    environmentId: fx.issuer.environmentId,
    jwksUrl: fx.server.jwksUrl,
    iss: fx.iss,
    cacheSize: CACHE_SIZE,
  })
  const samples = new Map<string, Measured[]>()
  const notes: string[] = [
    `${BURST_USERS.toLocaleString('en-US')} distinct users' tokens (RSA-${fx.bits}) over ${BURST_CONNECTIONS} keep-alive connections (opened before), sent to a server started for the measurement (keys loaded at startup, nothing else warm); then the same users again. Servers run on all cores; the load generator (node:http) shares them. Caches hold ${CACHE_SIZE.toLocaleString('en-US')} tokens (dynamic-guard's and fast-jwt's default of 1,000 would not hold 2,000 users); jose has none. Medians of ${Math.max(ctx.reps, BURST_REPS)} repetitions (contenders in a different order each time), after one unmeasured run that warms the load generator.`,
  ]
  if (threadCpu(process.pid)) {
    notes.push(
      `CPU per wave (Linux, from /proc; medians, ms): the server's main thread (HTTP and JavaScript), its other threads (libuv's pool, where overlapping RSA checks run, and V8's compiler and garbage-collector threads: a fresh server compiles its hot code while the burst runs) and the load generator (this process); "busy" is all of it ÷ (${CORES} cores × the wave's time).`,
    )
  }
  // One unmeasured run first: the load generator (this process) is then as warm for the first
  // contender as for the last.
  await once(FRAMEWORKS[0], 'unprotected', config, tokens)
  const reps = Math.max(ctx.reps, BURST_REPS)
  for (let rep = 0; rep < reps; rep++) {
    for (const framework of FRAMEWORKS) {
      // A different order each repetition, so that no contender always follows the same one.
      const order = VARIANTS.map((_, i) => VARIANTS[(i + rep) % VARIANTS.length]!)
      for (const v of order) {
        const key = `${framework}/${v.id}`
        try {
          const m = await once(framework, v.id, config, tokens)
          if (!samples.has(key)) samples.set(key, [])
          samples.get(key)!.push(m)
          if (m.burst.non200 + m.steady.non200 > 0)
            notes.push(`${key}: ${m.burst.non200 + m.steady.non200} answers other than 200 in repetition ${rep + 1}.`)
        } catch (error) {
          notes.push(`${key} failed: ${(error as Error).message.split('\n')[0]}`)
        }
      }
    }
    ctx.progress(`rep ${rep + 1}/${reps}`)
  }
  const sections: Array<{ id: string; title: string; rows: Row[] }> = []
  for (const framework of FRAMEWORKS) {
    const name = framework === 'node' ? 'node:http' : 'Fastify'
    for (const phase of ['burst', 'steady'] as const) {
      const rows: Row[] = []
      for (const v of VARIANTS) {
        const runs = samples.get(`${framework}/${v.id}`)
        if (!runs?.length) continue
        const waves = runs.map((r) => r[phase])
        rows.push({
          case: `${phase}-${framework}`,
          contender: v.id,
          label: v.label,
          value: median(waves.map((w) => w.totalMs)),
          unit: 'ms',
          samples: waves.map((w) => w.totalMs),
          extra: {
            p50: median(waves.map((w) => w.p50)),
            p99: median(waves.map((w) => w.p99)),
            max: median(waves.map((w) => w.max)),
            ...cpuMedians(waves),
          },
        })
      }
      sections.push({
        id: `${phase}-${framework}`,
        title:
          phase === 'burst'
            ? `Burst, ${name}: ${BURST_USERS.toLocaleString('en-US')} new users on a fresh server, time until all answered`
            : `Steady state, ${name}: the same ${BURST_USERS.toLocaleString('en-US')} users again`,
        rows,
      })
    }
  }
  return { rows: sections.flatMap((s) => s.rows), notes, sections }
}

export const burst: BenchCase = {
  id: 'burst',
  title: `HTTP burst: ${BURST_USERS.toLocaleString('en-US')} new users over ${BURST_CONNECTIONS} connections on a freshly started server, then the same users again`,
  run: runBurst,
}
