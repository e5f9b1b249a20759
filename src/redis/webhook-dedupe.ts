/**
 * Fleet-wide deduplication of Dynamic's webhook redeliveries: one key per messageId, holding a
 * delivery's lease (`lease:<holder>`, expiring after the lease) or `done` (for the dedupe TTL).
 *
 * A claim Redis does not answer in time may still be made later (a frozen Redis runs the queued
 * command when it resumes): its delivery then tries to drop it (queued behind it, the drop runs
 * right after it), and it expires with its lease anyway. Redis then counts as silent: claims fail
 * at once, rather than each waiting out the timeout, until Redis answers a PING.
 */
import type { WebhookClaim, WebhookDedupe } from '../webhooks/dedupe.js'
import { checkClient, command, keyPrefix, type RedisClientLike } from './client.js'
import { commandLiveness } from './liveness.js'

/** Options of {@link createRedisWebhookDedupe}. */
export interface RedisWebhookDedupeOptions {
  /** A node-redis client (it may still be connecting). */
  client: RedisClientLike
  /** Prefix of the Redis keys. Default `dynamic-guard:`. */
  keyPrefix?: string
  /** Timeout of one Redis command, in ms; past it, Redis counts as silent until it answers a PING. Default 2000. */
  commandTimeout?: number
  /** How often Redis is PINGed, to notice one that stopped answering before a claim waits on it, in ms. Default 5000. */
  heartbeatInterval?: number
}

/** A webhook dedupe over Redis. */
export interface RedisWebhookDedupe extends WebhookDedupe {
  /** Stops the heartbeat (its timer never keeps a process alive). The client is yours to close. */
  close(): void
}

/** GET, and SET the lease only when the key is absent. `done` (or an older version's `1`) is done. */
const CLAIM_SCRIPT = `
local value = redis.call('GET', KEYS[1])
if value then
  if string.sub(value, 1, 6) == 'lease:' then return 'busy' end
  return 'done'
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 'claimed'`

/** Deletes the key only while it holds this holder's lease. */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`

/**
 * Remembers processed webhook messages in Redis, so that a redelivery landing on another instance
 * is still recognised. Only `onEvent` depends on it: revocations are applied on every delivery.
 * When Redis cannot answer, a delivery with an `onEvent` is answered 503, and Dynamic delivers it
 * again.
 */
export function createRedisWebhookDedupe(options: RedisWebhookDedupeOptions): RedisWebhookDedupe {
  checkClient(options?.client)
  const { client } = options
  const prefix = `${keyPrefix(options.keyPrefix)}webhook:`
  const { liveness, timeout } = commandLiveness(client, options)
  const run = (args: string[]): Promise<unknown> =>
    liveness.run(
      client,
      args,
      timeout,
      () => new Error('Redis is not answering (a command or PING went unanswered); waiting for it to answer again'),
    )
  const lease = (holder: string) => `lease:${holder}`
  return {
    async claim(messageId: string, holder: string, leaseMs: number): Promise<WebhookClaim> {
      const reply = String(
        await run(['EVAL', CLAIM_SCRIPT, '1', prefix + messageId, lease(holder), String(Math.ceil(leaseMs))]),
      )
      if (reply === 'claimed' || reply === 'done' || reply === 'busy') return reply
      throw new Error(`unexpected answer from Redis to a claim: ${reply.slice(0, 40)}`)
    },
    async complete(messageId: string, ttlMs: number): Promise<void> {
      await run(['SET', prefix + messageId, 'done', 'PX', String(Math.ceil(ttlMs))])
    },
    async release(messageId: string, holder: string): Promise<void> {
      // Sent even while silent: behind a claim still queued in a frozen Redis, it undoes it.
      await command(client, ['EVAL', RELEASE_SCRIPT, '1', prefix + messageId, lease(holder)], timeout)
    },
    close: () => liveness.close(),
  }
}
