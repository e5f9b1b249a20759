/** The default revocation store: one process, nothing shared. */
import { RevocationSet, type RevocationEntry, type RevocationSubject } from './revocation-set.js'
import type { RevocationStatus, RevocationStore, RevocationVerdict } from './store.js'

/** Options of {@link createMemoryRevocationStore}. */
export interface MemoryRevocationStoreOptions {
  /** The current time in ms. Default `Date.now`. */
  clock?: () => number
}

class MemoryRevocationStore implements RevocationStore {
  private readonly set: RevocationSet
  private readonly since: number
  version = 0

  constructor(clock: () => number) {
    this.set = new RevocationSet(clock)
    this.since = clock()
  }

  check(subject: RevocationSubject): RevocationVerdict | undefined {
    return this.set.has(subject) ? 'revoked' : undefined
  }

  add(entry: RevocationEntry): Promise<void> {
    if (this.set.add(entry)) this.version++
    return Promise.resolve()
  }

  status(): RevocationStatus {
    return { kind: 'memory', entries: this.set.size, connected: true, stale: false, since: this.since }
  }
}

/**
 * Revocations held in this process only: right for a single instance. A fleet needs a shared
 * store (`dynamic-guard/redis`), or a revocation made on one instance is unknown to the others.
 */
export function createMemoryRevocationStore(options: MemoryRevocationStoreOptions = {}): RevocationStore {
  return new MemoryRevocationStore(options.clock ?? Date.now)
}
