/** Fleet-wide deduplication of Dynamic's webhook redeliveries: one `SET NX PX` per messageId. */
import type { WebhookDedupe } from '../webhooks/dedupe.js'
import { checkClient, command, keyPrefix, positive, type RedisClientLike } from './client.js'

/** Options of {@link createRedisWebhookDedupe}. */
export interface RedisWebhookDedupeOptions {
  /** A connected node-redis client. */
  client: RedisClientLike
  /** Prefix of the Redis keys. Default `dynamic-guard:`. */
  keyPrefix?: string
  /** Timeout of one Redis command, in ms. Default 2000. */
  commandTimeout?: number
}

/**
 * Remembers processed webhook messages in Redis, so a redelivery that lands on another instance
 * is still recognised. When Redis cannot answer, the webhook is refused with 503 and Dynamic
 * delivers it again later.
 */
export function createRedisWebhookDedupe(options: RedisWebhookDedupeOptions): WebhookDedupe {
  checkClient(options?.client)
  const { client } = options
  const prefix = `${keyPrefix(options.keyPrefix)}webhook:`
  const timeout = positive('commandTimeout', options.commandTimeout, 2000)
  return {
    async claim(messageId: string, ttlMs: number): Promise<boolean> {
      return (await command(client, ['SET', prefix + messageId, '1', 'NX', 'PX', String(Math.ceil(ttlMs))], timeout)) === 'OK'
    },
    async release(messageId: string): Promise<void> {
      await command(client, ['DEL', prefix + messageId], timeout)
    },
  }
}
