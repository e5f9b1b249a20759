/**
 * The one-time store: where ids that may be used once are recorded (single-use elevated tokens,
 * the nonces of session-key proofs). One store serves every kind, each under its own id prefix.
 */

/**
 * Records ids that may be used only once, until they expire. In memory for one instance
 * (`createMemoryOneTimeStore`), in Redis for a fleet (`createRedisOneTimeStore` of
 * `dynamic-guard/redis`); any object with this method will do.
 */
export interface OneTimeStore {
  /**
   * Records `id` as used until `expiresAt` (Unix seconds) and answers true, or answers false when
   * `id` is already recorded. Must be atomic (Redis `SET NX EXAT`): two concurrent claims of one
   * id, on one instance or on two, must never both answer true. A rejection (or a throw) refuses
   * the request it was asked for, with a 503: the store fails closed, since a claim that cannot be
   * recorded could be replayed.
   */
  claim(id: string, expiresAt: number): boolean | Promise<boolean>
}

/** True for an object with a `claim` function: what the `oneTimeStore` option accepts. */
export function isOneTimeStore(value: unknown): value is OneTimeStore {
  return typeof value === 'object' && value !== null && typeof (value as OneTimeStore).claim === 'function'
}
