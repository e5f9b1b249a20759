/**
 * Recognising Dynamic's redeliveries: each message carries a `messageId`, its idempotency key.
 *
 * Only `onEvent` is run once per message: the revocation a message carries is applied on every
 * delivery, so that nothing a dedupe store answers (or fails to answer) can stand for a
 * revocation that was never made. A delivery takes a *lease* on its message while `onEvent` runs,
 * and marks it *done* once `onEvent` has succeeded. A lease that is neither completed nor
 * released (the process died, or the claim timed out on the client and ran in Redis later)
 * expires by itself, so it delays the message's processing by one lease at most.
 */

/** What a claim found: `claimed` (this delivery processes the message), `done` (processed before), `busy` (another delivery's lease runs). */
export type WebhookClaim = 'claimed' | 'done' | 'busy'

/** Where message ids are kept. In memory by default; `createRedisWebhookDedupe` shares them across a fleet. */
export interface WebhookDedupe {
  /**
   * Takes a lease of `leaseMs` on `messageId` for `holder` (one delivery), unless the message was
   * processed already (`done`) or another delivery holds a lease on it (`busy`).
   */
  claim(messageId: string, holder: string, leaseMs: number): Promise<WebhookClaim>
  /** Marks `messageId` processed for `ttlMs`: later deliveries are duplicates. */
  complete(messageId: string, ttlMs: number): Promise<void>
  /** Drops `holder`'s lease (its processing failed), so that the next delivery processes the message; another holder's lease or a `done` mark stays. */
  release(messageId: string, holder: string): Promise<void>
}

interface Mark {
  /** The lease holder, or undefined once done. */
  readonly holder: string | undefined
  readonly until: number
}

/** A bounded in-memory record of message ids (the oldest go first when full). */
export function createMemoryWebhookDedupe(maxEntries = 10_000, clock: () => number = Date.now): WebhookDedupe {
  const seen = new Map<string, Mark>()
  const put = (messageId: string, record: Mark) => {
    const now = clock()
    seen.delete(messageId)
    if (seen.size >= maxEntries) {
      for (const [id, { until }] of seen) if (until <= now) seen.delete(id)
      if (seen.size >= maxEntries) seen.delete(seen.keys().next().value!)
    }
    seen.set(messageId, record)
  }
  return {
    claim(messageId, holder, leaseMs) {
      const known = seen.get(messageId)
      if (known !== undefined && known.until > clock())
        return Promise.resolve(known.holder === undefined ? 'done' : 'busy')
      put(messageId, { holder, until: clock() + leaseMs })
      return Promise.resolve('claimed')
    },
    complete(messageId, ttlMs) {
      put(messageId, { holder: undefined, until: clock() + ttlMs })
      return Promise.resolve()
    },
    release(messageId, holder) {
      if (seen.get(messageId)?.holder === holder) seen.delete(messageId)
      return Promise.resolve()
    },
  }
}
