/**
 * `dynamic-guard/redis`: run a fleet of verifiers on one Redis (node-redis v4 to v6, an optional
 * peer dependency you create and connect yourself).
 *
 * - {@link createRedisRevocationStore}: revocations shared through pub/sub into a local set;
 * - {@link createRedisKeyStore}: one JWKS fetch per refresh window for the whole fleet;
 * - {@link createRedisWebhookDedupe}: webhook redeliveries recognised on every instance;
 * - {@link createRedisOneTimeStore}: single-use elevated access tokens accepted once across the fleet.
 *
 * @example
 * import { createClient } from 'redis'
 * import { createDynamicAuth } from 'dynamic-guard'
 * import { createRedisKeyStore, createRedisRevocationStore } from 'dynamic-guard/redis'
 *
 * const client = createClient({ url: process.env.REDIS_URL }).on('error', console.error)
 * // connect() waits as long as Redis is absent: bound it (the stores work on a client still connecting).
 * await Promise.race([client.connect().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 5000))])
 * const auth = createDynamicAuth({
 *   environmentId: process.env.DYNAMIC_ENVIRONMENT_ID!,
 *   revocation: createRedisRevocationStore({ client, whenStale: 'refuse' }),
 *   jwks: { keyStore: createRedisKeyStore({ client }) },
 * })
 * await auth.warmUp() // rejects after 10 s without Redis; 'refuse' then answers 503 until the set loads
 *
 * @packageDocumentation
 */
export {
  createRedisRevocationStore,
  type RedisRevocationEvent,
  type RedisRevocationStore,
  type RedisRevocationStoreOptions,
} from './revocation-store.js'
export { createRedisKeyStore, type RedisKeyStoreEvent, type RedisKeyStoreOptions } from './key-store.js'
export { createRedisWebhookDedupe, type RedisWebhookDedupe, type RedisWebhookDedupeOptions } from './webhook-dedupe.js'
export type { RedisClientLike, RedisSubscriberLike } from './client.js'
export {
  createRedisOneTimeStore,
  type RedisOneTimeStore,
  type RedisOneTimeStoreOptions,
} from './one-time-store.js'
