/**
 * Dynamic's webhooks: the signature check (constant-time, length-safe, over the raw body), 401 on
 * a bad or missing signature, deduplication by messageId, revocation events read as Dynamic sends
 * them (a Session's data.id, user.deleted's data.id, nothing guessed), the ready-made routes for
 * Express, Fastify, Hono and the Fetch API, each on a real server on 127.0.0.1, and a fleet of
 * instances in their own processes sharing one real redis-server.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { serve, type ServerType } from '@hono/node-server'
import { createDynamicAuth } from '../../src/index.js'
import { createTestIssuer, type TestIssuerServer } from '../../src/testing/index.js'
import { spawnInstance, type Instance } from './fleet.js'
import { startRedisServer, type RedisServer } from './redis-server.js'
import {
  createDynamicWebhooks,
  signWebhookBody,
  verifyWebhookSignature,
  type DynamicWebhookEvent,
  type WebhookDelivery,
} from '../../src/webhooks/index.js'

const SECRET = 'dyn_5LqRXtZsXit7Cjt9KktC8EGywoSkGSbGqtTud'
const issuer = createTestIssuer()

function event(eventName: string, data: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    eventId: randomUUID(),
    messageId: randomUUID(),
    webhookId: randomUUID(),
    eventName,
    environmentId: issuer.environmentId,
    environmentName: 'sandbox',
    timestamp: new Date().toISOString(),
    userId: 'the-admin',
    redelivery: false,
    data,
    ...extra,
  })
}

describe('verifyWebhookSignature', () => {
  const body = event('user.session.revoked', { id: 's1' })
  const good = signWebhookBody(SECRET, body)

  test('accepts sha256=<hex HMAC-SHA256 of the raw body>, in either hex case', () => {
    assert.match(good, /^sha256=[0-9a-f]{64}$/)
    assert.equal(verifyWebhookSignature(SECRET, body, good), true)
    assert.equal(
      verifyWebhookSignature(SECRET, Buffer.from(body), good.toUpperCase().replace('SHA256=', 'sha256=')),
      true,
    )
    assert.equal(verifyWebhookSignature(['old-secret', SECRET], body, good), true, 'any secret of a rotation')
  })

  test('refuses anything else without throwing', () => {
    for (const header of [
      undefined,
      null,
      '',
      'sha256=',
      good.slice(0, -2),
      `${good}00`,
      good.replace('sha256=', 'sha1='),
      good.replace('sha256=', ''),
      `sha256=${'g'.repeat(64)}`,
      'x'.repeat(100_000),
      `sha256=${'0'.repeat(64)}`,
    ]) {
      assert.equal(verifyWebhookSignature(SECRET, body, header), false, String(header).slice(0, 40))
    }
    assert.equal(verifyWebhookSignature('another', body, good), false)
    assert.equal(verifyWebhookSignature(SECRET, `${body}\n`, good), false, 'the exact raw bytes are signed')
    assert.equal(verifyWebhookSignature(SECRET, JSON.stringify(JSON.parse(body), null, 2), good), false)
  })
})

describe('the webhook processor', () => {
  test('revokes the session of user.session.revoked and admin.user.session.revoked, once per messageId', async () => {
    const auth = createDynamicAuth(issuer.authOptions())
    const seen: DynamicWebhookEvent[] = []
    const webhooks = createDynamicWebhooks({ secret: SECRET, auth, onEvent: (e) => void seen.push(e) })
    const token = issuer.mint({ sid: 'web-1' })
    await auth.verifyToken(token)
    const body = event('user.session.revoked', { id: 'web-1', userId: 'u-1' })
    const first = await webhooks.handle(body, signWebhookBody(SECRET, body))
    assert.deepEqual(first, { status: 200, body: { ok: true, action: 'session_revoked' } })
    await assert.rejects(auth.verifyToken(token), { code: 'session_revoked' })
    const again = await webhooks.handle(body, signWebhookBody(SECRET, body))
    assert.deepEqual(again, { status: 200, body: { ok: true, duplicate: true } })
    assert.equal(seen.length, 1, 'the handler sees a message once')

    const admin = event('admin.user.session.revoked', { id: 'web-2' })
    assert.equal((await webhooks.handle(admin, signWebhookBody(SECRET, admin))).body.action, 'session_revoked')
    await assert.rejects(auth.verifyToken(issuer.mint({ sid: 'web-2' })), { code: 'session_revoked' })
  })

  test('a session event is read as Dynamic sends it: data is a Session, data.id its id, nothing else', async () => {
    const auth = createDynamicAuth(issuer.authOptions())
    const seen: Array<[DynamicWebhookEvent, WebhookDelivery]> = []
    const webhooks = createDynamicWebhooks({ secret: SECRET, auth, onEvent: (e, d) => void seen.push([e, d]) })
    const session = {
      id: 'sess-1',
      createdAt: '2026-11-30T10:00:00.000Z',
      ipAddress: '203.0.113.7',
      userAgent: 'Mozilla/5.0',
      revokedAt: '2026-11-30T11:00:00.000Z',
    }
    const body = event('admin.user.session.revoked', session)
    assert.deepEqual(await webhooks.handle(body, signWebhookBody(SECRET, body)), {
      status: 200,
      body: { ok: true, action: 'session_revoked' },
    })
    await assert.rejects(auth.verifyToken(issuer.mint({ sid: 'sess-1' })), { code: 'session_revoked' })
    assert.deepEqual(seen[0]![1], { action: 'session_revoked', signedOver: 'raw_body' })
    assert.deepEqual(seen[0]![0].data, session)
  })

  test('a session event without data.id revokes nothing, is acknowledged and reported; never guessed from a user id', async () => {
    const auth = createDynamicAuth(issuer.authOptions())
    const seen: Array<[DynamicWebhookEvent, WebhookDelivery]> = []
    const webhooks = createDynamicWebhooks({ secret: SECRET, auth, onEvent: (e, d) => void seen.push([e, d]) })
    const now = Math.floor(Date.now() / 1000)
    // Older guesses (sessionId, sid, a userId in data, the envelope's userId) are not Dynamic's Session: none is read.
    for (const data of [{ userId: 'victim', sessionId: 'guess-1', sid: 'guess-2', user_id: 'victim' }, {}, undefined]) {
      const body = JSON.stringify({ ...JSON.parse(event('user.session.revoked', {})), data, userId: 'victim' })
      assert.deepEqual(await webhooks.handle(body, signWebhookBody(SECRET, body)), {
        status: 200,
        body: { ok: true, skipped: 'no_session_id' },
      })
    }
    assert.equal(seen.length, 3)
    assert.ok(
      seen.every(
        ([e, d]) =>
          e.eventName === 'user.session.revoked' &&
          d.skipped === 'no_session_id' &&
          d.action === undefined &&
          d.signedOver === 'raw_body',
      ),
    )
    assert.equal(auth.revocationStatus().entries, 0)
    for (const token of [
      issuer.mint({ sub: 'victim', now: now - 5 }),
      issuer.mint({ sid: 'guess-1' }),
      issuer.mint({ sid: 'guess-2' }),
      issuer.mint({ sub: 'the-admin', now: now - 5 }),
    ]) {
      assert.ok(await auth.verifyToken(token))
    }
  })

  test('user.deleted refuses every token of data.id (the user), not of the admin who deleted it', async () => {
    const auth = createDynamicAuth(issuer.authOptions())
    const seen: WebhookDelivery[] = []
    const webhooks = createDynamicWebhooks({ secret: SECRET, auth, onEvent: (_e, d) => void seen.push(d) })
    const now = Math.floor(Date.now() / 1000)
    const tokens = [
      issuer.mint({ sub: 'deleted-user', now: now - 60 }),
      issuer.mint({ sub: 'deleted-user', kind: 'id', now: now - 1 }),
    ]
    for (const token of tokens) assert.ok(await auth.verifyToken(token))
    const body = event('user.deleted', {
      id: 'deleted-user',
      email: 'gone@example.com',
      projectEnvironmentId: issuer.environmentId,
    })
    assert.deepEqual(await webhooks.handle(body, signWebhookBody(SECRET, body)), {
      status: 200,
      body: { ok: true, action: 'user_revoked' },
    })
    for (const token of tokens) await assert.rejects(auth.verifyToken(token), { code: 'session_revoked' })
    assert.ok(await auth.verifyToken(issuer.mint({ sub: 'the-admin', now: now - 60 })))
    const noId = event('user.deleted', { email: 'x@example.com' })
    assert.deepEqual((await webhooks.handle(noId, signWebhookBody(SECRET, noId))).body, {
      ok: true,
      skipped: 'no_user_id',
    })
    assert.deepEqual(seen, [
      { action: 'user_revoked', signedOver: 'raw_body' },
      { skipped: 'no_user_id', signedOver: 'raw_body' },
    ])
  })

  test('other events revoke nothing and reach onEvent', async () => {
    const auth = createDynamicAuth(issuer.authOptions())
    const seen: WebhookDelivery[] = []
    const webhooks = createDynamicWebhooks({ secret: SECRET, auth, onEvent: (_e, d) => void seen.push(d) })
    for (const name of ['user.created', 'user.updated', 'user.session.created']) {
      const body = event(name, { id: randomUUID() })
      assert.deepEqual((await webhooks.handle(body, signWebhookBody(SECRET, body))).body, { ok: true })
    }
    assert.deepEqual(seen, [{ signedOver: 'raw_body' }, { signedOver: 'raw_body' }, { signedOver: 'raw_body' }])
    assert.equal(auth.revocationStatus().entries, 0)
  })

  test('bad deliveries change nothing', async () => {
    const auth = createDynamicAuth(issuer.authOptions())
    const handled: unknown[] = []
    const webhooks = createDynamicWebhooks({ secret: SECRET, auth, onEvent: (e) => void handled.push(e) })
    const body = event('user.session.revoked', { id: 'untouched' })
    const other = event('user.session.revoked', { id: 'other' })
    assert.equal((await webhooks.handle(body, undefined)).status, 401)
    assert.equal((await webhooks.handle(body, signWebhookBody('wrong', body))).status, 401)
    assert.equal(
      (await webhooks.handle(body, signWebhookBody(SECRET, other))).status,
      401,
      'a genuine signature of another body',
    )
    const notJson = 'not json'
    assert.equal((await webhooks.handle(notJson, signWebhookBody(SECRET, notJson))).status, 400)
    const noId = JSON.stringify({ eventName: 'user.session.revoked', data: { id: 'untouched' } })
    assert.equal((await webhooks.handle(noId, signWebhookBody(SECRET, noId))).status, 400)
    const elsewhere = event('user.session.revoked', { id: 'untouched' }, { environmentId: randomUUID() })
    assert.deepEqual((await webhooks.handle(elsewhere, signWebhookBody(SECRET, elsewhere))).body, {
      ok: true,
      ignored: 'other_environment',
    })
    assert.ok(await auth.verifyToken(issuer.mint({ sid: 'untouched' })))
    assert.equal(handled.length, 0)
    assert.equal(auth.revocationStatus().entries, 0)
  })

  test('a failing handler answers 503 and the redelivery is processed', async () => {
    let fail = true
    const webhooks = createDynamicWebhooks({
      secret: SECRET,
      onEvent: () => {
        if (fail) throw new Error('database down')
      },
    })
    const body = event('user.created', { id: 'u' })
    const first = await webhooks.handle(body, signWebhookBody(SECRET, body))
    assert.equal(first.status, 503)
    fail = false
    assert.deepEqual((await webhooks.handle(body, signWebhookBody(SECRET, body))).body, { ok: true })
  })

  test('options are checked at once', () => {
    assert.throws(() => createDynamicWebhooks({ secret: '' }), TypeError)
    assert.throws(() => createDynamicWebhooks({} as never), TypeError)
    assert.throws(() => createDynamicWebhooks({ secret: SECRET, auth: {} as never }), TypeError)
  })
})

describe('ready-made routes', () => {
  const auth = createDynamicAuth(issuer.authOptions())
  const webhooks = createDynamicWebhooks({ secret: SECRET, auth, maxBodyBytes: 4096 })
  const urls: Record<string, string> = {}
  const closers: Array<() => Promise<void>> = []

  const listen = async (server: Server | ServerType): Promise<string> => {
    if (!server.listening) await new Promise<void>((resolve) => server.once('listening', () => resolve()))
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          ;(server as Server).closeAllConnections?.()
          server.close(() => resolve())
        }),
    )
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }

  before(async () => {
    // Express, with a JSON parser on the rest of the app: the webhook route is mounted first.
    const app = express()
    app.post('/webhooks/dynamic', webhooks.express)
    app.use(express.json())
    app.post('/echo', (req, res) => void res.json(req.body))
    urls.express = `${await listen(app.listen(0, '127.0.0.1'))}/webhooks/dynamic`

    // Express with express.raw() on the route.
    const raw = express()
    raw.post('/hook', express.raw({ type: '*/*' }), webhooks.express)
    urls['express.raw'] = `${await listen(raw.listen(0, '127.0.0.1'))}/hook`

    // Fastify: the plugin in its own context; the app keeps its JSON parser.
    const fastify = Fastify()
    await fastify.register(webhooks.fastify, { path: '/webhooks/dynamic' })
    fastify.post('/echo', async (request) => request.body)
    await fastify.listen({ port: 0, host: '127.0.0.1' })
    closers.push(() => fastify.close())
    urls.fastify = `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}/webhooks/dynamic`

    // Hono on @hono/node-server.
    const hono = new Hono()
    hono.post('/webhooks/dynamic', webhooks.hono)
    urls.hono = `${await listen(serve({ fetch: hono.fetch, port: 0, hostname: '127.0.0.1' }))}/webhooks/dynamic`

    // The Fetch API handler behind a bare node:http bridge.
    const server = createServer(async (req, res) => {
      const chunks: Buffer[] = []
      for await (const chunk of req) chunks.push(chunk as Buffer)
      const request = new Request(`http://127.0.0.1${req.url}`, {
        method: req.method!,
        headers: req.headers as Record<string, string>,
        ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body: Buffer.concat(chunks) }),
      })
      const response = await webhooks.fetch(request)
      const headers: Record<string, string> = {}
      response.headers.forEach((value, name) => {
        headers[name] = value
      })
      res.writeHead(response.status, headers).end(Buffer.from(await response.arrayBuffer()))
    })
    server.listen(0, '127.0.0.1')
    urls.fetch = `${await listen(server)}/webhooks/dynamic`
  })

  after(async () => {
    await Promise.all(closers.map((close) => close()))
  })

  for (const name of ['express', 'express.raw', 'fastify', 'hono', 'fetch']) {
    test(`${name}: a signed delivery revokes, a bad one is a 401, a replay is a duplicate`, async () => {
      const sid = `route-${name}`
      const token = issuer.mint({ sid })
      const body = event('user.session.revoked', { id: sid })
      const post = (payload: string, signature?: string) =>
        fetch(urls[name]!, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(signature ? { 'x-dynamic-signature-256': signature } : {}),
          },
          body: payload,
        })

      const missing = await post(body)
      assert.equal(missing.status, 401)
      assert.equal(((await missing.json()) as { error: string }).error, 'signature_missing')
      const wrong = await post(body, signWebhookBody('nope', body))
      assert.equal(wrong.status, 401)
      await wrong.arrayBuffer()
      assert.ok(await auth.verifyToken(token), 'nothing changed')

      const ok = await post(body, signWebhookBody(SECRET, body))
      assert.equal(ok.status, 200)
      assert.deepEqual(await ok.json(), { ok: true, action: 'session_revoked' })
      await assert.rejects(auth.verifyToken(token), { code: 'session_revoked' })

      const replay = await post(body, signWebhookBody(SECRET, body))
      assert.deepEqual(await replay.json(), { ok: true, duplicate: true })

      const big = JSON.stringify({ messageId: 'x', eventName: 'x', data: 'y'.repeat(5000) })
      const tooLarge = await post(big, signWebhookBody(SECRET, big))
      assert.equal(tooLarge.status, 413)
      await tooLarge.arrayBuffer()
    })
  }

  test("a body parsed before the route: checked over JSON.stringify of it, as Dynamic's sample does, and reported", async () => {
    const delivered: WebhookDelivery[] = []
    const reporting = createDynamicWebhooks({ secret: SECRET, auth, onEvent: (_e, d) => void delivered.push(d) })
    const app = express()
    app.use(express.json())
    app.post('/webhooks/dynamic', reporting.express)
    const url = `${await listen(app.listen(0, '127.0.0.1'))}/webhooks/dynamic`
    const post = (payload: string, signature: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-dynamic-signature-256': signature },
        body: payload,
      })

    // Dynamic sends compact JSON: its re-serialised form is the same bytes, so the signature holds.
    const token = issuer.mint({ sid: 'parsed' })
    const body = event('user.session.revoked', { id: 'parsed' })
    const ok = await post(body, signWebhookBody(SECRET, body))
    assert.equal(ok.status, 200)
    assert.deepEqual(await ok.json(), { ok: true, action: 'session_revoked' })
    assert.deepEqual(delivered, [{ action: 'session_revoked', signedOver: 'reserialized_body' }])
    await assert.rejects(auth.verifyToken(token), { code: 'session_revoked' })

    // Bytes that differ from their re-serialised form cannot be checked that way: 401, and why.
    const pretty = JSON.stringify(JSON.parse(event('user.session.revoked', { id: 'pretty' })), null, 2)
    const refused = await post(pretty, signWebhookBody(SECRET, pretty))
    assert.equal(refused.status, 401)
    assert.match(
      ((await refused.json()) as { message: string }).message,
      /parsed before the webhook route saw it.*JSON\.stringify/,
    )
    // A forged signature is refused as ever.
    const forged = await post(body.replace('parsed', 'other'), signWebhookBody('wrong', body))
    assert.equal(forged.status, 401)
    await forged.arrayBuffer()
    assert.ok(await auth.verifyToken(issuer.mint({ sid: 'pretty' })))
    assert.equal(delivered.length, 1)
  })

  test('importing dynamic-guard/webhooks loads no framework', async () => {
    // What the module graph of the entry imports at run time (type-only imports are erased).
    const { build } = await import('esbuild')
    const result = await build({
      entryPoints: [fileURLToPath(new URL('../../src/webhooks/index.ts', import.meta.url))],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      logLevel: 'silent',
    })
    const external = Object.values(result.metafile.inputs).flatMap((input) =>
      input.imports.filter((i) => i.external).map((i) => i.path),
    )
    assert.ok(external.includes('node:crypto'), 'the analysis sees external imports')
    assert.deepEqual(
      external.filter((path) => !path.startsWith('node:')),
      [],
    )
  })
})

describe('webhooks across a fleet: three instances in their own processes, one real redis-server', () => {
  const FLEET_SECRET = 'dyn_test_webhook_secret_fleet_9QpLm2Vx'
  const fleetIssuer = createTestIssuer()
  let redis: RedisServer
  let jwks: TestIssuerServer
  let instances: Instance[] = []

  const fleetEvent = (eventName: string, data: Record<string, unknown> | undefined) =>
    JSON.stringify({
      eventId: randomUUID(),
      messageId: randomUUID(),
      webhookId: randomUUID(),
      eventName,
      environmentId: fleetIssuer.environmentId,
      environmentName: 'live',
      timestamp: new Date().toISOString(),
      userId: 'admin-who-clicked',
      redelivery: false,
      ...(data === undefined ? {} : { data }),
    })
  const deliver = async (instance: Instance, body: string) => {
    const response = await fetch(instance.webhookUrl!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-dynamic-signature-256': signWebhookBody(FLEET_SECRET, body) },
      body,
    })
    return { status: response.status, body: (await response.json()) as Record<string, unknown> }
  }
  const codes = (token: string) =>
    Promise.all(instances.map(async (i) => ((r) => (r.ok ? 'ok' : r.code!))(await i.verify(token))))

  before(async () => {
    redis = await startRedisServer()
    jwks = await fleetIssuer.listen()
    instances = await Promise.all(
      [0, 1, 2].map(() =>
        spawnInstance({
          redisUrl: redis.url,
          environmentId: fleetIssuer.environmentId,
          jwksUrl: jwks.jwksUrl,
          webhookSecret: FLEET_SECRET,
        }),
      ),
    )
  })
  after(async () => {
    await Promise.all(instances.map((instance) => instance.stop()))
    await jwks?.close()
    await redis?.stop()
  })

  test("user.deleted delivered to one instance refuses the user's tokens on every instance", async () => {
    const [a] = instances
    const sub = randomUUID()
    const now = Math.floor(Date.now() / 1000)
    const access = fleetIssuer.mint({ sub, now: now - 30 })
    const id = fleetIssuer.mint({ sub, kind: 'id', now: now - 30 })
    const bystander = fleetIssuer.mint({ sub: randomUUID(), now: now - 30 })
    assert.deepEqual(await codes(access), ['ok', 'ok', 'ok'])
    assert.deepEqual(await codes(id), ['ok', 'ok', 'ok'])

    const body = fleetEvent('user.deleted', {
      id: sub,
      email: 'deleted@example.com',
      projectEnvironmentId: fleetIssuer.environmentId,
    })
    assert.deepEqual(await deliver(a!, body), { status: 200, body: { ok: true, action: 'user_revoked' } })
    await Promise.all(
      instances
        .slice(1)
        .map((i) =>
          i.waitForEvent((e) => e.type === 'revocation_received' && (e.entry as { sub?: string }).sub === sub, 10_000),
        ),
    )
    assert.deepEqual(await codes(access), ['session_revoked', 'session_revoked', 'session_revoked'])
    assert.deepEqual(await codes(id), ['session_revoked', 'session_revoked', 'session_revoked'])
    assert.deepEqual(await codes(bystander), ['ok', 'ok', 'ok'])
    const reported = await a!.waitForEvent((e) => e.type === 'webhook' && e.eventName === 'user.deleted')
    assert.equal(reported.action, 'user_revoked')

    // Delivered again to another instance (Dynamic retries): a duplicate, by messageId, fleet-wide.
    assert.deepEqual(await deliver(instances[2]!, body), { status: 200, body: { ok: true, duplicate: true } })
  })

  test("a Session payload revokes data.id on every instance; the envelope's userId is left alone", async () => {
    const [, b] = instances
    const sid = randomUUID()
    const adminToken = fleetIssuer.mint({ sub: 'admin-who-clicked' })
    const token = fleetIssuer.mint({ sid })
    assert.deepEqual(await codes(token), ['ok', 'ok', 'ok'])
    const session = {
      id: sid,
      createdAt: new Date(Date.now() - 3600_000).toISOString(),
      ipAddress: '198.51.100.4',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
      revokedAt: new Date().toISOString(),
    }
    assert.deepEqual(await deliver(b!, fleetEvent('admin.user.session.revoked', session)), {
      status: 200,
      body: { ok: true, action: 'session_revoked' },
    })
    await Promise.all(
      instances
        .filter((i) => i !== b)
        .map((i) =>
          i.waitForEvent((e) => e.type === 'revocation_received' && (e.entry as { sid?: string }).sid === sid, 10_000),
        ),
    )
    assert.deepEqual(await codes(token), ['session_revoked', 'session_revoked', 'session_revoked'])
    assert.deepEqual(await codes(adminToken), ['ok', 'ok', 'ok'])
  })

  test('a session event with no session id revokes nothing anywhere, is acknowledged and reported', async () => {
    const [, , c] = instances
    const before = ((await c!.request({ op: 'status' })) as { revocation: { entries: number } }).revocation.entries
    const victim = randomUUID()
    const token = fleetIssuer.mint({ sub: victim, now: Math.floor(Date.now() / 1000) - 30 })
    const body = fleetEvent('user.session.revoked', { userId: victim, revokedAt: new Date().toISOString() })
    assert.deepEqual(await deliver(c!, body), { status: 200, body: { ok: true, skipped: 'no_session_id' } })
    const messageId = (JSON.parse(body) as { messageId: string }).messageId
    const reported = await c!.waitForEvent((e) => e.type === 'webhook' && e.messageId === messageId)
    assert.deepEqual(
      { ...reported },
      {
        type: 'webhook',
        eventName: 'user.session.revoked',
        messageId,
        skipped: 'no_session_id',
        signedOver: 'raw_body',
      },
    )
    assert.deepEqual(await codes(token), ['ok', 'ok', 'ok'])
    for (const instance of instances) {
      const entries = ((await instance.request({ op: 'status' })) as { revocation: { entries: number } }).revocation
        .entries
      assert.equal(entries, before, 'no revocation was added')
    }
  })
})
