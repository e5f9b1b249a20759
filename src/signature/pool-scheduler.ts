/**
 * Decides where each RSA verification runs: here (synchronously, the fastest for one at a time)
 * or on libuv's thread pool (another core, worth it only when verifications overlap).
 *
 * Overlap is seen two ways: several calls in one synchronous run (a burst: `Promise.all`, a
 * batch of callers resuming together), or calls arriving while a verification is on the pool
 * (requests from separate sockets, each in its own event-loop callback). A sequential caller
 * never overlaps: it is probed now and then (one call goes to the pool) and keeps the
 * synchronous path when nothing arrives meanwhile. Probes are spaced so that they cost about 1%
 * of a sequential caller's time, from the measured pool round trip (slow on a busy machine)
 * against the measured synchronous verification. When that round trip shows the other cores
 * busy, overlapping calls stay here too.
 *
 * While the pool works, calls that stay here answer after the event loop turns (`setImmediate`):
 * otherwise callers that resume in microtasks would keep this thread busy without end, and the
 * pool's answers, which come back through the event loop, would never be read.
 */

/** Verifies one signature over `input` with `key`, here or on the pool. */
export type SyncVerify<K> = (key: K, input: string, signature: Uint8Array) => boolean
export type PoolVerify<K> = (key: K, input: string, signature: Uint8Array) => Promise<boolean>

export interface PoolScheduler<K> {
  verify(key: K, input: string, signature: Uint8Array): boolean | Promise<boolean>
}

export interface PoolSchedulerOptions {
  /** Most verifications on the pool at once (libuv's pool is shared with fs, dns and zlib). Default 32. */
  maxInFlight?: number
}

/** Fewest calls between two probes of a sequential caller. */
const MIN_PROBE_INTERVAL = 256
/** A probe may cost a sequential caller about 1 / PROBE_BUDGET of its time. */
const PROBE_BUDGET = 100
/**
 * A lone pool verification slower than this many synchronous ones means the other cores are
 * busy (another process, or this one's other threads): offloading would then only add waiting.
 */
const POOL_BUSY_FACTOR = 8
/** One synchronous verification in this many is timed. */
const SYNC_SAMPLE_EVERY = 64

export function poolScheduler<K>(here: SyncVerify<K>, onPool: PoolVerify<K>, { maxInFlight = 32 }: PoolSchedulerOptions = {}): PoolScheduler<K> {
  let inFlight = 0
  let overlapSeen = false // a call arrived while the pool was working
  let concurrent = false // the last pool episode saw overlapping calls

  let sinceProbe = 0
  let probeInterval = MIN_PROBE_INTERVAL
  let syncMs = 0 // moving average of a synchronous verification
  let syncSamples = 0
  let roundTripMs = 0 // moving average of a lone pool verification, submit to answer
  let poolUses = 0
  let poolStarting = false

  let callsThisRun = 0
  let resetQueued = false
  const resetRun = (): void => {
    callsThisRun = 0
    resetQueued = false
  }

  let batch: Promise<boolean> | undefined
  let resolveBatch: ((valid: boolean) => void) | undefined
  const flush = (): void => {
    const resolve = resolveBatch!
    batch = undefined
    resolveBatch = undefined
    resolve(true)
  }
  const answerLater = (valid: boolean): boolean | Promise<boolean> => {
    if (!valid) return false // a refusal needs no other core's help: answer it now
    if (!batch) {
      batch = new Promise((resolve) => (resolveBatch = resolve))
      setImmediate(flush)
    }
    return batch
  }

  const updateProbeInterval = (): void => {
    if (syncMs > 0 && roundTripMs > 0) {
      probeInterval = Math.min(1e6, Math.max(MIN_PROBE_INTERVAL, Math.ceil((PROBE_BUDGET * roundTripMs) / syncMs)))
    }
  }

  /** Unknown until measured; then: does a verification on the pool come back soon enough? */
  const poolHelps = (): boolean => roundTripMs === 0 || syncMs === 0 || roundTripMs < POOL_BUSY_FACTOR * syncMs

  const runHere = (key: K, input: string, signature: Uint8Array): boolean => {
    if (++syncSamples < SYNC_SAMPLE_EVERY) return here(key, input, signature)
    syncSamples = 0
    const started = performance.now()
    const valid = here(key, input, signature)
    const took = performance.now() - started
    syncMs = syncMs === 0 ? took : syncMs * 0.9 + took * 0.1
    return valid
  }

  const runOnPool = (key: K, input: string, signature: Uint8Array): Promise<boolean> => {
    const lone = inFlight === 0
    poolStarting = poolUses++ === 0 // libuv starts its threads on first use: not a round trip to learn from
    inFlight++
    const started = performance.now()
    return onPool(key, input, signature).then((valid) => {
      if (lone && !overlapSeen && !poolStarting) {
        const took = performance.now() - started
        roundTripMs = roundTripMs === 0 ? took : roundTripMs * 0.8 + took * 0.2
        updateProbeInterval()
      }
      if (--inFlight === 0) {
        concurrent = overlapSeen
        overlapSeen = false
      }
      return valid
    })
  }

  return {
    verify(key: K, input: string, signature: Uint8Array): boolean | Promise<boolean> {
      const burst = ++callsThisRun > 1
      if (!resetQueued) {
        resetQueued = true
        queueMicrotask(resetRun)
      }
      if (inFlight > 0) {
        overlapSeen = true
        // While verifications overlap the pool takes them, up to maxInFlight: its threads keep both
        // cores on RSA while this thread parses and checks claims. (Alternating with this thread
        // was measured slower: 64 in flight, ~30k/s alternating against ~41k/s, floor ~35k/s.)
        if (inFlight < maxInFlight && poolHelps()) return runOnPool(key, input, signature)
        return answerLater(runHere(key, input, signature))
      }
      if (((burst || concurrent) && poolHelps()) || ++sinceProbe >= probeInterval) {
        sinceProbe = 0
        return runOnPool(key, input, signature)
      }
      return runHere(key, input, signature)
    },
  }
}
