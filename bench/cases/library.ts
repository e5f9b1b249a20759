/**
 * Library-level cases: every contender in one process, the same key and tokens, repetitions
 * interleaved across contenders (so machine noise spreads evenly), medians reported.
 */
import { CONTENDERS, nodeCryptoPool, type Contender, type Verify } from '../lib/contenders.js'
import type { Fixture } from '../lib/fixture.js'
import { afterBurst, inFlight, median, oneAtATime } from '../lib/measure.js'
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
  /** The contender whose verifier the loop runs (ignored with `make`). */
  readonly contender: string
  /** A verifier of its own (the bare thread-pool floor is no contender). */
  readonly make?: (fx: Fixture) => Verify | Promise<Verify>
  readonly unit: Unit
  readonly loop: Loop
}

interface Setup {
  /** Key size, default 4096. */
  readonly bits?: number
  /** The cold cases' verifiers (dynamic-guard's cache off). */
  readonly cold?: boolean
  /**
   * Each repetition measures every contender in this many slices of `loopMs / slices`, in turn
   * (A B C … A B C …), and averages them: on a shared machine, contenders measured next to each
   * other see the same moments. Default 1.
   */
  readonly slices?: number
  /**
   * Each contender's time per repetition, as a multiple of `loopMs`. The headline ratios are
   * judged per repetition, so their cases measure longer, in more slices. Default 1.
   */
  readonly span?: number
  /**
   * An unmeasured run of this many ms before each contender's slice. What ran before (another
   * library's slice) leaves a disturbance that outlasts the loops' own short warm-up; without
   * this, whoever follows a peer pays for it.
   */
  readonly warmupMs?: number
}

/**
 * Runs `loop` for each contender (and the references), `ctx.reps` times, interleaved (in slices
 * when `setup.slices` says so); one row each.
 */
async function measureAll(
  ctx: BenchContext,
  caseId: string,
  unit: Unit,
  loop: Loop,
  which: (c: Contender) => boolean = () => true,
  references: readonly Reference[] = [],
  setup: Setup = {},
): Promise<Row[]> {
  const fx = await ctx.fixture(setup.bits)
  const verifiers = new Map(await ctx.verifiers(setup.bits, setup.cold ? 'cold' : undefined))
  for (const r of references) if (r.make) verifiers.set(r.id, await r.make(fx))
  const chosen = CONTENDERS.filter(which)
  const samples = new Map<string, number[]>(
    [...chosen.map((c) => c.id), ...references.map((r) => r.id)].map((id) => [id, []]),
  )
  const slices = setup.slices ?? 1
  const loopMs = ctx.loopMs * (setup.span ?? 1)
  const sliceCtx: BenchContext = slices > 1 || loopMs !== ctx.loopMs ? { ...ctx, loopMs: loopMs / slices } : ctx
  const warmCtx: BenchContext | undefined = setup.warmupMs ? { ...ctx, loopMs: setup.warmupMs } : undefined
  const run = [
    ...chosen.map((c) => ({ id: c.id, go: (x: BenchContext) => loop(verifiers.get(c.id)!, x) })),
    ...references.map((r) => ({
      id: r.id,
      go: (x: BenchContext) => r.loop(verifiers.get(r.make ? r.id : r.contender)!, x),
    })),
  ]
  for (let rep = 0; rep < ctx.reps; rep++) {
    const sums = new Map(run.map((x) => [x.id, 0]))
    for (let slice = 0; slice < slices; slice++) {
      // Alternate the order, so that no contender always follows the same one.
      for (const x of slice % 2 ? [...run].reverse() : run) {
        if (warmCtx) await x.go(warmCtx)
        sums.set(x.id, sums.get(x.id)! + (await x.go(sliceCtx)))
      }
    }
    for (const x of run) samples.get(x.id)!.push(sums.get(x.id)! / slices)
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

/** The one-core floor measured inside another case's repetitions. */
const floorOneAtATime = (tokens: readonly string[]): Reference => ({
  id: 'floor-one-at-a-time',
  label: 'node:crypto floor, one at a time (same window)',
  contender: 'node-crypto',
  unit: 'verifications/s',
  loop: (v, c) => oneAtATime(v, tokens, { ms: c.loopMs }),
})

/** The second floor: callback `crypto.verify`, 64 in flight, nothing else: the machine's limit for concurrent work. */
const floorThreadPool = (tokens: readonly string[]): Reference => ({
  id: 'floor-thread-pool',
  label: 'node:crypto verify with callback (thread-pool floor)',
  contender: 'node-crypto',
  make: nodeCryptoPool,
  unit: 'verifications/s',
  loop: (v, c) => inFlight(v, tokens, 64, { ms: c.loopMs }),
})

/**
 * The headline (RSA-4096) ratio cases: three times as long, in eight interleaved slices, since
 * their targets hold per repetition, each slice after 250 ms unmeasured (measured: with the
 * loops' own warm-up alone, 64 in flight came out at 0.82-0.87× the bare pool when peers'
 * slices ran in between and 0.91-1.00× when only the floors did; with 300 ms, 0.92-1.04× both ways).
 */
const HEADLINE_TIMING = { slices: 8, span: 3, warmupMs: 250 } as const

function coldCase(id: string, title: string, bits?: number): BenchCase {
  return {
    id,
    title,
    async run(ctx) {
      const { tokens } = await ctx.fixture(bits)
      const cacheOn: Reference = {
        id: 'dynamic-guard-cache-on',
        label: 'dynamic-guard, cache on, every token new (same window)',
        contender: 'dynamic-guard',
        make: async () => (await ctx.verifiers(bits)).get('dynamic-guard')!,
        unit: 'verifications/s',
        loop: (v, c) => oneAtATime(v, tokens, { ms: c.loopMs }),
      }
      const references = bits === undefined ? [cacheOn] : []
      const rows = await measureAll(
        ctx,
        id,
        'verifications/s',
        (v, c) => oneAtATime(v, tokens, { ms: c.loopMs }),
        () => true,
        references,
        { bits, cold: true, ...(bits === undefined ? HEADLINE_TIMING : { slices: 4 }) },
      )
      return {
        rows,
        notes: [
          "dynamic-guard's verified-token cache is off here (it cannot help with new tokens); the reference row has it on, paying the insertion of every new token.",
        ],
      }
    },
  }
}

function inFlightCase(id: string, title: string, bits?: number): BenchCase {
  return {
    id,
    title,
    async run(ctx) {
      const { tokens } = await ctx.fixture(bits)
      const rows = await measureAll(
        ctx,
        id,
        'verifications/s',
        (v, c) => inFlight(v, tokens, 64, { ms: c.loopMs }),
        () => true,
        [floorOneAtATime(tokens), floorThreadPool(tokens)],
        { bits, cold: true, ...(bits === undefined ? HEADLINE_TIMING : { slices: 2 }) },
      )
      return { rows }
    },
  }
}

export const cold = coldCase('cold', 'Cold (RSA-4096): a new token each time, keys cached, one at a time')
export const inFlight64 = inFlightCase(
  'inflight64',
  'Cold (RSA-4096), 64 in flight (new tokens, a closed loop of 64 concurrent callers)',
)

/**
 * RSA-2048, the second table: cold one at a time and 64 in flight, every contender (the size most
 * JWT benchmarks use; a 2048-bit check costs about a third of a 4096-bit one).
 */
export const rsa2048: BenchCase = {
  id: 'rsa2048',
  title: 'RSA-2048 (second table): cold, one at a time and 64 in flight',
  async run(ctx) {
    const one = await coldCase('cold-2048', '', 2048).run(ctx)
    const many = await inFlightCase('inflight64-2048', '', 2048).run(ctx)
    return {
      rows: [...one.rows, ...many.rows],
      sections: [
        { id: 'cold-2048', title: 'RSA-2048, cold, one at a time', rows: one.rows },
        { id: 'inflight64-2048', title: 'RSA-2048, cold, 64 in flight', rows: many.rows },
      ],
    }
  },
}

/**
 * A lone caller right after a burst: 64 in flight for a moment, then 100 verifications one at a
 * time, each timed; the floor's 100 lone verifications are timed right after, the same way. Per
 * index, the median over the rounds; the row's figure is the rate of verifications 51-100.
 */
export const loneAfterBurst: BenchCase = {
  id: 'after-burst',
  title: 'Cold (RSA-4096): a lone caller right after a burst of 64 in flight (100 verifications, each timed)',
  async run(ctx) {
    const { tokens } = await ctx.fixture()
    const verifiers = await ctx.verifiers(undefined, 'cold')
    const ours = verifiers.get('dynamic-guard')!
    const floor = verifiers.get('node-crypto')!
    const rounds = ctx.loopMs < 400 ? 8 : 20
    const rows: Row[] = []
    const oursSamples: number[] = []
    const floorSamples: number[] = []
    const recovered: number[] = []
    for (let rep = 0; rep < ctx.reps; rep++) {
      const r = await afterBurst(ours, floor, tokens, rounds)
      oursSamples.push(r.rate51to100)
      floorSamples.push(r.floorRate)
      recovered.push(r.recoveredAfter)
      ctx.progress(
        `rep ${rep + 1}/${ctx.reps}: first 10 at ${r.first10Us.toFixed(0)} µs each, back at 0.9× the floor after ${r.recoveredAfter}`,
      )
    }
    rows.push(
      {
        case: 'after-burst',
        contender: 'dynamic-guard',
        label: 'dynamic-guard, verifications 51-100 after a burst',
        value: median(oursSamples),
        unit: 'verifications/s',
        samples: oursSamples,
        extra: { recoveredAfter: median(recovered) },
      },
      {
        case: 'after-burst',
        contender: 'node-crypto',
        label: 'node:crypto floor, one at a time (same window)',
        value: median(floorSamples),
        unit: 'verifications/s',
        samples: floorSamples,
      },
    )
    return {
      rows,
      notes: [
        `Back at 0.9× the floor after ${recovered.join(', ')} verifications (per repetition; the first index from which 10 in a row run at 0.9× the floor's rate, medians over ${rounds} bursts).`,
      ],
    }
  },
}

export const warm: BenchCase = {
  id: 'warm',
  title: 'Warm: the same token again (verified-token caches)',
  async run(ctx) {
    const { warmToken } = await ctx.fixture()
    const rows = await measureAll(ctx, 'warm', 'verifications/s', (v, c) =>
      oneAtATime(v, [warmToken], { ms: c.loopMs / 2 }),
    )
    return {
      rows,
      notes: [
        'Only dynamic-guard and fast-jwt (cache) remember verified tokens; for the others this is a cold verification of one token.',
      ],
    }
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
      const rows = await measureAll(
        ctx,
        id,
        'refusals/s',
        (v, c) => oneAtATime(v, tokens, { ms: c.loopMs / 2, warmupMs: 50 }, true),
        (c) => !c.floor || pick === 'badSignature',
        [accepting],
      )
      return { rows }
    },
  }
}

export const refuseBadSignature = refusal(
  'refuse-signature',
  'Refusal: bad signature (distinct tokens, one signature character changed)',
  'badSignature',
)
export const refuseExpired = refusal('refuse-expired', 'Refusal: expired token (valid signature)', 'expired')
export const refuseMalformed = refusal(
  'refuse-malformed',
  'Refusal: malformed tokens (a mix: "undefined", "null", no signature part, bad base64url, not a JWT, over-long)',
  'malformed',
)

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
    return {
      rows,
      notes: [
        'Lower is better. jose (local JWKS) and fast-jwt take the key in memory and fetch nothing, so they have no cold start here.',
      ],
    }
  },
}
