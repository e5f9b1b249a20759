/**
 * What OpenTelemetry costs: the warm path (the same token again, answered by the verified-token
 * cache) and the cold path (a new token each time, cache off, RSA-4096), with telemetry off, with
 * the API present but no SDK registered (the default of an app that has not set OpenTelemetry
 * up), with a metrics SDK, and with metrics and traces. Each measurement runs in a process of its
 * own (bench/observability-child.ts) and counts CPU time, not wall time, so that the variants do
 * not share inline caches and a busy machine's waits are left out; repetitions rotate the order.
 * Overheads are relative to telemetry off. Targets: ≤ 2 % warm without an SDK, ≤ 10 % with one.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { median } from '../lib/measure.js'
import type { BenchCase, Row } from '../lib/types.js'
import { VARIANTS } from '../observability-child.js'

const run = promisify(execFile)
const CHILD = fileURLToPath(new URL('../observability-child.ts', import.meta.url))

async function once(variant: string, path: 'warm' | 'cold', ms: number): Promise<number> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, variant, path, String(ms)], {
    maxBuffer: 1 << 20,
  })
  return (JSON.parse(stdout.trim().split('\n').at(-1)!) as { rate: number }).rate
}

async function measure(reps: number, ms: number, path: 'warm' | 'cold', progress: (m: string) => void): Promise<Row[]> {
  const ids = Object.keys(VARIANTS)
  const samples = new Map<string, number[]>(ids.map((id) => [id, []]))
  for (let rep = 0; rep < reps; rep++) {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[(i + rep) % ids.length]!
      samples.get(id)!.push(await once(id, path, ms))
    }
    progress(`${path} rep ${rep + 1}/${reps}`)
  }
  const base = median(samples.get('off')!)
  return ids.map((id) => {
    const s = samples.get(id)!
    const value = median(s)
    return {
      case: `observability-${path}`,
      contender: id,
      label: VARIANTS[id]!.label,
      value,
      unit: 'verifications/s',
      samples: s,
      extra: { overheadPercent: Math.round((base / value - 1) * 1000) / 10, per: 'CPU second' },
    }
  })
}

export const observability: BenchCase = {
  id: 'observability',
  title:
    'OpenTelemetry cost: warm and cold, telemetry off / no SDK / metrics SDK / metrics + traces (verifications per CPU second)',
  async run(ctx) {
    const warm = await measure(ctx.reps, ctx.loopMs, 'warm', ctx.progress)
    const cold = await measure(ctx.reps, ctx.loopMs, 'cold', ctx.progress)
    return {
      rows: [...warm, ...cold],
      sections: [
        { id: 'observability-warm', title: 'Warm (same token, cache hit): overhead vs telemetry off', rows: warm },
        {
          id: 'observability-cold',
          title: 'Cold (new token, cache off, RSA-4096): overhead vs telemetry off',
          rows: cold,
        },
      ],
      notes: [
        "Targets: warm path ≤ 2 % without an SDK, ≤ 10 % with a metrics SDK. Traces cost a span per verification (the tracing SDK's own cost), reported apart.",
      ],
    }
  },
}
