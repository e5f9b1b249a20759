/**
 * The closing note's evidence: a `node --cpu-prof` profile of the cold hot path, summarised as
 * the share of time per function (self time, samples inside the verification loop only). The
 * raw profile is kept in bench/results/ for Chrome DevTools or speedscope.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { BenchCase } from '../lib/types.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const RESULTS = `${ROOT}bench/results/`

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}

function summarise(file: string): Array<{ name: string; share: number }> {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const inHotPath = new Map<number, boolean>()
  const isInside = (id: number): boolean => {
    let known = inHotPath.get(id)
    if (known === undefined) {
      const node = byId.get(id)!
      const up = parent.get(id)
      known = node.callFrame.functionName === 'hotPath' || node.callFrame.functionName === '(garbage collector)' || (up !== undefined && isInside(up))
      inHotPath.set(id, known)
    }
    return known
  }
  const self = new Map<string, number>()
  let total = 0
  profile.samples.forEach((id, i) => {
    if (!isInside(id)) return
    const frame = byId.get(id)!.callFrame
    const file = frame.url.replace(/^.*\/(src|node_modules)\//, '$1/').replace(/^node:/, '')
    const name = `${frame.functionName || '(anonymous)'} ${file ? `(${file})` : ''}`.trim()
    const dt = profile.timeDeltas[i] ?? 0
    self.set(name, (self.get(name) ?? 0) + dt)
    total += dt
  })
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([name, t]) => ({ name, share: t / total }))
}

export const profile: BenchCase = {
  id: 'profile',
  title: 'CPU profile of the cold hot path (node --cpu-prof), self time inside the verification loop',
  async run(ctx) {
    const dir = `${RESULTS}profile-tmp/`
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-interval=100', `--cpu-prof-dir=${dir}`, '--import', 'tsx', `${ROOT}bench/profile-hot-path.ts`], { cwd: ROOT, stdio: 'ignore' })
      child.on('error', reject)
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`profile run exited with ${code}`))))
    })
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
    if (!file) throw new Error('no profile written')
    renameSync(`${dir}${file}`, `${RESULTS}hot-path.cpuprofile`)
    rmSync(dir, { recursive: true, force: true })
    const top = summarise(`${RESULTS}hot-path.cpuprofile`)
    ctx.progress(`top: ${top[0]?.name} ${(100 * (top[0]?.share ?? 0)).toFixed(0)}%`)
    return {
      rows: [],
      notes: [
        [
          'Self time per function inside the cold loop, garbage collection included (bench/results/hot-path.cpuprofile):',
          '',
          '| function | share |',
          '|---|---:|',
          ...top.map((t) => `| ${t.name.replace(/\|/g, '\\|')} | ${(100 * t.share).toFixed(1)}% |`),
        ].join('\n'),
      ],
    }
  },
}
