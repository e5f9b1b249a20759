/**
 * The nonces `GET nonces` hands out, which a wallet's sign-in message must carry: each is good
 * once, for a day (Dynamic's client keeps a pool of them for 24 hours before fetching new ones).
 * The client also signs some with its device key for request headers; the emulator does not check
 * those, so such a nonce simply stays unused until it expires.
 */
import { randomBytes } from 'node:crypto'

const LIFETIME_MS = 24 * 60 * 60 * 1000
const MAX_PENDING = 10_000

/** Why a nonce was not accepted. */
export type NonceRefusal = 'unknown' | 'used' | 'expired'

/** The nonces of one emulator. */
export class NonceStore {
  private readonly pending = new Map<string, number>()
  /** Nonces already used (kept as long as they would have lived, to say "used" rather than "unknown"). */
  private readonly used = new Map<string, number>()

  /** `count` new nonces (32 hex digits each). */
  issue(count: number): string[] {
    this.sweep()
    const expiresAt = Date.now() + LIFETIME_MS
    return Array.from({ length: count }, () => {
      const nonce = randomBytes(16).toString('hex')
      this.pending.set(nonce, expiresAt)
      return nonce
    })
  }

  /** Uses the nonce up: true when it was issued here, unused and alive; otherwise why not. */
  consume(nonce: string): true | NonceRefusal {
    if (this.used.has(nonce)) return 'used'
    const expiresAt = this.pending.get(nonce)
    if (expiresAt === undefined) return 'unknown'
    this.pending.delete(nonce)
    if (expiresAt <= Date.now()) return 'expired'
    this.used.set(nonce, expiresAt)
    return true
  }

  private sweep(): void {
    const now = Date.now()
    for (const [nonce, expiresAt] of this.pending) if (expiresAt <= now) this.pending.delete(nonce)
    for (const [nonce, expiresAt] of this.used) if (expiresAt <= now) this.used.delete(nonce)
    // Bounded: the oldest go first.
    while (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value as string)
    while (this.used.size >= MAX_PENDING) this.used.delete(this.used.keys().next().value as string)
  }
}
