/**
 * The per-runtime workload of `bench/runtimes.ts`: RS256 verifications of distinct tokens (the
 * verified-token cache off, so every call checks a signature), one at a time and with 64 in
 * flight, for each crypto backend the runtime offers. Plain code for any runtime.
 *
 * Time is read after a request to the local server: workerd stops its clocks while a request
 * computes (a Spectre defence) and moves them on I/O, so that is the one reading every runtime
 * shares. Each measurement lasts long enough (>= `minMs`) for that round trip not to matter.
 */
import type * as DynamicGuard from '../src/index.js'

export interface WorkloadFixture {
  readonly environmentId: string
  readonly jwks: { keys: Array<Record<string, unknown>> }
  readonly tokens: readonly string[]
  /** A URL on 127.0.0.1 that answers quickly (the clock tick). */
  readonly pingUrl: string
}

export interface WorkloadOptions {
  readonly minMs: number
  readonly rounds: number
}

/** One backend's figures: verify/s, and CPU time per verification in µs where the runtime tells it. */
export interface BackendFigures {
  sequential: number
  inFlight64: number
  /** Process CPU time (all threads) per verification, one at a time; not on workerd. */
  cpuMicrosSequential?: number
  cpuMicrosInFlight64?: number
}

/** The figures of each backend: `{ webcrypto: { sequential: 9000, inFlight64: 20000, ... } }`. */
export type WorkloadResult = Record<string, BackendFigures>

type Library = Pick<typeof DynamicGuard, 'createDynamicAuth'>
type Backend = NonNullable<DynamicGuard.AdvancedOptions['signatureBackend']>

export async function runWorkload(
  lib: Library,
  backends: Record<string, Backend | undefined>,
  fixture: WorkloadFixture,
  options: WorkloadOptions,
): Promise<WorkloadResult> {
  const now = async (): Promise<number> => {
    await (await fetch(fixture.pingUrl)).arrayBuffer()
    return Date.now()
  }
  const auths = Object.entries(backends).map(([name, backend]) => {
    const auth = lib.createDynamicAuth({
      environmentId: fixture.environmentId,
      staticKeys: { jwks: fixture.jwks },
      advanced: { tokenCacheSize: 0, ...(backend ? { signatureBackend: backend } : {}) },
    })
    return { name, auth }
  })
  let next = 0
  const token = (): string => fixture.tokens[next++ % fixture.tokens.length]!
  for (const { auth } of auths) for (let i = 0; i < 200; i++) await auth.verifyToken(token()) // warm-up (JIT, key import)

  // CPU time of the whole process (every thread: WebCrypto and node:crypto's pool work elsewhere).
  // Unlike verify/s it hardly depends on what else the machine runs. Node, Bun and Deno have it.
  const processCpu = (globalThis as { process?: { cpuUsage?: () => { user: number; system: number } } }).process
    ?.cpuUsage
  const cpuMicros = (): number | undefined => {
    if (typeof processCpu !== 'function') return undefined
    const usage = processCpu()
    return usage.user + usage.system
  }

  const rate = async (
    auth: (typeof auths)[number]['auth'],
    inFlight: number,
  ): Promise<{ rate: number; cpu?: number }> => {
    const lane = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++) await auth.verifyToken(token())
    }
    const start = await now()
    const cpuStart = cpuMicros()
    let done = 0
    let elapsed = 0
    // Batches double in size, so that few clock readings (requests) fall inside the measurement.
    for (let batch = 256; elapsed < options.minMs; batch *= 2) {
      await Promise.all(Array.from({ length: inFlight }, () => lane(batch / inFlight)))
      done += batch
      elapsed = (await now()) - start
    }
    const cpuEnd = cpuMicros()
    const rate = Math.round(done / (elapsed / 1000))
    return cpuStart === undefined || cpuEnd === undefined
      ? { rate }
      : { rate, cpu: Math.round(((cpuEnd - cpuStart) / done) * 10) / 10 }
  }
  const min = (a: number | undefined, b: number | undefined): number | undefined =>
    a === undefined ? b : b === undefined ? a : Math.min(a, b)

  // Rounds alternate between the backends, and each figure is the best round: on a shared machine
  // other work only ever slows a round down, so the best one is the closest to the real speed.
  const result: WorkloadResult = {}
  for (let round = 0; round < options.rounds; round++) {
    for (const { name, auth } of auths) {
      const sequential = await rate(auth, 1)
      const inFlight64 = await rate(auth, 64)
      const best = result[name]
      const figures: BackendFigures = {
        sequential: Math.max(sequential.rate, best?.sequential ?? 0),
        inFlight64: Math.max(inFlight64.rate, best?.inFlight64 ?? 0),
      }
      const cpuSequential = min(sequential.cpu, best?.cpuMicrosSequential)
      const cpuInFlight = min(inFlight64.cpu, best?.cpuMicrosInFlight64)
      if (cpuSequential !== undefined) figures.cpuMicrosSequential = cpuSequential
      if (cpuInFlight !== undefined) figures.cpuMicrosInFlight64 = cpuInFlight
      result[name] = figures
    }
  }
  return result
}
