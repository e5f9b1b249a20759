/**
 * Revocation across a fleet: verifier instances in separate processes, one real redis-server.
 * A revocation made on one instance (directly, or by a signed webhook) is refused by all within
 * one second; bad webhooks change nothing; a late joiner loads the set; an outage keeps the set
 * and applies the staleness policy; a restarted (empty) Redis is refilled by the instances.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { createTestIssuer, type TestIssuerServer } from '../../src/testing/index.js'
import { signWebhookBody } from '../../src/webhooks/index.js'
import { spawnInstance, type Instance, type InstanceEvent } from './fleet.js'
import { startRedisServer, type RedisServer } from './redis-server.js'

const PROPAGATION_DEADLINE_MS = 1000
const SECRET = 'dyn_test_webhook_secret_5LqRXtZsXit7Cjt9KktC8EGywoSk'

const issuer = createTestIssuer()
let redis: RedisServer
let jwks: TestIssuerServer
const instances: Instance[] = []

async function start(options: { whenStale?: 'serve' | 'refuse'; staleAfter?: number } = {}): Promise<Instance> {
  const instance = await spawnInstance({
    redisUrl: redis.url,
    environmentId: issuer.environmentId,
    jwksUrl: jwks.jwksUrl,
    webhookSecret: SECRET,
    ...options,
  })
  instances.push(instance)
  return instance
}

const received = (sid: string) => (event: InstanceEvent) =>
  event.type === 'revocation_received' && (event.entry as { sid?: string }).sid === sid

/** Waits for every instance to apply `sid`, all within the deadline counted from `since`. */
async function propagated(to: Instance[], sid: string, since: number): Promise<number> {
  const remaining = Math.max(1, since + PROPAGATION_DEADLINE_MS - Date.now())
  await Promise.all(to.map((instance) => instance.waitForEvent(received(sid), remaining)))
  return Date.now() - since
}

async function codes(to: Instance[], token: string): Promise<string[]> {
  return Promise.all(
    to.map(async (instance) => {
      const result = await instance.verify(token)
      return result.ok ? 'ok' : result.code!
    }),
  )
}

function webhookBody(eventName: string, data: Record<string, unknown>, messageId = randomUUID()): string {
  return JSON.stringify({
    eventId: randomUUID(),
    messageId,
    webhookId: randomUUID(),
    eventName,
    environmentId: issuer.environmentId,
    environmentName: 'sandbox',
    timestamp: new Date().toISOString(),
    userId: 'admin-who-clicked',
    data,
  })
}

async function deliver(
  url: string,
  body: string,
  signature: string | undefined,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(signature === undefined ? {} : { 'x-dynamic-signature-256': signature }),
    },
    body,
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

before(async () => {
  redis = await startRedisServer()
  jwks = await issuer.listen()
})

after(async () => {
  await Promise.all(instances.map((instance) => instance.stop()))
  await jwks?.close()
  await redis?.stop()
})

describe('a fleet of three instances', () => {
  let a: Instance, b: Instance, c: Instance

  before(async () => {
    ;[a, b, c] = await Promise.all([start(), start(), start()])
    // Warm the webhook path of every instance (and this process's fetch) with a signed ping.
    for (const instance of [a, b, c]) {
      const ping = webhookBody('ping', {})
      assert.equal((await deliver(instance.webhookUrl!, ping, signWebhookBody(SECRET, ping))).status, 200)
    }
  })

  test('a revocation made on one instance is refused by all within one second', async (t) => {
    const sid = randomUUID()
    const token = issuer.mint({ sid })
    assert.deepEqual(await codes([a, b, c], token), ['ok', 'ok', 'ok']) // verified and cached everywhere
    const since = Date.now()
    await a.request({ op: 'revokeSession', sid })
    t.diagnostic(`applied by every instance ${await propagated([b, c], sid, since)} ms after the call`)
    assert.deepEqual(await codes([a, b, c], token), ['session_revoked', 'session_revoked', 'session_revoked'])
    // A token refreshed from that session is refused as well.
    const refreshed = issuer.mint({ sid: randomUUID(), claims: { originalSid: sid } })
    assert.deepEqual(await codes([a, b, c], refreshed), ['session_revoked', 'session_revoked', 'session_revoked'])
  })

  test('"sign out everywhere" (revokeUser) reaches every instance', async () => {
    const sub = randomUUID()
    const now = Math.floor(Date.now() / 1000)
    const old = issuer.mint({ sub, now: now - 60 })
    assert.deepEqual(await codes([a, b, c], old), ['ok', 'ok', 'ok'])
    await c.request({ op: 'revokeUser', sub, before: now * 1000 })
    await Promise.all(
      [a, b].map((instance) =>
        instance.waitForEvent(
          (e) => e.type === 'revocation_received' && (e.entry as { sub?: string }).sub === sub,
          10_000,
        ),
      ),
    )
    assert.deepEqual(await codes([a, b, c], old), ['session_revoked', 'session_revoked', 'session_revoked'])
    assert.deepEqual(await codes([a, b, c], issuer.mint({ sub, now: now + 1 })), ['ok', 'ok', 'ok'])
  })

  test('a signed user.session.revoked webhook on one instance is refused by all within one second', async (t) => {
    const sid = randomUUID()
    const token = issuer.mint({ sid })
    assert.deepEqual(await codes([a, b, c], token), ['ok', 'ok', 'ok'])
    const body = webhookBody('user.session.revoked', {
      id: sid,
      userId: randomUUID(),
      revokedAt: new Date().toISOString(),
    })
    const since = Date.now()
    const answer = await deliver(b.webhookUrl!, body, signWebhookBody(SECRET, body))
    assert.equal(answer.status, 200)
    assert.equal(answer.body.action, 'session_revoked')
    t.diagnostic(`applied by every instance ${await propagated([a, c], sid, since)} ms after the delivery was sent`)
    assert.deepEqual(await codes([a, b, c], token), ['session_revoked', 'session_revoked', 'session_revoked'])

    // The same delivery again, on another instance: recognised by messageId, nothing new.
    const again = await deliver(c.webhookUrl!, body, signWebhookBody(SECRET, body))
    assert.equal(again.status, 200)
    assert.equal(again.body.duplicate, true)
  })

  test('a webhook with a wrong, missing or replayed signature changes nothing', async () => {
    const sid = randomUUID()
    const token = issuer.mint({ sid })
    const body = webhookBody('admin.user.session.revoked', { id: sid })
    const entriesBefore = (await a.request<{ revocation: { entries: number } }>({ op: 'status' })).revocation.entries

    const wrong = await deliver(a.webhookUrl!, body, signWebhookBody('another-secret', body))
    const missing = await deliver(b.webhookUrl!, body, undefined)
    const malformed = await deliver(c.webhookUrl!, body, 'sha256=abc')
    // A genuine signature of another message, replayed on this body.
    const other = webhookBody('user.session.revoked', { id: randomUUID() })
    const replayed = await deliver(a.webhookUrl!, body, signWebhookBody(SECRET, other))
    // The body altered after signing (one more space).
    const altered = await deliver(b.webhookUrl!, `${body} `, signWebhookBody(SECRET, body))
    for (const answer of [wrong, missing, malformed, replayed, altered]) assert.equal(answer.status, 401)
    assert.equal(missing.body.error, 'signature_missing')
    assert.equal(wrong.body.error, 'signature_invalid')

    // A genuine revocation after them: the channel is ordered, so once every instance has it,
    // any revocation the bad deliveries had caused would have arrived before it.
    const sentinel = randomUUID()
    const sentinelBody = webhookBody('user.session.revoked', { id: sentinel })
    assert.equal((await deliver(c.webhookUrl!, sentinelBody, signWebhookBody(SECRET, sentinelBody))).status, 200)
    await Promise.all([a, b].map((instance) => instance.waitForEvent(received(sentinel), 10_000)))
    assert.deepEqual(await codes([a, b, c], token), ['ok', 'ok', 'ok'])
    const entriesAfter = (await a.request<{ revocation: { entries: number } }>({ op: 'status' })).revocation.entries
    assert.equal(entriesAfter, entriesBefore + 1) // the sentinel only
  })

  test('a late-joining instance loads the current set before it answers', async () => {
    const sid = randomUUID()
    await a.request({ op: 'revokeSession', sid })
    const late = await start() // ready = keys fetched and the revocation set loaded (warmUp)
    assert.deepEqual(await codes([late], issuer.mint({ sid })), ['session_revoked'])
    assert.deepEqual(await codes([late], issuer.mint()), ['ok'])
  })

  test('an outage: the set is kept, the staleness policy applies, and a restarted Redis is refilled', async () => {
    const serving = await start({ whenStale: 'serve', staleAfter: 1500 })
    const refusing = await start({ whenStale: 'refuse', staleAfter: 1500 })
    const fleet = [a, serving, refusing]
    const knownSid = randomUUID()
    await a.request({ op: 'revokeSession', sid: knownSid })
    await Promise.all([serving, refusing].map((instance) => instance.waitForEvent(received(knownSid), 10_000)))
    const known = issuer.mint({ sid: knownSid })
    const marks = fleet.map((instance) => instance.events.length)

    await redis.stop()
    await Promise.all(
      fleet.map((instance, i) => instance.waitForEvent((e) => e.type === 'revocation_disconnected', 10_000, marks[i])),
    )
    // Disconnected, within the staleness limit: the set is kept, everything else served.
    assert.deepEqual(await codes(fleet, known), ['session_revoked', 'session_revoked', 'session_revoked'])
    const servedDuringOutage = issuer.mint()
    assert.deepEqual(await codes([serving, refusing], servedDuringOutage), ['ok', 'ok']) // now cached on both
    // A revocation made during the outage: in force where it was made, reported as not shared.
    const outageSid = randomUUID()
    await assert.rejects(a.request({ op: 'revokeSession', sid: outageSid }), /could not be shared/)
    const duringOutage = issuer.mint({ sid: outageSid })
    assert.deepEqual(await codes([a], duringOutage), ['session_revoked'])

    // Past the limit: `serve` keeps answering from its set, `refuse` answers 503.
    await Promise.all(
      [serving, refusing].map((instance, i) =>
        instance.waitForEvent((e) => e.type === 'revocation_stale', 15_000, marks[i + 1]),
      ),
    )
    const fresh = issuer.mint()
    assert.deepEqual(await codes([serving, refusing], fresh), ['ok', 'revocation_unavailable'])
    assert.deepEqual(await codes([serving, refusing], known), ['session_revoked', 'revocation_unavailable'])
    assert.deepEqual(
      await codes([serving, refusing], servedDuringOutage),
      ['ok', 'revocation_unavailable'],
      'cache hits too',
    )
    const status = await refusing.request<{ revocation: { connected: boolean; stale: boolean } }>({ op: 'status' })
    assert.equal(status.revocation.connected, false)
    assert.equal(status.revocation.stale, true)

    // Redis restarts empty (no persistence). Each instance reloads and writes back what it knows.
    const resumed = fleet.map((instance) => instance.events.length)
    await redis.start()
    await Promise.all(
      fleet.map((instance, i) => instance.waitForEvent((e) => e.type === 'revocation_synced', 20_000, resumed[i])),
    )
    assert.deepEqual(await codes([serving, refusing], fresh), ['ok', 'ok'])
    // The revocation made during the outage now reaches the others.
    await Promise.all([serving, refusing].map((instance) => instance.waitForEvent(received(outageSid), 20_000)))
    assert.deepEqual(await codes(fleet, duringOutage), ['session_revoked', 'session_revoked', 'session_revoked'])
    // And an instance joining after the restart sees the revocations made before it.
    const joiner = await start()
    assert.deepEqual(await codes([joiner], known), ['session_revoked'])
    assert.deepEqual(await codes([joiner], duringOutage), ['session_revoked'])
  })
})
