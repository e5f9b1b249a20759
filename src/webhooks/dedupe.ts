/** Recognising Dynamic's redeliveries: each message carries a `messageId`, its idempotency key. */

/** Where processed message ids are remembered. In memory by default; `createRedisWebhookDedupe` shares them across a fleet. */
export interface WebhookDedupe {
  /** Records `messageId`; false when it was already recorded (a redelivery or a replay). */
  claim(messageId: string, ttlMs: number): Promise<boolean>
  /** Forgets `messageId` (its processing failed, so the redelivery must be processed). */
  release(messageId: string): Promise<void>
}

/** A bounded in-memory record of message ids (the oldest go first when full). */
export function createMemoryWebhookDedupe(maxEntries = 10_000, clock: () => number = Date.now): WebhookDedupe {
  const seen = new Map<string, number>()
  return {
    claim(messageId, ttlMs) {
      const now = clock()
      const until = seen.get(messageId)
      if (until !== undefined && until > now) return Promise.resolve(false)
      seen.delete(messageId)
      if (seen.size >= maxEntries) {
        for (const [id, expiry] of seen) if (expiry <= now) seen.delete(id)
        if (seen.size >= maxEntries) seen.delete(seen.keys().next().value!)
      }
      seen.set(messageId, now + ttlMs)
      return Promise.resolve(true)
    },
    release(messageId) {
      seen.delete(messageId)
      return Promise.resolve()
    },
  }
}
