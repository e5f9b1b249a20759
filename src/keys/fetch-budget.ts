/**
 * A token bucket over JWKS fetches that unknown kids cause: `burst` at once, then one more every
 * `refillMs`. It keeps a flood of made-up kids far below Dynamic's rate limit on its JWKS
 * endpoint, while a real rotation (one new kid now and then) always finds a fetch available.
 */

/** How many fetches unknown kids may cause: `burst` at once, then one per `refillMs`. */
export interface FetchBudgetOptions {
  readonly burst: number
  readonly refillMs: number
}

export class FetchBudget {
  private tokens: number
  private updatedAt = Number.NEGATIVE_INFINITY

  constructor(private readonly options: FetchBudgetOptions) {
    this.tokens = options.burst
  }

  /** The earliest time (ms, the caller's clock) at which a fetch is allowed: `now` when one is. */
  availableAt(now: number): number {
    this.refill(now)
    if (this.tokens >= 1) return now
    return this.updatedAt + (1 - this.tokens) * this.options.refillMs
  }

  /** Spends one fetch (call only once `availableAt(now) <= now`, or for a fetch planned at that time). */
  take(now: number): void {
    this.refill(now)
    this.tokens -= 1
  }

  /** Gives back a fetch that did not reach the JWKS (it failed, or another budget stopped it). */
  refund(): void {
    this.tokens = Math.min(this.options.burst, this.tokens + 1)
  }

  private refill(now: number): void {
    if (this.updatedAt === Number.NEGATIVE_INFINITY || now < this.updatedAt) {
      this.updatedAt = now
      return
    }
    const gained = (now - this.updatedAt) / this.options.refillMs
    this.tokens = Math.min(this.options.burst, this.tokens + gained)
    this.updatedAt = now
  }
}
