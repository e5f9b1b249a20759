/**
 * The revocation store seam. The verifier asks a store, on every request (cache hits included),
 * whether a token's session was revoked; that question is answered from memory, synchronously.
 * How revocations reach the memory (one process, or a fleet over Redis) is the store's business.
 */
import type { RevocationEntry, RevocationSubject } from './revocation-set.js'

export type { RevocationEntry, RevocationSubject } from './revocation-set.js'

/**
 * What a check answers besides "not revoked" (`undefined`): `revoked`, or `unavailable` when a
 * shared store has been cut off from its source for longer than its staleness limit and was told
 * to refuse rather than serve from a stale set.
 */
export type RevocationVerdict = 'revoked' | 'unavailable'

/** A snapshot of a store, for health checks. */
export interface RevocationStatus {
  /** `memory`, `redis`, or a custom store's name. */
  readonly kind: string
  /** Live entries held in process. */
  readonly entries: number
  /** False while a shared store cannot reach its source (always true for memory). */
  readonly connected: boolean
  /** True once disconnected for longer than the store's staleness limit. */
  readonly stale: boolean
  /** When the state last changed (connected or disconnected), ms since the epoch. */
  readonly since: number
  /** When the set was last loaded in full from the shared source, if ever. */
  readonly lastSyncAt?: number
  /** The store's last error (a lost connection, say), if any. */
  readonly lastError?: string
  /** A shared store: how many revocations it has learnt from the fleet since it started (for metrics). */
  readonly received?: number
}

/** Where revocations live. Implement it to plug another shared backend. */
export interface RevocationStore {
  /** In-process and synchronous: never I/O. `undefined` means the token is not revoked. */
  check(subject: RevocationSubject): RevocationVerdict | undefined
  /**
   * Optional: a number that changes whenever `check` could answer differently for a subject it
   * last found not revoked (an entry added, the connection state changed). While it is unchanged,
   * the verifier skips `check` for a cached token. Leave it undefined to be asked every time.
   */
  readonly version?: number
  /**
   * Records a revocation: in process at once (before the promise settles), then wherever the
   * store shares it. Rejects when it could not be shared; the local entry stays.
   */
  add(entry: RevocationEntry): Promise<void>
  /** The store's state: for `auth.revocationStatus()` and health. */
  status(): RevocationStatus
  /** Resolves once the store holds the current set (a shared store's first load). Awaited by `warmUp()`. */
  ready?(): Promise<void>
  /** Releases connections and timers the store opened itself. */
  close?(): Promise<void>
}
