/**
 * The context every case runs in: the shared fixtures (key, tokens, JWKS server) and ready
 * verifiers, made on first use. `bench/run.ts` makes one; so does `bench/headline-node.ts`, which
 * runs the headline cases on another Node.
 */
import { CONTENDERS, type Verify } from './contenders.js'
import { COLD_POOL, createFixture, HEADLINE_BITS, type Fixture } from './fixture.js'
import type { BenchContext, Row } from './types.js'

export interface BenchRun {
  readonly ctx: BenchContext
  /** Every fixture made so far (to close at the end). */
  readonly fixtures: Map<number, Promise<Fixture>>
}

export function createBenchContext(options: {
  reps: number
  loopMs: number
  progress: (message: string) => void
  rows: Row[]
}): BenchRun {
  const { progress } = options
  const fixtures = new Map<number, Promise<Fixture>>()
  const verifierSets = new Map<string, Promise<Map<string, Verify>>>()
  const ctx: BenchContext = {
    reps: options.reps,
    loopMs: options.loopMs,
    fixture: (bits = HEADLINE_BITS) => {
      let fixture = fixtures.get(bits)
      if (!fixture) {
        progress(`minting ${COLD_POOL} distinct users' tokens (RSA-${bits}) with the local Dynamic emulator`)
        const mintStarted = performance.now()
        fixture = createFixture(COLD_POOL, (done) => progress(`  ${done}/${COLD_POOL} minted`), bits).then((fx) => {
          progress(`  minted in ${((performance.now() - mintStarted) / 1000).toFixed(1)} s`)
          return fx
        })
        fixtures.set(bits, fixture)
      }
      return fixture
    },
    verifiers: (bits = HEADLINE_BITS, kind) => {
      const id = `${bits}/${kind ?? 'ready'}`
      let set = verifierSets.get(id)
      if (!set) {
        set = (async () => {
          const fx = await ctx.fixture(bits)
          const map = new Map<string, Verify>()
          for (const c of CONTENDERS)
            map.set(c.id, await (kind === 'cold' && c.readyCold ? c.readyCold(fx) : c.ready(fx)))
          return map
        })()
        verifierSets.set(id, set)
      }
      return set
    },
    progress,
    rows: options.rows,
  }
  return { ctx, fixtures }
}
