/**
 * Dynamic's webhooks: the signature check (constant-time, length-safe, over the raw body), 401 on
 * a bad or missing signature, deduplication by messageId, revocation events, and the ready-made
 * routes for Express, Fastify, Hono and the Fetch API, each on a real server on 127.0.0.1.
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
import { createTestIssuer } from '../../src/testing/index.js'
import { createDynamicWebhooks, signWebhookBody, verifyWebhookSignature, type DynamicWebhookEvent } from '../../src/webhooks/index.js'

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
    assert.equal(verifyWebhookSignature(SECRET, Buffer.from(body), good.toUpperCase().replace('SHA256=', 'sha256=')), true)
    assert.equal(verifyWebhookSignature(['old-secret', SECRET], body, good), true, 'any secret of a rotation')
  })

  test('refuses anything else without throwing', () => {
    for (const header of [undefined, null, '', 'sha256=', good.slice(0, -2), `${good}00`, good.replace('sha256=', 'sha1='), good.replace('sha256=', ''), `sha256=${'g'.repeat(64)}`, 'x'.repeat(100_000), `sha256=${'0'.repeat(64)}`]) {
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

  test('without a session id, every session of the user the event is about (not the admin who triggered it)', async () => {
    const auth = createDynamicAuth(issuer.authOptions())
    const webhooks = createDynamicWebhooks({ secret: SECRET, auth })
    const now = Math.floor(Date.now() / 1000)
    const body = event('admin.user.session.revoked', { userId: 'victim' }, { timestamp: new Date(now * 1000).toISOString() })
    assert.equal((await webhooks.handle(body, signWebhookBody(SECRET, body))).body.action, 'user_revoked')
    await assert.rejects(auth.verifyToken(issuer.mint({ sub: 'victim', now: now - 5 })), { code: 'session_revoked' })
    assert.ok(await auth.verifyToken(issuer.mint({ sub: 'victim', now: now + 1 })))
    assert.ok(await auth.verifyToken(issuer.mint({ sub: 'the-admin', now: now - 5 })))
  })

  test('bad deliveries change nothing', async () => {
    const auth = createDynamicAuth(issuer.authOptions())
    const handled: unknown[] = []
    const webhooks = createDynamicWebhooks({ secret: SECRET, auth, onEvent: (e) => void handled.push(e) })
    const body = event('user.session.revoked', { id: 'untouched' })
    const other = event('user.session.revoked', { id: 'other' })
    assert.equal((await webhooks.handle(body, undefined)).status, 401)
    assert.equal((await webhooks.handle(body, signWebhookBody('wrong', body))).status, 401)
    assert.equal((await webhooks.handle(body, signWebhookBody(SECRET, other))).status, 401, 'a genuine signature of another body')
    const notJson = 'not json'
    assert.equal((await webhooks.handle(notJson, signWebhookBody(SECRET, notJson))).status, 400)
    const noId = JSON.stringify({ eventName: 'user.session.revoked', data: { id: 'untouched' } })
    assert.equal((await webhooks.handle(noId, signWebhookBody(SECRET, noId))).status, 400)
    const elsewhere = event('user.session.revoked', { id: 'untouched' }, { environmentId: randomUUID() })
    assert.deepEqual((await webhooks.handle(elsewhere, signWebhookBody(SECRET, elsewhere))).body, { ok: true, ignored: 'other_environment' })
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
          headers: { 'content-type': 'application/json', ...(signature ? { 'x-dynamic-signature-256': signature } : {}) },
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

  test('a body parsed before the route is reported, not guessed', async () => {
    const app = express()
    app.use(express.json())
    app.post('/webhooks/dynamic', webhooks.express)
    const url = `${await listen(app.listen(0, '127.0.0.1'))}/webhooks/dynamic`
    const body = event('user.session.revoked', { id: 'parsed' })
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-dynamic-signature-256': signWebhookBody(SECRET, body) }, body })
    assert.equal(response.status, 500)
    assert.equal(((await response.json()) as { error: string }).error, 'body_already_parsed')
    assert.ok(await auth.verifyToken(issuer.mint({ sid: 'parsed' })))
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
    const external = Object.values(result.metafile.inputs).flatMap((input) => input.imports.filter((i) => i.external).map((i) => i.path))
    assert.ok(external.includes('node:crypto'), 'the analysis sees external imports')
    assert.deepEqual(external.filter((path) => !path.startsWith('node:')), [])
  })
})
