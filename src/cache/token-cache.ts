/**
 * The verified-token cache: the same token seen again costs a map lookup, not an RSA check.
 * Keyed by the whole token string (no key-builder that could collide). Bounded: when full, the
 * oldest entry goes (a Map iterates in insertion order). An entry never outlives the token's
 * `exp`, and the caller re-checks time and key on every hit.
 */
import type { KeyEntry } from '../keys/key-set.js'
import type { VerifiedSession } from '../session/session.js'

/** What a cache hit gives back. */
export interface CachedVerification {
  readonly session: VerifiedSession
  /** `exp` in seconds. */
  readonly exp: number
  /** The key that verified it: a hit is void once that key leaves the JWKS. */
  readonly key: KeyEntry
  /**
   * The revocation store's `version` when this token was last found not revoked: while the
   * version is unchanged, a hit skips the revocation lookup.
   */
  revocationVersion?: number
}

/** A bounded map of verified tokens. */
export class TokenCache {
  private readonly entries = new Map<string, CachedVerification>()

  /** `onEvict` is told of each entry dropped to make room (for metrics). */
  constructor(
    private readonly maxEntries: number,
    private readonly onEvict?: () => void,
  ) {}

  get size(): number {
    return this.entries.size
  }

  get(token: string): CachedVerification | undefined {
    return this.maxEntries > 0 ? this.entries.get(token) : undefined
  }

  set(token: string, entry: CachedVerification): void {
    if (this.maxEntries <= 0) return
    if (this.entries.size >= this.maxEntries && !this.entries.has(token)) {
      // Evict the oldest insertion; a Map's first key is the oldest.
      const oldest = this.entries.keys().next().value
      if (oldest !== undefined) this.entries.delete(oldest)
      this.onEvict?.()
    }
    this.entries.set(token, entry)
  }

  delete(token: string): void {
    this.entries.delete(token)
  }

  /** Drops every entry for which `predicate` is true (used by revocation). */
  deleteWhere(predicate: (entry: CachedVerification) => boolean): void {
    for (const [token, entry] of this.entries) if (predicate(entry)) this.entries.delete(token)
  }

  clear(): void {
    this.entries.clear()
  }
}
