/**
 * One JWKS fetch for the whole fleet: twenty instances (separate processes) starting together
 * make at most two JWKS requests; a 429's Retry-After holds every instance; unknown kids cause one
 * refetch per cooldown for the fleet, and a rotation is still picked up; without Redis each
 * instance fetches on its own.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createClient } from 'redis'
import { createDynamicAuth, type DynamicAuth } from '../../src/index.js'
import { createMemoryRevocationStore } from '../../src/revocation/index.js'
import { createRedisKeyStore, type RedisKeyStoreEvent } from '../../src/redis/index.js'
import { createTestIssuer } from '../../src/testing/index.js'
import { startJwksServer, type JwksServer } from '../support/jwks-server.js'
import { spawnInstance, type Instance } from './fleet.js'
import { startRedisServer, type RedisServer } from './redis-server.js'

const FLEET_SIZE = 20

let redis: RedisServer
const clients: Array<{ isOpen: boolean; close(): Promise<unknown>; destroy(): void }> = []

before(async () => {
  redis = await startRedisServer()
})

after(async () => {
  await Promise.all(clients.map((client) => (client.isOpen ? client.close().catch(() => client.destroy()) : undefined)))
  await redis?.stop()
})

async function connect() {
  const client = createClient({ url: redis.url, socket: { reconnectStrategy: () => 100 } })
  client.on('error', () => undefined)
  await client.connect()
  clients.push(client)
  return client
}

test(`${FLEET_SIZE} instances starting together make at most two JWKS requests`, async () => {
  const issuer = createTestIssuer()
  const jwks = await issuer.listen()
  const instances: Instance[] = []
  try {
    instances.push(
      ...(await Promise.all(
        Array.from({ length: FLEET_SIZE }, () =>
          spawnInstance(
            {
              redisUrl: redis.url,
              environmentId: issuer.environmentId,
              jwksUrl: jwks.jwksUrl,
              sharedKeys: true,
              waitForGo: true,
            },
            120_000,
          ),
        ),
      )),
    )
    assert.equal(new Set(instances.map((instance) => instance.pid)).size, FLEET_SIZE, 'one process per instance')
    assert.equal(jwks.jwksRequests, 0, 'no instance fetched before the start signal')
    // Every instance warms up at the same moment (a fleet's cold start).
    const warm = instances.map((instance) => instance.warm())
    for (const instance of instances) instance.send({ op: 'go' })
    await Promise.all(warm)
    const token = issuer.mint()
    const results = await Promise.all(instances.map((instance) => instance.verify(token)))
    assert.ok(
      results.every((result) => result.ok),
      'every instance verifies with the shared keys',
    )
    assert.ok(jwks.jwksRequests <= 2, `the fleet made ${jwks.jwksRequests} JWKS requests`)
    assert.ok(jwks.jwksRequests >= 1)
  } finally {
    await Promise.all(instances.map((instance) => instance.stop()))
    await jwks.close()
  }
})

describe('in one process, several verifiers sharing one Redis', () => {
  let prefix = 0
  /** A fleet of verifiers with their own key stores (as separate instances have) on one Redis prefix. */
  async function fleet(
    server: JwksServer,
    environmentId: string,
    size: number,
    events: RedisKeyStoreEvent[] = [],
    extra: { cooldown?: number } = {},
  ): Promise<DynamicAuth[]> {
    const keyPrefix = `fleet-${++prefix}:`
    const out: DynamicAuth[] = []
    for (let i = 0; i < size; i++) {
      const client = await connect()
      out.push(
        createDynamicAuth({
          environmentId,
          jwks: {
            url: server.url,
            keyStore: createRedisKeyStore({ client, keyPrefix, onEvent: (event) => events.push(event) }),
            ...extra,
          },
          revocation: createMemoryRevocationStore(),
        }),
      )
    }
    return out
  }

  test("a 429's Retry-After holds every instance; the keys come when it is over", async () => {
    const issuer = createTestIssuer()
    const server = await startJwksServer(issuer)
    try {
      server.behave((_req, res) => void res.writeHead(429, { 'retry-after': '30' }).end())
      const events: RedisKeyStoreEvent[] = []
      const [first, ...others] = await fleet(server, issuer.environmentId, 4, events)
      await assert.rejects(first!.warmUp(), (error: { code?: string; retryAfter?: number }) => {
        assert.equal(error.code, 'jwks_unavailable')
        assert.ok(error.retryAfter! >= 29, `retryAfter ${error.retryAfter}`)
        return true
      })
      assert.equal(server.requests, 1)
      assert.ok(events.some((event) => event.type === 'jwks_fleet_hold' && event.retryInMs === 30_000))
      // The other instances do not ask Dynamic at all while the hold lasts, and say when to retry.
      for (const auth of others) {
        await assert.rejects(auth.verifyToken(issuer.mint()), (error: { code?: string; retryAfter?: number }) => {
          assert.equal(error.code, 'jwks_unavailable')
          assert.ok(error.retryAfter! >= 25, `retryAfter ${error.retryAfter}`)
          return true
        })
      }
      assert.equal(server.requests, 1, 'one request for the whole fleet')
    } finally {
      await server.close()
    }
  })

  test('a hold of 1 s: once it is over, one instance fetches and the others read the copy', async () => {
    const issuer = createTestIssuer()
    const server = await startJwksServer(issuer)
    try {
      server.behave((_req, res) => void res.writeHead(503, { 'retry-after': '1' }).end())
      const auths = await fleet(server, issuer.environmentId, 3)
      await assert.rejects(auths[0]!.warmUp())
      assert.equal(server.requests, 1)
      server.serve()
      // Retry each instance until the hold is over (event-driven: each attempt is an answer).
      const deadline = Date.now() + 20_000
      for (const auth of auths) {
        for (;;) {
          try {
            await auth.verifyToken(issuer.mint())
            break
          } catch (error) {
            assert.equal((error as { code?: string }).code, 'jwks_unavailable')
            if (Date.now() > deadline) throw error
            await new Promise((resolve) =>
              setTimeout(resolve, Math.min(1000, ((error as { retryAfter?: number }).retryAfter ?? 1) * 1000)),
            )
          }
        }
      }
      assert.equal(server.requests, 2, 'the failed request, then one fetch for the fleet')
    } finally {
      await server.close()
    }
  })

  test('unknown kids: one fetch answers for every instance that met its kid before it; each instance remembers', async () => {
    const issuer = createTestIssuer()
    const server = await startJwksServer(issuer)
    try {
      const events: RedisKeyStoreEvent[] = []
      const auths = await fleet(server, issuer.environmentId, 4, events)
      await Promise.all(auths.map((auth) => auth.warmUp()))
      assert.equal(server.requests, 1)
      // A made-up kid on every instance at once: one instance fetches, the others wait for its copy.
      const forged = auths.map((_, i) => issuer.mint({ header: { kid: `forged-${i}` } }))
      await Promise.all(auths.map((auth, i) => assert.rejects(auth.verifyToken(forged[i]!), { code: 'key_not_found' })))
      assert.equal(server.requests, 2, 'one fetch for the fleet')
      assert.ok(
        events.some((event) => event.type === 'jwks_unknown_kid_cooldown'),
        'the others waited for the copy',
      )
      // The same kids again: remembered as absent, no request.
      for (const [i, auth] of auths.entries())
        await assert.rejects(auth.verifyToken(forged[i]!), { code: 'key_not_found' })
      assert.equal(server.requests, 2)

      // A rotation: the first instance that meets the new kid fetches it; the copy in Redis then
      // has it, so the others take it without a request.
      const fresh = createTestIssuer()
      const rotated = await startJwksServer(fresh)
      try {
        const rotatedEvents: RedisKeyStoreEvent[] = []
        const others = await fleet(rotated, fresh.environmentId, 3, rotatedEvents)
        await Promise.all(others.map((auth) => auth.warmUp()))
        assert.equal(rotated.requests, 1)
        fresh.rotateKey()
        const token = fresh.mint()
        for (const auth of others) assert.ok((await auth.verifyToken(token)).userId)
        assert.ok(rotatedEvents.some((event) => event.type === 'jwks_fetched_for_fleet'))
        assert.equal(rotated.requests, 2, 'the new kid was fetched once for the fleet')
      } finally {
        await rotated.close()
      }
    } finally {
      await server.close()
    }
  })

  test("a flood of made-up kids across the fleet: the fleet's budget bounds the fetches, and the rest is 503", async () => {
    const issuer = createTestIssuer({ modulusLength: 2048 })
    const server = await startJwksServer(issuer)
    try {
      // No minimum gap, so that the fleet budget (6 a minute by default) alone is seen.
      const auths = await fleet(server, issuer.environmentId, 4, [], { cooldown: 0 })
      await Promise.all(auths.map((auth) => auth.warmUp()))
      const before = server.requests
      const codes: string[] = []
      for (let i = 0; i < 24; i++) {
        const auth = auths[i % auths.length]!
        await auth
          .verifyToken(issuer.mint({ header: { kid: `flood-${i}` } }))
          .catch((error: { code: string; retryAfter?: number }) => {
            if (error.code === 'jwks_unavailable') assert.ok((error.retryAfter ?? 0) >= 1)
            codes.push(error.code)
          })
      }
      assert.equal(codes.length, 24, 'every made-up kid refused')
      const fetches = server.requests - before
      // The minute may turn during the loop: at most two minutes' budgets.
      assert.ok(fetches >= 6 && fetches <= 12, `${fetches} fetches for 24 made-up kids`)
      assert.ok(codes.filter((code) => code === 'jwks_unavailable').length >= 12, 'past the budget: 503, never a guess')
      // A known key still verifies at once.
      assert.ok((await auths[0]!.verifyToken(issuer.mint())).userId)
    } finally {
      await server.close()
    }
  })

  test('a Redis that stops answering (SIGSTOP) is noticed: loads go straight to the JWKS, without waiting on it each time', async () => {
    const frozen = await startRedisServer()
    const issuer = createTestIssuer({ modulusLength: 2048 })
    const server = await startJwksServer(issuer)
    const client = createClient({ url: frozen.url, socket: { reconnectStrategy: () => 100 } })
    client.on('error', () => undefined)
    await client.connect()
    try {
      const events: RedisKeyStoreEvent[] = []
      const auth = createDynamicAuth({
        environmentId: issuer.environmentId,
        jwks: {
          url: server.url,
          keyStore: createRedisKeyStore({
            client,
            commandTimeout: 300,
            heartbeatInterval: 100,
            onEvent: (event) => events.push(event),
          }),
        },
        revocation: createMemoryRevocationStore(),
      })
      await auth.warmUp()
      frozen.signal('SIGSTOP')
      // The heartbeat notices the silence; a new kid is then fetched directly.
      const deadline = Date.now() + 10_000
      while (
        !events.some(
          (event) => event.type === 'jwks_redis_unavailable' && /did not answer a PING/.test(event.message),
        ) &&
        Date.now() < deadline
      ) {
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      assert.ok(
        events.some((event) => event.type === 'jwks_redis_unavailable'),
        'the silence was reported',
      )
      issuer.rotateKey()
      const before = server.requests
      assert.ok((await auth.verifyToken(issuer.mint())).userId, 'a new key is accepted while Redis is frozen')
      assert.equal(server.requests, before + 1, 'fetched directly, once')
      frozen.signal('SIGCONT')
    } finally {
      frozen.signal('SIGCONT')
      await client.close().catch(() => client.destroy())
      await server.close()
      await frozen.stop()
    }
  })

  test('without Redis, each instance fetches on its own', async () => {
    const issuer = createTestIssuer()
    const server = await startJwksServer(issuer)
    const unreachable = createClient({ url: redis.url })
    try {
      // A client that is not connected: the shared store falls back to a direct fetch at once.
      const events: RedisKeyStoreEvent[] = []
      const auth = createDynamicAuth({
        environmentId: issuer.environmentId,
        jwks: {
          url: server.url,
          keyStore: createRedisKeyStore({ client: unreachable, onEvent: (e) => events.push(e) }),
        },
      })
      await auth.warmUp()
      assert.equal((await auth.verifyToken(issuer.mint())).userId.length > 0, true)
      assert.equal(server.requests, 1)
      assert.ok(events.some((event) => event.type === 'jwks_redis_unavailable'))
    } finally {
      await server.close()
    }
  })
})
