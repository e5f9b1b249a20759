/**
 * Redis faults that leave no trace on the socket, with a real redis-server frozen by SIGSTOP:
 * a webhook whose dedupe claim timed out is still applied when Dynamic delivers it again; a lease
 * left behind delays a message's onEvent by one lease at most and never its revocation; a Redis
 * that stops answering is seen as down (status, events, health, whenStale) and, once it answers
 * again, the set is reloaded and written back; an instance that never loaded the set refuses with
 * `whenStale: 'refuse'` from its first request.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { createClient } from 'redis'
import { createDynamicAuth, type DynamicAuth } from '../../src/index.js'
import {
  createRedisRevocationStore,
  createRedisWebhookDedupe,
  type RedisRevocationEvent,
} from '../../src/redis/index.js'
import { createTestIssuer } from '../../src/testing/index.js'
import {
  createDynamicWebhooks,
  createMemoryWebhookDedupe,
  signWebhookBody,
  type WebhookResult,
} from '../../src/webhooks/index.js'
import { startRedisServer, type RedisServer } from './redis-server.js'

const SECRET = 'dyn_test_webhook_secret_faults_7hQ2'
const FAST = { commandTimeout: 200, heartbeatInterval: 200 }
const issuer = createTestIssuer()

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
async function waitFor(what: string, condition: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(25)
  }
}

function webhookBody(eventName: string, data: Record<string, unknown>, messageId = randomUUID()): string {
  return JSON.stringify({
    eventId: randomUUID(),
    messageId,
    webhookId: randomUUID(),
    eventName,
    environmentId: issuer.environmentId,
    timestamp: new Date().toISOString(),
    data,
  })
}

/** Delivers as Dynamic does: the same message again until it gets a 2xx (a compressed schedule). */
async function deliverUntilAcknowledged(
  send: () => Promise<WebhookResult>,
  ms = 10_000,
): Promise<{ answers: WebhookResult[] }> {
  const answers: WebhookResult[] = []
  const deadline = Date.now() + ms
  for (;;) {
    const answer = await send()
    answers.push(answer)
    if (answer.status < 300) return { answers }
    if (Date.now() > deadline) throw new Error(`never acknowledged: ${JSON.stringify(answers.map((a) => a.body))}`)
    await sleep(100)
  }
}

async function refusedWith(auth: DynamicAuth, token: string): Promise<string> {
  try {
    await auth.verifyToken(token)
    return 'ok'
  } catch (error) {
    return (error as { code: string }).code
  }
}

describe('Redis faults without a closed socket', () => {
  let redis: RedisServer
  /** Runs `action` with Redis frozen (SIGSTOP: its sockets stay open), thawing it whatever happens. */
  async function whileFrozen<T>(action: () => Promise<T>): Promise<T> {
    redis.signal('SIGSTOP')
    try {
      return await action()
    } finally {
      redis.signal('SIGCONT')
    }
  }
  const closers: Array<() => Promise<unknown>> = []

  async function connected() {
    const client = createClient({ url: redis.url, socket: { connectTimeout: 1000, reconnectStrategy: () => 100 } })
    client.on('error', () => undefined)
    await client.connect()
    closers.push(() => client.close().catch(() => client.destroy()))
    return client
  }

  async function fleetMember(whenStale: 'serve' | 'refuse', staleAfter = 800) {
    const events: RedisRevocationEvent[] = []
    const store = createRedisRevocationStore({
      client: await connected(),
      whenStale,
      staleAfter,
      ...FAST,
      onEvent: (event) => void events.push(event),
    })
    closers.push(() => store.close())
    await store.ready()
    return { auth: createDynamicAuth({ ...issuer.authOptions(), revocation: store, telemetry: false }), store, events }
  }

  before(async () => {
    redis = await startRedisServer()
  })
  after(async () => {
    redis?.signal('SIGCONT')
    for (const close of closers.reverse()) await close()
    await redis?.stop()
  })

  test('a dedupe claim that timed out in a frozen Redis does not turn the redelivery into a no-op', async () => {
    const client = await connected()
    const auth = createDynamicAuth({ ...issuer.authOptions(), telemetry: false })
    const handled: string[] = []
    const dedupe = createRedisWebhookDedupe({ client, ...FAST })
    closers.push(async () => dedupe.close())
    const webhooks = createDynamicWebhooks({
      secret: SECRET,
      auth,
      dedupe,
      onEvent: (event) => void handled.push(event.messageId),
    })
    const sid = randomUUID()
    const messageId = randomUUID()
    const body = webhookBody('user.session.revoked', { id: sid }, messageId)
    const send = () => webhooks.handle(body, signWebhookBody(SECRET, body))

    const first = await whileFrozen(send) // the claim queued meanwhile runs in Redis after SIGCONT
    assert.equal(first.status, 503)
    assert.equal(first.body.error, 'unavailable')
    assert.equal(await refusedWith(auth, issuer.mint({ sid })), 'session_revoked', 'applied before the claim')

    const { answers } = await deliverUntilAcknowledged(send)
    assert.deepEqual(answers.at(-1), { status: 200, body: { ok: true, action: 'session_revoked' } })
    assert.deepEqual(handled, [messageId], 'onEvent ran, once')
    // Under load a 200 ms command can time out: deliver until acknowledged, as Dynamic would.
    const again = await deliverUntilAcknowledged(send)
    assert.deepEqual(again.answers.at(-1)!.body, { ok: true, duplicate: true })
    assert.deepEqual(handled, [messageId])
  })

  test('a revocation webhook during a freeze: 503, then applied on every instance when delivered again', async () => {
    const a = await fleetMember('serve', 30_000)
    const b = await fleetMember('serve', 30_000)
    const handled: string[] = []
    const dedupe = createRedisWebhookDedupe({ client: await connected(), ...FAST })
    closers.push(async () => dedupe.close())
    const webhooks = createDynamicWebhooks({
      secret: SECRET,
      auth: a.auth,
      dedupe,
      onEvent: (event) => void handled.push(event.messageId),
    })
    const sid = randomUUID()
    const token = issuer.mint({ sid })
    assert.equal(await refusedWith(b.auth, token), 'ok')
    const body = webhookBody('admin.user.session.revoked', { id: sid })
    const send = () => webhooks.handle(body, signWebhookBody(SECRET, body))

    const first = await whileFrozen(send)
    assert.equal(first.status, 503)
    await deliverUntilAcknowledged(send)
    await waitFor(
      'the revocation on the other instance',
      async () => (await refusedWith(b.auth, token)) === 'session_revoked',
    )
    assert.equal(handled.length, 1)
  })

  test('a lease left behind delays onEvent by one lease at most, and never the revocation', async () => {
    const client = await connected()
    const auth = createDynamicAuth({ ...issuer.authOptions(), telemetry: false })
    const handled: string[] = []
    const dedupe = createRedisWebhookDedupe({ client })
    const webhooks = createDynamicWebhooks({
      secret: SECRET,
      auth,
      dedupe,
      processingLease: 60_000,
      onEvent: (event) => void handled.push(event.messageId),
    })
    const sid = randomUUID()
    const messageId = randomUUID()
    // What a delivery that crashed mid-processing (or whose claim ran late) leaves: a lease.
    await client.sendCommand(['SET', `dynamic-guard:webhook:${messageId}`, 'lease:ghost', 'PX', '600'])
    const body = webhookBody('user.session.revoked', { id: sid }, messageId)
    const send = () => webhooks.handle(body, signWebhookBody(SECRET, body))
    const busy = await send()
    assert.equal(busy.status, 503)
    assert.equal(busy.body.error, 'in_progress')
    assert.equal(await refusedWith(auth, issuer.mint({ sid })), 'session_revoked')
    const { answers } = await deliverUntilAcknowledged(send)
    assert.equal(answers.at(-1)!.body.action, 'session_revoked')
    assert.deepEqual(handled, [messageId])
  })

  test('a Redis that stops answering is seen as down, whenStale applies, and on resuming the set is reloaded and written back', async (t) => {
    const refusing = await fleetMember('refuse')
    const serving = await fleetMember('serve')
    const cached = issuer.mint()
    assert.equal(await refusedWith(refusing.auth, cached), 'ok')
    assert.equal(await refusedWith(serving.auth, cached), 'ok')
    const marks = [refusing.events.length, serving.events.length]

    redis.signal('SIGSTOP')
    const frozenAt = Date.now()
    try {
      await waitFor(
        'both instances to see Redis down',
        () => !refusing.auth.revocationStatus().connected && !serving.auth.revocationStatus().connected,
        5000,
      )
      t.diagnostic(
        `seen as down ${Date.now() - frozenAt} ms after the freeze (heartbeat ${FAST.heartbeatInterval} ms + timeout ${FAST.commandTimeout} ms)`,
      )
      for (const [i, { events }] of [refusing, serving].entries()) {
        assert.ok(
          events.slice(marks[i]).some((e) => e.type === 'revocation_disconnected'),
          'revocation_disconnected reported',
        )
      }
      assert.equal(serving.auth.health().status, 'degraded')
      // A revocation made during the freeze: rejected at once (the fleet was not told), in force here.
      const sid = randomUUID()
      const started = Date.now()
      await assert.rejects(serving.auth.revokeSession(sid), /could not be shared/)
      t.diagnostic(`revokeSession rejected in ${Date.now() - started} ms`)
      assert.equal(await refusedWith(serving.auth, issuer.mint({ sid })), 'session_revoked')

      // Past staleAfter: 'refuse' answers 503, cache hits included; 'serve' keeps serving.
      await waitFor('staleness', () => refusing.auth.revocationStatus().stale, 5000)
      assert.equal(await refusedWith(refusing.auth, cached), 'revocation_unavailable')
      assert.equal(await refusedWith(serving.auth, cached), 'ok')
      assert.equal(refusing.auth.health().status, 'unavailable')
      await waitFor(
        'the revocation_stale event',
        () => refusing.events.slice(marks[0]).some((e) => e.type === 'revocation_stale'),
        5000,
      )

      redis.signal('SIGCONT')
      await waitFor(
        'both instances back',
        () => refusing.auth.revocationStatus().connected && serving.auth.revocationStatus().connected,
        10_000,
      )
      assert.equal(await refusedWith(refusing.auth, cached), 'ok')
      // The revocation made during the freeze was written back and reached the other instance.
      await waitFor(
        'the write-back',
        async () => (await refusedWith(refusing.auth, issuer.mint({ sid }))) === 'session_revoked',
        10_000,
      )
    } finally {
      redis.signal('SIGCONT')
    }
  })

  test("whenStale: 'refuse' refuses from the first request until the set has been loaded; 'serve' answers from an empty set", async () => {
    const absent = await startRedisServer()
    await absent.stop()
    const client = createClient({ url: absent.url, socket: { connectTimeout: 500, reconnectStrategy: () => 100 } })
    client.on('error', () => undefined)
    const connecting = client.connect()
    connecting.catch(() => undefined)
    const refusing = createRedisRevocationStore({ client, whenStale: 'refuse', ...FAST })
    const serving = createRedisRevocationStore({ client, whenStale: 'serve', ...FAST })
    try {
      const refusingAuth = createDynamicAuth({ ...issuer.authOptions(), revocation: refusing, telemetry: false })
      const servingAuth = createDynamicAuth({ ...issuer.authOptions(), revocation: serving, telemetry: false })
      const token = issuer.mint()
      assert.equal(await refusedWith(refusingAuth, token), 'revocation_unavailable')
      assert.equal(await refusedWith(servingAuth, token), 'ok')
      assert.deepEqual([refusing.status().connected, refusing.status().stale], [false, true])
      assert.equal(refusingAuth.health().revocation.state, 'stale_refusing')
      await assert.rejects(refusing.ready(300), /could not be loaded/)

      await absent.start()
      await refusing.ready(10_000)
      assert.equal(await refusedWith(refusingAuth, token), 'ok')
      assert.deepEqual([refusing.status().connected, refusing.status().stale], [true, false])
    } finally {
      await refusing.close()
      await serving.close()
      await client.close().catch(() => client.destroy())
      await absent.stop()
    }
  })
})

describe('timers', () => {
  test('a process that closes its store and client exits by itself: no heartbeat keeps it alive', async () => {
    const redis = await startRedisServer()
    try {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', fileURLToPath(new URL('./close-exits.ts', import.meta.url)), redis.url],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      )
      let output = ''
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000) // a hang, not a slow exit
      const [code, signal] = (await once(child, 'exit')) as [number | null, string | null]
      clearTimeout(killer)
      assert.equal(output.trim(), 'closed')
      assert.deepEqual([code, signal], [0, null], 'exited on its own')
    } finally {
      await redis.stop()
    }
  })
})

describe('the in-memory dedupe', () => {
  test('leases: claimed, busy while held, released by its holder only, done once completed, and a lease expires', async () => {
    let now = 1_000
    const dedupe = createMemoryWebhookDedupe(100, () => now)
    assert.equal(await dedupe.claim('m', 'h1', 500), 'claimed')
    assert.equal(await dedupe.claim('m', 'h2', 500), 'busy')
    await dedupe.release('m', 'h2')
    assert.equal(await dedupe.claim('m', 'h2', 500), 'busy', 'another holder cannot release it')
    await dedupe.release('m', 'h1')
    assert.equal(await dedupe.claim('m', 'h2', 500), 'claimed')
    now += 501
    assert.equal(await dedupe.claim('m', 'h3', 500), 'claimed', 'an expired lease')
    await dedupe.complete('m', 10_000)
    assert.equal(await dedupe.claim('m', 'h4', 500), 'done')
    await dedupe.release('m', 'h3')
    assert.equal(await dedupe.claim('m', 'h4', 500), 'done', 'a done mark is not released')
  })
})
