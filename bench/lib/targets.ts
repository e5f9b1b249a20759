/** The targets, as ratios computed from one run's rows. */
import type { Row } from './types.js'

export interface Target {
  readonly name: string
  /** The measured ratio (or MB for memory). */
  readonly value: number
  readonly goal: number
  /** `>=` ratios must reach the goal; `<` figures must stay under it. */
  readonly op: '>=' | '<'
  readonly met: boolean
}

function find(rows: readonly Row[], caseId: string, contender: string): number | undefined {
  return rows.find((r) => r.case === caseId && r.contender === contender)?.value
}

function ratio(name: string, a: number | undefined, b: number | undefined, goal: number): Target | undefined {
  if (a === undefined || b === undefined || b === 0) return undefined
  const value = a / b
  return { name, value, goal, op: '>=', met: value >= goal }
}

export function evaluateTargets(rows: readonly Row[]): Target[] {
  const dg = (c: string): number | undefined => find(rows, c, 'dynamic-guard')
  const floor = find(rows, 'cold', 'node-crypto')
  const targets: Array<Target | undefined> = [
    ratio('cold, one at a time ÷ node:crypto floor', dg('cold'), floor, 0.8),
    ratio('cold, one at a time ÷ fast-jwt (no cache)', dg('cold'), find(rows, 'cold', 'fast-jwt'), 1.05),
    ratio('cold, 64 in flight ÷ one-core floor', dg('inflight64'), floor, 1.3),
    ratio('warm ÷ fast-jwt cache hit', dg('warm'), find(rows, 'warm', 'fast-jwt-cache'), 3),
    ratio('malformed refusal ÷ cold verify', dg('refuse-malformed'), dg('cold'), 10),
    ratio('bad-signature refusal ÷ cold verify (a refusal costs less)', dg('refuse-signature'), dg('cold'), 1),
    ratio('expired refusal ÷ cold verify (a refusal costs less)', dg('refuse-expired'), dg('cold'), 1),
  ]
  const rss = dg('memory')
  if (rss !== undefined) targets.push({ name: 'RSS growth after 1M distinct tokens (MB)', value: rss, goal: 50, op: '<', met: rss < 50 })
  for (const framework of new Set(rows.filter((r) => r.case.startsWith('http-')).map((r) => r.case))) {
    const base = find(rows, framework, 'unprotected')
    const ours = find(rows, framework, 'dynamic-guard')
    const t = ratio(`${framework}: protected ÷ unprotected (repeated token)`, ours, base, 0.9)
    if (t) targets.push(t)
    for (const peer of rows.filter((r) => r.case === framework && r.contender !== 'unprotected' && r.contender !== 'dynamic-guard')) {
      const p = ratio(`${framework}: dynamic-guard ÷ ${peer.label}`, ours, peer.value, 1)
      if (p) targets.push({ ...p, met: p.value > 1 })
    }
  }
  return targets.filter((t): t is Target => t !== undefined)
}
