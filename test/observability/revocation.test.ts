/**
 * The revocation store in the metrics and health, with a real redis-server: a revocation made on
 * one instance is counted as received on the other, the connected gauge and health follow Redis
 * going away and coming back, and the sync lag is reported.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createClient } from 'redis'
import { createDynamicAuth, type DynamicAuth } from '../../src/index.js'
import { METRIC_NAMES, TELEMETRY_ATTRIBUTES } from '../../src/telemetry.js'
import { createRedisRevocationStore, type RedisRevocationStore } from '../../src/redis/index.js'
import { createTestIssuer } from '../../src/testing/index.js'
import { startRedisServer, type RedisServer } from '../fleet/redis-server.js'
import { metricsHarness, total, type MetricsHarness } from './otel.js'

const waitFor = async (what: string, condition: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> => {
  const deadline = Date.now() + ms
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe('revocation store metrics and health (Redis)', () => {
  let redis: RedisServer
  let harness: MetricsHarness
  const clients: Array<{ quit(): Promise<unknown>; destroy(): unknown }> = []
  const stores: RedisRevocationStore[] = []

  before(async () => {
    redis = await startRedisServer()
    harness = metricsHarness()
  })
  after(async () => {
    for (const store of stores) await store.close()
    for (const client of clients) await client.quit().catch(() => client.destroy())
    await harness.shutdown()
    await redis.stop()
  })

  async function instance(
    withMetrics: boolean,
    timing: { commandTimeout?: number; heartbeatInterval?: number } = {},
  ): Promise<DynamicAuth> {
    const client = createClient({ url: redis.url, socket: { reconnectStrategy: () => 100 } })
    client.on('error', () => undefined)
    await client.connect()
    clients.push(client)
    const store = createRedisRevocationStore({ client, whenStale: 'serve', staleAfter: 500, ...timing })
    stores.push(store)
    await store.ready()
    const issuer = createTestIssuer()
    return createDynamicAuth({
      ...issuer.authOptions(),
      revocation: store,
      telemetry: withMetrics ? { meterProvider: harness.provider } : false,
    })
  }

  it('counts revocations received from the fleet and follows the connection', async () => {
    const a = await instance(false)
    const b = await instance(true)
    await a.revokeSession('session-from-a')
    await waitFor('the revocation to reach b', () => b.revocationStatus().entries === 1)
    let points = await harness.collect()
    assert.equal(total(points, METRIC_NAMES.revocationsReceived), 1)
    assert.equal(total(points, METRIC_NAMES.revocationConnected), 1)
    assert.equal(total(points, METRIC_NAMES.revocationEntries), 1)
    assert.ok(points.some((p) => p.name === METRIC_NAMES.revocationSyncLag))
    assert.equal(b.health().revocation.state, 'connected')

    await redis.stop()
    await waitFor('b to notice', () => !b.revocationStatus().connected)
    points = await harness.collect()
    assert.equal(total(points, METRIC_NAMES.revocationConnected), 0)
    await waitFor('staleness', () => b.health().revocation.state === 'stale_serving')
    assert.equal(b.health().status, 'degraded', 'serving from a stale set: degraded, not down')

    await redis.start()
    await waitFor('b to reconnect', () => b.revocationStatus().connected)
    points = await harness.collect()
    assert.equal(total(points, METRIC_NAMES.revocationConnected), 1)
    assert.equal(b.health().revocation.state, 'connected')
  })

  it('a Redis that stops answering without closing its socket (SIGSTOP) shows in the gauge and health like a closed one', async () => {
    const auth = await instance(true, { commandTimeout: 200, heartbeatInterval: 100 })
    await waitFor('connected', () => auth.revocationStatus().connected)
    redis.signal('SIGSTOP')
    try {
      await waitFor('the freeze to be noticed', () => !auth.revocationStatus().connected)
      const points = await harness.collect()
      assert.equal(
        total(points, METRIC_NAMES.revocationConnected, { [TELEMETRY_ATTRIBUTES.environmentId]: auth.environmentId }),
        0,
      )
      await waitFor('staleness', () => auth.health().revocation.state === 'stale_serving')
      assert.equal(auth.health().status, 'degraded')
    } finally {
      redis.signal('SIGCONT')
    }
    await waitFor('the store to answer again', () => auth.revocationStatus().connected)
    assert.equal(auth.health().revocation.state, 'connected')
  })
})
