/**
 * The closing note's evidence: CPU profiles (node:inspector, in a child process) of the cold
 * paths at RSA-4096, one at a time and 64 in flight, summarised as the share of the main thread's
 * time per function (self time, idle and garbage collection included), with where the process's
 * CPU time went (main thread against the thread pool). The summaries are written to
 * bench/results/profile.md (committed); the raw profiles (*.cpuprofile, gitignored) stay next to
 * it for Chrome DevTools or speedscope.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { BenchCase } from '../lib/types.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const RESULTS = `${ROOT}bench/results/`

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}

interface Share {
  readonly name: string
  readonly share: number
}

/** Self time per function over the whole (phase-only) profile, top `limit`. */
export function summarise(file: string, limit = 14): { top: Share[]; idle: number; gc: number } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: ProfileNode[]
    samples: number[]
    timeDeltas: number[]
  }
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<string, number>()
  let total = 0
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)!.callFrame
    const file = frame.url.replace(/^.*\/(src|node_modules|bench)\//, '$1/').replace(/^node:/, '')
    const name = `${frame.functionName || '(anonymous)'} ${file ? `(${file})` : ''}`.trim()
    const dt = profile.timeDeltas[i] ?? 0
    self.set(name, (self.get(name) ?? 0) + dt)
    total += dt
  })
  const shareOf = (name: string): number => (self.get(name) ?? 0) / total
  return {
    top: [...self]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, t]) => ({ name, share: t / total })),
    idle: shareOf('(idle)'),
    gc: shareOf('(garbage collector)'),
  }
}

interface PhaseStats {
  readonly phase: string
  readonly verifications: number
  readonly wallMs: number
  readonly cpuUs: number
  /** The main thread's CPU time (Linux), µs. */
  readonly mainCpuUs?: number
}

function runChild(fixtureFile: string, phase: 'one' | 'concurrent', out: string): Promise<PhaseStats> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', `${ROOT}bench/profile-paths.ts`, fixtureFile, phase, out],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d))
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(stdout.trim().split('\n').pop()!) as PhaseStats)
        : reject(new Error(`profile run (${phase}) exited with ${code}: ${stderr.slice(-500)}`)),
    )
  })
}

function table(title: string, stats: PhaseStats, summary: ReturnType<typeof summarise>, file: string): string {
  const perVerification = (us: number): string => `${(us / stats.verifications).toFixed(1)} µs`
  const main =
    stats.mainCpuUs === undefined
      ? `main thread not idle ${(100 * (1 - summary.idle)).toFixed(0)}% of the samples`
      : `of which the main thread ${perVerification(stats.mainCpuUs)} and the other threads (libuv's pool, V8's helpers, the profiler) ${perVerification(Math.max(0, stats.cpuUs - stats.mainCpuUs))}`
  return [
    `**${title}** (\`bench/results/${file}\`): ${stats.verifications.toLocaleString('en-US')} verifications in ${(stats.wallMs / 1000).toFixed(1)} s ` +
      `(${Math.round((stats.verifications * 1000) / stats.wallMs).toLocaleString('en-US')}/s). Process CPU time ${perVerification(stats.cpuUs)} per verification, ${main}; ` +
      `the main thread was idle in ${(100 * summary.idle).toFixed(0)}% of the samples, in garbage collection in ${(100 * summary.gc).toFixed(1)}%. ` +
      "In the table, `run` is node:crypto's RSA verification on the main thread (a lone call, or a probe).",
    '',
    '| function (self time, main thread) | share |',
    '|---|---:|',
    ...summary.top.map((t) => `| ${t.name.replace(/\|/g, '\\|')} | ${(100 * t.share).toFixed(1)}% |`),
  ].join('\n')
}

export const profile: BenchCase = {
  id: 'profile',
  title: 'CPU profiles of the cold paths at RSA-4096 (node:inspector): one at a time, and 64 in flight',
  async run(ctx) {
    const fx = await ctx.fixture()
    const dir = `${RESULTS}profile-tmp/`
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    const fixtureFile = `${dir}fixture.json`
    writeFileSync(fixtureFile, JSON.stringify({ options: fx.issuer.authOptions(), tokens: fx.tokens }))
    try {
      const notes: string[] = []
      for (const [phase, file, title] of [
        ['one', 'cold-one-at-a-time.cpuprofile', 'Cold, one at a time'],
        ['concurrent', 'cold-64-in-flight.cpuprofile', 'Cold, 64 in flight'],
      ] as const) {
        const stats = await runChild(fixtureFile, phase, `${RESULTS}${file}`)
        const summary = summarise(`${RESULTS}${file}`)
        ctx.progress(
          `${phase}: ${Math.round((stats.verifications * 1000) / stats.wallMs)}/s, main thread idle ${(100 * summary.idle).toFixed(0)}%, top ${summary.top.find((t) => !t.name.startsWith('('))?.name}`,
        )
        notes.push(table(title, stats, summary, file))
      }
      writeFileSync(
        `${RESULTS}profile.md`,
        `# CPU profiles of the cold paths (RSA-4096, verified-token cache off)\n\nWritten by \`npm run bench\` (case \`profile\`) on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.\n\n${notes.join('\n\n')}\n`,
      )
      return { rows: [], notes }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  },
}
