/**
 * A process that uses the Redis stores and closes them (and its client) must exit by itself: the
 * heartbeats and other timers never keep it alive. Run by faults.test.ts with a Redis URL.
 */
import { createClient } from 'redis'
import { createRedisRevocationStore, createRedisWebhookDedupe } from '../../src/redis/index.js'

const client = createClient({ url: process.argv[2] })
client.on('error', () => undefined)
await client.connect()
const store = createRedisRevocationStore({ client, whenStale: 'refuse', heartbeatInterval: 50 })
const dedupe = createRedisWebhookDedupe({ client, heartbeatInterval: 50 }) // never closed: its timer is unref'd
await store.ready()
await dedupe.claim('exit-test', 'holder', 1000)
await new Promise((resolve) => setTimeout(resolve, 200)) // a few heartbeats
await store.close()
await client.close()
process.stdout.write('closed\n')
