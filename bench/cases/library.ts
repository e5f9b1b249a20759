/**
 * Library-level cases: every contender in one process, the same key and tokens, repetitions
 * interleaved across contenders (so machine noise spreads evenly), medians reported.
 */
import { CONTENDERS, type Contender, type Verify } from '../lib/contenders.js'
import { inFlight, median, oneAtATime } from '../lib/measure.js'
import type { BenchCase, BenchContext, Row, Unit } from '../lib/types.js'

type Loop = (verify: Verify, ctx: BenchContext) => Promise<number>

/**
 * A figure measured inside another case's repetitions, so that a ratio across cases (a refusal
 * against an acceptance, 64 in flight against one at a time) compares the same moments of a
 * noisy machine.
 */
interface Reference {
  readonly id: string
  readonly label: string
  readonly contender: string
  readonly unit: Unit
  readonly loop: Loop
}

/** Runs `loop` for each contender (and the references), `ctx.reps` times, interleaved; one row each. */
async function measureAll(ctx: BenchContext, caseId: string, unit: Unit, loop: Loop, which: (c: Contender) => boolean = () => true, references: readonly Reference[] = []): Promise<Row[]> {
  const verifiers = await ctx.verifiers()
  const chosen = CONTENDERS.filter(which)
  const samples = new Map<string, number[]>([...chosen.map((c) => c.id), ...references.map((r) => r.id)].map((id) => [id, []]))
  for (let rep = 0; rep < ctx.reps; rep++) {
    for (const c of chosen) samples.get(c.id)!.push(await loop(verifiers.get(c.id)!, ctx))
    for (const r of references) samples.get(r.id)!.push(await r.loop(verifiers.get(r.contender)!, ctx))
    ctx.progress(`rep ${rep + 1}/${ctx.reps}`)
  }
  return [
    ...chosen.map((c) => {
      const s = samples.get(c.id)!
      return { case: caseId, contender: c.id, label: c.label, value: median(s), unit, samples: s }
    }),
    ...references.map((r) => {
      const s = samples.get(r.id)!
      return { case: caseId, contender: r.id, label: r.label, value: median(s), unit: r.unit, samples: s }
    }),
  ]
}

export const cold: BenchCase = {
  id: 'cold',
  title: 'Cold: a new token each time, keys cached, one at a time',
  async run(ctx) {
    const { tokens } = await ctx.fixture()
    return { rows: await measureAll(ctx, 'cold', 'verifications/s', (v, c) => oneAtATime(v, tokens, { ms: c.loopMs })) }
  },
}

export const inFlight64: BenchCase = {
  id: 'inflight64',
  title: 'Cold, 64 in flight (new tokens, a closed loop of 64 concurrent callers)',
  async run(ctx) {
    const { tokens } = await ctx.fixture()
    const floor: Reference = {
      id: 'floor-one-at-a-time',
      label: 'node:crypto floor, one at a time (same window)',
      contender: 'node-crypto',
      unit: 'verifications/s',
      loop: (v, c) => oneAtATime(v, tokens, { ms: c.loopMs }),
    }
    return { rows: await measureAll(ctx, 'inflight64', 'verifications/s', (v, c) => inFlight(v, tokens, 64, { ms: c.loopMs }), () => true, [floor]) }
  },
}

export const warm: BenchCase = {
  id: 'warm',
  title: 'Warm: the same token again (verified-token caches)',
  async run(ctx) {
    const { warmToken } = await ctx.fixture()
    const rows = await measureAll(ctx, 'warm', 'verifications/s', (v, c) => oneAtATime(v, [warmToken], { ms: c.loopMs / 2 }))
    return { rows, notes: ['Only dynamic-guard and fast-jwt (cache) remember verified tokens; for the others this is a cold verification of one token.'] }
  },
}

function refusal(id: string, title: string, pick: 'badSignature' | 'expired' | 'malformed'): BenchCase {
  return {
    id,
    title,
    async run(ctx) {
      const fx = await ctx.fixture()
      const tokens = fx[pick]
      const accepting: Reference = {
        id: 'dynamic-guard-accepting',
        label: 'dynamic-guard accepting new tokens (same window)',
        contender: 'dynamic-guard',
        unit: 'verifications/s',
        loop: (v, c) => oneAtATime(v, fx.tokens, { ms: c.loopMs / 2, warmupMs: 50 }),
      }
      const rows = await measureAll(ctx, id, 'refusals/s', (v, c) => oneAtATime(v, tokens, { ms: c.loopMs / 2, warmupMs: 50 }, true), (c) => !c.floor || pick === 'badSignature', [accepting])
      return { rows }
    },
  }
}

export const refuseBadSignature = refusal('refuse-signature', 'Refusal: bad signature (distinct tokens, one signature character changed)', 'badSignature')
export const refuseExpired = refusal('refuse-expired', 'Refusal: expired token (valid signature)', 'expired')
export const refuseMalformed = refusal('refuse-malformed', 'Refusal: malformed tokens (a mix: "undefined", "null", no signature part, bad base64url, not a JWT, over-long)', 'malformed')

export const coldStart: BenchCase = {
  id: 'cold-start',
  title: 'Cold start: a new verifier, first verification including the JWKS fetch from a local server',
  async run(ctx) {
    const fx = await ctx.fixture()
    const chosen = CONTENDERS.filter((c) => c.fresh)
    const runs = Math.max(5, ctx.reps)
    const samples = new Map<string, number[]>(chosen.map((c) => [c.id, []]))
    for (let rep = 0; rep < runs; rep++) {
      for (const c of chosen) {
        const verify = c.fresh!(fx)
        const start = performance.now()
        await verify(fx.tokens[rep]!)
        samples.get(c.id)!.push(performance.now() - start)
      }
    }
    ctx.progress(`${runs} runs each`)
    const rows: Row[] = chosen.map((c) => {
      const s = samples.get(c.id)!
      return { case: 'cold-start', contender: c.id, label: c.label, value: median(s), unit: 'ms', samples: s }
    })
    return { rows, notes: ['Lower is better. jose (local JWKS) and fast-jwt take the key in memory and fetch nothing, so they have no cold start here.'] }
  },
}
