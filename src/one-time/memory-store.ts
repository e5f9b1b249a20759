/** The default one-time store: a Map in this process, swept by expiry. */
import type { OneTimeStore } from './store.js'

/** Options of {@link createMemoryOneTimeStore}. */
export interface MemoryOneTimeStoreOptions {
  /**
   * The most ids held at once. When the store is full of ids that have not expired, a claim is
   * refused (it rejects) rather than forgetting a live id: a forgotten single-use id could be
   * used again. Default 100,000.
   */
  maxEntries?: number
  /** The current time in ms. Default `Date.now`. */
  clock?: () => number
}

/** The default of {@link MemoryOneTimeStoreOptions.maxEntries}. */
export const DEFAULT_MAX_ONE_TIME_ENTRIES = 100_000

class MemoryOneTimeStore implements OneTimeStore {
  /** id → expiry, Unix seconds. */
  private readonly entries = new Map<string, number>()
  /** No entry expires before this (seconds), so sweeping before it frees nothing. */
  private earliestExpiry = Number.POSITIVE_INFINITY

  constructor(
    private readonly maxEntries: number,
    private readonly clock: () => number,
  ) {}

  claim(id: string, expiresAt: number): boolean | Promise<boolean> {
    if (typeof id !== 'string' || id.length === 0 || typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) {
      return Promise.reject(new TypeError('dynamic-guard: a one-time claim needs an id and an expiry in Unix seconds.'))
    }
    const now = this.clock() / 1000
    const known = this.entries.get(id)
    if (known !== undefined && known > now) return false
    // Already expired: nothing to keep (Redis drops a key set with a past EXAT at once, too).
    if (expiresAt <= now) {
      if (known !== undefined) this.entries.delete(id)
      return true
    }
    if (known === undefined && this.entries.size >= this.maxEntries) {
      this.sweep(now)
      if (this.entries.size >= this.maxEntries) {
        // Fail closed: evicting a live id would let it be used again.
        return Promise.reject(
          new Error(
            `dynamic-guard: the in-memory one-time store is full (${this.maxEntries} ids that have not expired); the claim is refused. Raise maxEntries of createMemoryOneTimeStore, or use a shared store such as createRedisOneTimeStore.`,
          ),
        )
      }
    }
    this.entries.set(id, expiresAt)
    if (expiresAt < this.earliestExpiry) this.earliestExpiry = expiresAt
    return true
  }

  /** Drops expired ids. Runs only when full, and only when something can have expired. */
  private sweep(now: number): void {
    if (now < this.earliestExpiry) return
    let earliest = Number.POSITIVE_INFINITY
    for (const [id, expiresAt] of this.entries) {
      if (expiresAt <= now) this.entries.delete(id)
      else if (expiresAt < earliest) earliest = expiresAt
    }
    this.earliestExpiry = earliest
  }

  /** How many ids are held (expired ones not yet swept included). */
  get size(): number {
    return this.entries.size
  }
}

/**
 * A one-time store in this process: right for one instance (each verifier makes its own by
 * default). A fleet needs a shared store (`createRedisOneTimeStore` of `dynamic-guard/redis`), or a
 * single-use token accepted on one instance is accepted again on another.
 *
 * Expired ids are swept when the store is full. When it is full of ids that have not expired,
 * claims are refused (the promise rejects, and the request is answered 503) until some expire:
 * it never forgets a live id to make room, since that id could then be used again.
 */
export function createMemoryOneTimeStore(options: MemoryOneTimeStoreOptions = {}): OneTimeStore {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('dynamic-guard: createMemoryOneTimeStore takes an options object ({ maxEntries, clock }).')
  }
  const { maxEntries = DEFAULT_MAX_ONE_TIME_ENTRIES, clock = Date.now } = options
  if (typeof maxEntries !== 'number' || !Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new TypeError('dynamic-guard: maxEntries of createMemoryOneTimeStore must be a whole number of at least 1.')
  }
  if (typeof clock !== 'function')
    throw new TypeError('dynamic-guard: clock of createMemoryOneTimeStore must be a function.')
  return new MemoryOneTimeStore(maxEntries, clock)
}
