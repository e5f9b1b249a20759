/**
 * The one-time store of a fleet: each id is one Redis key, set with `SET key 1 NX EXAT <expiry>`
 * (atomic: of two instances claiming one id, exactly one sets it), gone when it expires.
 *
 * It fails closed. A command Redis refuses, or does not answer within `commandTimeout`, rejects,
 * and the request is refused (503): a Redis that stopped answering without closing its socket
 * (frozen, a partition) cannot hang a request. Redis then counts as silent, and claims fail at
 * once until it answers a PING. A claim that timed out may still be recorded later (a frozen Redis
 * runs it when it resumes): its token was refused and is then spent, which is the safe side.
 */
import type { OneTimeStore } from '../one-time/store.js'
import { checkClient, keyPrefix, type RedisClientLike } from './client.js'
import { commandLiveness } from './liveness.js'

/** Options of {@link createRedisOneTimeStore}. */
export interface RedisOneTimeStoreOptions {
  /** A node-redis client (it may still be connecting: claims fail until it is ready). Redis 6.2 or later (`EXAT`). */
  client: RedisClientLike
  /** Prefix of the Redis keys; each id is stored under `<keyPrefix>one-time:<id>`. Default `dynamic-guard:`. */
  keyPrefix?: string
  /** Timeout of one Redis command, in ms; past it the claim is refused and Redis counts as silent until it answers a PING. Default 2000. */
  commandTimeout?: number
  /** How often Redis is PINGed, to notice one that stopped answering before a claim waits on it, in ms. Default 5000. */
  heartbeatInterval?: number
}

/** A one-time store over Redis. */
export interface RedisOneTimeStore extends OneTimeStore {
  /** Stops the heartbeat (its timer never keeps a process alive). The client is yours to close. */
  close(): void
}

/**
 * A one-time store shared by every instance on one Redis: a single-use elevated access token (or
 * a session-key proof's nonce) accepted by one instance is refused by all the others. Pass it as
 * the `oneTimeStore` option of createDynamicAuth. When Redis refuses, is not connected, or does not
 * answer in time, claims reject and their requests are answered 503 `one_time_store_unavailable`.
 */
export function createRedisOneTimeStore(options: RedisOneTimeStoreOptions): RedisOneTimeStore {
  if (options === null || typeof options !== 'object')
    throw new TypeError('dynamic-guard/redis: createRedisOneTimeStore needs an options object ({ client }).')
  checkClient(options.client)
  const { client } = options
  const prefix = `${keyPrefix(options.keyPrefix)}one-time:`
  const { liveness, timeout } = commandLiveness(client, options)
  const silent = () =>
    new Error(
      'dynamic-guard/redis: Redis is not answering (a command or PING went unanswered); claims are refused until it answers again',
    )
  return {
    async claim(id: string, expiresAt: number): Promise<boolean> {
      if (typeof id !== 'string' || id.length === 0 || typeof expiresAt !== 'number' || !Number.isFinite(expiresAt))
        throw new TypeError('dynamic-guard/redis: a one-time claim needs an id and an expiry in Unix seconds.')
      const reply = await liveness.run(
        client,
        ['SET', prefix + id, '1', 'NX', 'EXAT', String(Math.max(1, Math.ceil(expiresAt)))],
        timeout,
        silent,
      )
      if (reply === 'OK') return true
      if (reply === null || reply === undefined) return false
      throw new Error(
        `dynamic-guard/redis: unexpected answer from Redis to a one-time claim: ${String(reply).slice(0, 40)}`,
      )
    },
    close: () => liveness.close(),
  }
}
