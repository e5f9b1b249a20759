/**
 * Decides where each RSA verification runs: here (synchronously, the fastest for one at a time)
 * or on libuv's thread pool (the other cores, worth it only when verifications overlap).
 *
 * The policy has no timing in it, so nothing measured in one phase (a busy moment, a burst) can
 * steer the next one:
 *
 * - **Lone caller → here.** No call is waiting on the pool and none arrived with this one: the
 *   synchronous path answers at once. One call in `probeEvery` (32), and the first call after an
 *   episode that saw overlap, is a probe: verified here too, but answered on the next turn of the
 *   event loop, so that requests arriving meanwhile from other sockets (each in its own event-loop
 *   callback, so never in the same run as this one) are seen to overlap. A probe costs a
 *   sequential caller one turn of the loop, not a trip to the pool: a pool thread that has to wait
 *   for a core on a busy machine never holds up a lone caller.
 * - **Overlap → the pool.** Several calls in one synchronous run (a burst: `Promise.all`, callers
 *   resuming together), or a call arriving while the pool works or a probe is out: the pool takes
 *   it, up to `poolTarget` verifications (the pool's threads).
 * - **Pool full → further calls queue on the pool**, up to `maxInFlight` handed to libuv at once
 *   (its pool also serves fs, dns and zlib); past that they wait here, in order, for a slot.
 *   This thread does not verify beside a full pool (see the benchmarks guide for why).
 *
 * A probe's answer is handed out after the event loop turns (`setImmediate`): otherwise callers
 * that resume in microtasks would keep this thread busy without end and the pool's answers, which
 * come back through the event loop, would wait. A refusal (`false`) is answered at once.
 *
 * An episode ends when the pool has nothing in flight; whether it saw overlap decides only whether
 * the very next call is a probe, so a lone caller after a burst stays on the synchronous path.
 */

/** Verifies one signature over `input` with `key`, here or on the pool. */
export type SyncVerify<K> = (key: K, input: string, signature: Uint8Array) => boolean
export type PoolVerify<K> = (key: K, input: string, signature: Uint8Array) => Promise<boolean>

export interface PoolScheduler<K> {
  verify(key: K, input: string, signature: Uint8Array): boolean | Promise<boolean>
}

export interface PoolSchedulerOptions {
  /**
   * Verifications on the pool while calls overlap. Default 4, the size of libuv's pool unless
   * `UV_THREADPOOL_SIZE` says otherwise (not read here: reading the environment needs a
   * permission on Deno).
   */
  poolTarget?: number
  /** Most verifications handed to libuv at once (its pool is shared with fs, dns and zlib); more wait in order. Default 64. */
  maxInFlight?: number
  /** A caller that overlaps with nothing has one call in this many answered a turn later, as a probe. Default 32. */
  probeEvery?: number
}

/** libuv's default pool size. */
const LIBUV_POOL_SIZE = 4

/**
 * Microtasks are queued with `.then` on this: Node's queueMicrotask also creates an AsyncResource
 * per call (and a new process compiles that machinery for its first verifications).
 */
const RESOLVED = Promise.resolve()

/**
 * A scheduler over `here` (synchronous) and `onPool` (the thread pool); see the module comment
 * for the policy. Every call is answered with its own verification's result.
 */
export function poolScheduler<K>(
  here: SyncVerify<K>,
  onPool: PoolVerify<K>,
  options: PoolSchedulerOptions = {},
): PoolScheduler<K> {
  const poolTarget = Math.max(1, options.poolTarget ?? LIBUV_POOL_SIZE)
  const maxInFlight = Math.max(poolTarget, options.maxInFlight ?? 64)
  const probeEvery = Math.max(1, options.probeEvery ?? 32)

  let inFlight = 0
  let overlapSeen = false // a call arrived while the pool was working (this episode)
  let lastEpisodeOverlapped = false
  let sinceProbe = 0

  // Calls in the current synchronous run (reset by a microtask): more than one is a burst.
  let callsThisRun = 0
  let resetQueued = false
  const resetRun = (): void => {
    callsThisRun = 0
    resetQueued = false
  }

  // Calls past maxInFlight, waiting for a slot on the pool (a queue with a moving head).
  interface Waiting {
    readonly key: K
    readonly input: string
    readonly signature: Uint8Array
    readonly resolve: (valid: boolean) => void
    readonly reject: (error: unknown) => void
  }
  let waiting: Waiting[] = []
  let waitingHead = 0

  const startNextWaiting = (): void => {
    const next = waiting[waitingHead]!
    waiting[waitingHead++] = undefined as never
    if (waitingHead === waiting.length) {
      waiting = []
      waitingHead = 0
    }
    runOnPool(next.key, next.input, next.signature).then(next.resolve, next.reject)
  }
  const settled = (): void => {
    if (--inFlight === 0 && waitingHead === waiting.length) {
      lastEpisodeOverlapped = overlapSeen
      overlapSeen = false
    }
    if (waitingHead < waiting.length && inFlight < maxInFlight) startNextWaiting()
  }
  const runOnPool = (key: K, input: string, signature: Uint8Array): Promise<boolean> => {
    inFlight++
    return onPool(key, input, signature).then(
      (valid) => {
        settled()
        return valid
      },
      (error: unknown) => {
        settled()
        throw error
      },
    )
  }
  // A probe: verified here, answered on the next turn; calls arriving meanwhile overlap.
  let probing = false
  let resolveProbe: ((valid: boolean) => void) | undefined
  const endProbe = (): void => {
    const resolve = resolveProbe!
    probing = false
    resolveProbe = undefined
    resolve(true)
  }
  const probe = (key: K, input: string, signature: Uint8Array): boolean | Promise<boolean> => {
    lastEpisodeOverlapped = false
    if (!here(key, input, signature)) return false
    probing = true
    setImmediate(endProbe)
    return new Promise((resolve) => (resolveProbe = resolve))
  }

  const wait = (key: K, input: string, signature: Uint8Array): Promise<boolean> =>
    new Promise((resolve, reject) => waiting.push({ key, input, signature, resolve, reject }))

  return {
    verify(key: K, input: string, signature: Uint8Array): boolean | Promise<boolean> {
      const burst = ++callsThisRun > 1
      if (!resetQueued) {
        resetQueued = true
        void RESOLVED.then(resetRun)
      }
      if (inFlight > 0 || probing) {
        overlapSeen = true
        if (inFlight < poolTarget) return runOnPool(key, input, signature)
        return inFlight < maxInFlight ? runOnPool(key, input, signature) : wait(key, input, signature)
      }
      if (burst) return runOnPool(key, input, signature)
      if (lastEpisodeOverlapped || ++sinceProbe >= probeEvery) {
        sinceProbe = 0
        return probe(key, input, signature)
      }
      return here(key, input, signature)
    },
  }
}
