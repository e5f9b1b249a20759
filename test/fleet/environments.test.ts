/**
 * Several environments across a fleet, with real parts: two verifiers over a live and a sandbox
 * environment served by the local Dynamic, sharing a real redis-server for the JWKS and the
 * revocations; and the webhook endpoint routing each environment's events, over real HTTP.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createClient } from 'redis'
import { createDynamicAuth, type DynamicAuth } from '../../src/index.js'
import { createRedisKeyStore, createRedisRevocationStore, type RedisKeyStoreEvent } from '../../src/redis/index.js'
import { createTestEnvironments, type TestEnvironmentsServer } from '../../src/testing/environments.js'
import {
  createDynamicWebhooks,
  signWebhookBody,
  SIGNATURE_HEADER,
  type WebhookDelivery,
} from '../../src/webhooks/index.js'
import { serveFetch, type RunningApp } from '../adapters/harness.js'
import { startRedisServer, type RedisServer } from './redis-server.js'

const project = createTestEnvironments()
const live = project.environment('live')
const sandbox = project.environment('sandbox')
let redis: RedisServer
let server: TestEnvironmentsServer
const closers: Array<() => Promise<unknown>> = []

before(async () => {
  redis = await startRedisServer()
  server = await project.listen()
})
after(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined)
  await server?.close()
  await redis?.stop()
})

async function connect() {
  const client = createClient({ url: redis.url, socket: { reconnectStrategy: () => 100 } })
  client.on('error', () => undefined)
  await client.connect()
  closers.push(() => client.close())
  return client
}

/** One instance of the fleet: a verifier over both environments, its JWKS and revocations through Redis. */
async function instance(events: RedisKeyStoreEvent[]): Promise<DynamicAuth> {
  const client = await connect()
  const revocation = createRedisRevocationStore({ client, whenStale: 'refuse' })
  closers.push(() => revocation.close())
  const auth = createDynamicAuth({
    environments: [
      { id: live.environmentId, name: 'live', jwks: { url: server.environment('live').jwksUrl } },
      { id: sandbox.environmentId, name: 'sandbox', jwks: { url: server.environment('sandbox').jwksUrl } },
    ],
    jwks: { keyStore: createRedisKeyStore({ client, onEvent: (event) => events.push(event) }) },
    revocation,
    telemetry: false,
  })
  await auth.warmUp()
  return auth
}

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  assert.fail(`never: ${what}`)
}

const refusedWith = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (error: { code?: string }) => error.code ?? 'unknown',
  )

describe('a fleet over two environments, through Redis', () => {
  let first: DynamicAuth
  let second: DynamicAuth
  const firstEvents: RedisKeyStoreEvent[] = []
  const secondEvents: RedisKeyStoreEvent[] = []

  before(async () => {
    first = await instance(firstEvents)
    second = await instance(secondEvents)
  })

  test("shares each environment's JWKS under its own URL: one fetch per environment for the fleet", async () => {
    assert.equal(server.environment('live').jwksRequests, 1)
    assert.equal(server.environment('sandbox').jwksRequests, 1)
    const fetched = firstEvents.filter((e) => e.type === 'jwks_fetched_for_fleet').map((e) => e.url)
    assert.deepEqual(fetched.sort(), [server.environment('live').jwksUrl, server.environment('sandbox').jwksUrl].sort())
    const read = secondEvents.filter((e) => e.type === 'jwks_read_from_redis').map((e) => e.url)
    assert.deepEqual(read.sort(), fetched.sort(), 'the second instance read both copies from Redis')
    for (const auth of [first, second]) {
      assert.equal((await auth.verifyToken(live.mint())).environmentName, 'live')
      assert.equal((await auth.verifyToken(sandbox.mint())).environmentName, 'sandbox')
    }
    assert.equal(server.environment('live').jwksRequests + server.environment('sandbox').jwksRequests, 2)
    assert.deepEqual(
      second.health().environments?.map((env) => [env.name, env.keys.state]),
      [
        ['live', 'fresh'],
        ['sandbox', 'fresh'],
      ],
    )
  })

  test('a revocation made by one instance refuses that session on the other, in either environment', async () => {
    const liveToken = live.mint({ sid: 'fleet-live-session' })
    const sandboxToken = sandbox.mint({ sid: 'fleet-sandbox-session' })
    await second.verifyToken(liveToken)
    await second.verifyToken(sandboxToken)
    await first.revokeSession('fleet-live-session')
    await first.revokeSession('fleet-sandbox-session')
    await eventually(
      async () => (await refusedWith(second.verifyToken(liveToken))) === 'session_revoked',
      'live refused',
    )
    await eventually(
      async () => (await refusedWith(second.verifyToken(sandboxToken))) === 'session_revoked',
      'sandbox refused',
    )
  })

  describe('webhooks', () => {
    const LIVE_SECRET = 'live-webhook-secret'
    const SANDBOX_SECRET = 'sandbox-webhook-secret'
    let endpoint: RunningApp
    let single: RunningApp
    const deliveries: Array<{ environmentId: unknown; delivery: WebhookDelivery }> = []

    before(async () => {
      const perEnvironment = createDynamicWebhooks({
        secrets: { live: LIVE_SECRET, [sandbox.environmentId]: SANDBOX_SECRET },
        auth: first,
        onEvent: (event, delivery) => void deliveries.push({ environmentId: event.environmentId, delivery }),
        telemetry: false,
      })
      endpoint = await serveFetch(perEnvironment.fetch)
      // One webhook secret for both (one webhook URL configured in each environment with the same secret).
      single = await serveFetch(createDynamicWebhooks({ secret: LIVE_SECRET, auth: first, telemetry: false }).fetch)
      closers.push(
        () => endpoint.close(),
        () => single.close(),
      )
    })

    let messages = 0
    const deliver = async (url: string, secret: string, environment: { id: string; name: string }, sid: string) => {
      const body = JSON.stringify({
        messageId: `message-${++messages}`,
        eventName: 'user.session.revoked',
        environmentId: environment.id,
        environmentName: environment.name,
        data: { id: sid },
      })
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signWebhookBody(secret, body) },
        body,
      })
      return { status: response.status, body: (await response.json()) as Record<string, unknown> }
    }
    const liveEnv = { id: live.environmentId, name: 'live' }
    const sandboxEnv = { id: sandbox.environmentId, name: 'sandbox' }

    test("routes each event by its envelope's environment, signed with that environment's secret", async () => {
      const sandboxToken = sandbox.mint({ sid: 'hooked-sandbox' })
      await second.verifyToken(sandboxToken)
      const answer = await deliver(endpoint.url, SANDBOX_SECRET, sandboxEnv, 'hooked-sandbox')
      assert.deepEqual([answer.status, answer.body], [200, { ok: true, action: 'session_revoked' }])
      assert.deepEqual(deliveries.at(-1), {
        environmentId: sandbox.environmentId,
        delivery: { action: 'session_revoked', signedOver: 'raw_body', environmentName: 'sandbox' },
      })
      await eventually(
        async () => (await refusedWith(second.verifyToken(sandboxToken))) === 'session_revoked',
        'the other instance refuses the session the sandbox webhook revoked',
      )
      const liveAnswer = await deliver(endpoint.url, LIVE_SECRET, liveEnv, 'hooked-live')
      assert.equal(liveAnswer.status, 200)
      assert.equal(deliveries.at(-1)?.delivery.environmentName, 'live')
    })

    test("refuses an event signed with another environment's secret: 401 environment_mismatch, nothing revoked", async () => {
      const liveToken = live.mint({ sid: 'not-revoked-by-sandbox' })
      const answer = await deliver(endpoint.url, SANDBOX_SECRET, liveEnv, 'not-revoked-by-sandbox')
      assert.equal(answer.status, 401)
      assert.equal(answer.body.error, 'environment_mismatch')
      assert.match(String(answer.body.message), /signed with the webhook secret of environment sandbox/)
      assert.equal((await first.verifyToken(liveToken)).sessionId, 'not-revoked-by-sandbox')
      const wrong = await deliver(endpoint.url, 'another-secret', liveEnv, 'x')
      assert.deepEqual([wrong.status, wrong.body.error], [401, 'signature_invalid'])
    })

    test("with one secret, both of the verifier's environments are processed, and a third is ignored", async () => {
      const sandboxToken = sandbox.mint({ sid: 'single-secret-sandbox' })
      const answer = await deliver(single.url, LIVE_SECRET, sandboxEnv, 'single-secret-sandbox')
      assert.deepEqual([answer.status, answer.body], [200, { ok: true, action: 'session_revoked' }])
      assert.equal(await refusedWith(first.verifyToken(sandboxToken)), 'session_revoked')
      const third = await deliver(
        single.url,
        LIVE_SECRET,
        { id: '11111111-2222-4333-8444-555555555555', name: 'live' },
        'third',
      )
      assert.deepEqual([third.status, third.body], [200, { ok: true, ignored: 'other_environment' }])
    })

    test('refuses secrets that name no environment of auth', () => {
      assert.throws(
        () => createDynamicWebhooks({ secrets: { staging: 's' }, auth: first }),
        /secrets has "staging", which is neither an environment id nor the name of one of auth's environments \(live, sandbox\)/,
      )
      assert.throws(() => createDynamicWebhooks({ secret: 's', secrets: { live: 's' }, auth: first }), /not both/)
    })
  })
})
