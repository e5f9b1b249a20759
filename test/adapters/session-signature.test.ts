/**
 * `requireSessionSignature()` on every adapter: the same small app on a real Express, Fastify,
 * Koa, Hono, Fetch-handler and Next server on 127.0.0.1, each with the body parsing its framework
 * needs, and real requests signed with the test kit's session key (`TEST_SESSION_KEY`, which the
 * kit's default tokens carry) or with other keys:
 *
 *   /signed/…     any method   guard + requireSessionSignature() → { userId, method, url, body }
 *   /down/signed  POST         the same, on a verifier whose one-time store fails
 *   /forward/…    POST         the same with refusals: 'forward', answered by the app: 418 { custom, code }
 *   /unkept/…     POST         a body parsed without its raw bytes (Node frameworks): a configuration error, 500
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import express, { type ErrorRequestHandler, type Request as ExpressRequest } from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import Koa, { type Middleware } from 'koa'
import compose from 'koa-compose'
import { NextRequest } from 'next/server.js'
import * as expressAdapter from '../../src/adapters/express.js'
import * as fastifyAdapter from '../../src/adapters/fastify.js'
import * as fetchAdapter from '../../src/adapters/fetch.js'
import * as honoAdapter from '../../src/adapters/hono.js'
import * as koaAdapter from '../../src/adapters/koa.js'
import * as nextAdapter from '../../src/adapters/next.js'
import { createDynamicAuth, isDynamicAuthError, type DynamicAuth, type DynamicSession } from '../../src/index.js'
import { DynamicAuthConfigError } from '../../src/errors.js'
import { authenticate, verifySessionSignature } from '../../src/http/index.js'
import { refusalFor } from '../../src/http/refusal.js'
import { createTestIssuer, TEST_SESSION_KEY, TEST_USER_ID } from '../../src/testing/index.js'
import {
  generateSessionKeyPair,
  jwkSessionSigner,
  signRequest,
  type SessionKeySigner,
} from '../../src/session-key/client.js'
import { listen, serveFetch, type RunningApp } from './harness.js'

interface Apps {
  /** The verifier of the app's routes. */
  auth: DynamicAuth
  /** A verifier whose one-time store fails. */
  down: DynamicAuth
}

interface Fixture {
  readonly name: string
  /** Whether the framework parses bodies (then the /unkept route exists). */
  readonly parses: boolean
  start(apps: Apps): Promise<RunningApp>
}

type Echo = (session: DynamicSession, method: string, url: string, body: string) => Record<string, unknown>
const echo: Echo = (session, method, url, body) => ({ userId: session.userId, method, url, body })

const configError = (error: unknown) => error instanceof DynamicAuthConfigError

// ---- the apps ----

function expressApp({ auth, down }: Apps): Promise<RunningApp> {
  const { dynamicAuth, requireSessionSignature } = expressAdapter
  const app = express()
  const kept = express.json({
    verify: (req, _res, bytes) => {
      ;(req as typeof req & { rawBody?: Buffer }).rawBody = bytes
    },
  })
  const handler = (req: ExpressRequest, res: express.Response) =>
    res.json(echo(req.auth!, req.method, req.originalUrl, req.body === undefined ? '' : JSON.stringify(req.body)))
  app.all(/^\/signed\//, kept, dynamicAuth(auth), requireSessionSignature(), handler)
  app.post('/raw/signed', express.raw({ type: '*/*' }), dynamicAuth(auth), requireSessionSignature(), (req, res) =>
    res.json(echo(req.auth!, req.method, req.originalUrl, (req.body as Buffer).toString('utf8'))),
  )
  app.post('/down/signed', kept, dynamicAuth(down), requireSessionSignature(), handler)
  app.post('/forward/signed', kept, dynamicAuth(auth, { refusals: 'forward' }), requireSessionSignature(), handler)
  app.post('/unkept/signed', express.json(), dynamicAuth(auth), requireSessionSignature(), handler)
  const errors: ErrorRequestHandler = (error, _req, res, _next) => {
    if (configError(error)) res.status(500).json({ configError: (error as Error).message })
    else if (isDynamicAuthError(error)) res.status(418).json({ custom: true, code: error.code })
    else res.status(500).json({ unexpected: String(error) })
  }
  app.use(errors)
  return listen(createServer(app))
}

async function fastifyApp({ auth, down }: Apps): Promise<RunningApp> {
  const { dynamicAuth, dynamicAuthPlugin, keepRawBody, requireSessionSignature } = fastifyAdapter
  const app = Fastify()
  await app.register(dynamicAuthPlugin, { auth, global: false })
  const handler = async (request: import('fastify').FastifyRequest) =>
    echo(request.auth!, request.method, request.url, request.body == null ? '' : JSON.stringify(request.body))
  const signed = requireSessionSignature()
  app.route({
    method: ['GET', 'POST', 'PUT', 'DELETE'],
    url: '/signed/*',
    onRequest: app.dynamicAuth,
    preParsing: keepRawBody,
    preHandler: signed,
    handler,
  })
  app.post('/down/signed', { onRequest: dynamicAuth(down), preParsing: keepRawBody, preHandler: signed }, handler)
  app.post(
    '/forward/signed',
    { onRequest: dynamicAuth(auth, { refusals: 'forward' }), preParsing: keepRawBody, preHandler: signed },
    handler,
  )
  app.post('/unkept/signed', { onRequest: app.dynamicAuth, preHandler: signed }, handler)
  app.setErrorHandler((error, _request, reply) => {
    if (configError(error)) return reply.code(500).send({ configError: error.message })
    if (isDynamicAuthError(error)) return reply.code(418).send({ custom: true, code: error.code })
    return reply.code(500).send({ unexpected: String(error) })
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address() as import('node:net').AddressInfo
  return { url: `http://127.0.0.1:${address.port}`, close: () => app.close() }
}

function koaApp({ auth, down }: Apps): Promise<RunningApp> {
  const { dynamicAuth, requireSessionSignature } = koaAdapter
  const app = new Koa()
  /** A body parser that keeps the raw body, as @koa/bodyparser does (`ctx.request.rawBody`). */
  const parse =
    (keep: boolean): Middleware =>
    async (ctx, next) => {
      const chunks: Buffer[] = []
      for await (const chunk of ctx.req) chunks.push(chunk as Buffer)
      const raw = Buffer.concat(chunks)
      const request = ctx.request as typeof ctx.request & { rawBody?: string; body?: unknown }
      if (keep) request.rawBody = raw.toString('utf8')
      if (raw.length > 0) request.body = JSON.parse(raw.toString('utf8'))
      await next()
    }
  const handler: Middleware = (ctx) => {
    const body = (ctx.request as { body?: unknown }).body
    ctx.body = echo(ctx.state.auth!, ctx.method, ctx.originalUrl, body === undefined ? '' : JSON.stringify(body))
  }
  const at =
    (prefix: string, ...middleware: Middleware[]): Middleware =>
    (ctx, next) =>
      ctx.path.startsWith(prefix) ? compose(middleware)(ctx, next) : next()
  app.use(async (ctx, next) => {
    try {
      await next()
    } catch (error) {
      if (configError(error)) {
        ctx.status = 500
        ctx.body = { configError: (error as Error).message }
      } else if (isDynamicAuthError(error)) {
        ctx.status = 418
        ctx.body = { custom: true, code: error.code }
      } else throw error
    }
  })
  const signed = requireSessionSignature()
  app.use(at('/signed/', dynamicAuth(auth), parse(true), signed, handler))
  app.use(at('/down/signed', dynamicAuth(down), parse(true), signed, handler))
  app.use(at('/forward/signed', dynamicAuth(auth, { refusals: 'forward' }), parse(true), signed, handler))
  app.use(at('/unkept/signed', dynamicAuth(auth), parse(false), signed, handler))
  return listen(createServer(app.callback()))
}

function honoApp({ auth, down }: Apps): Promise<RunningApp> {
  const { dynamicAuth, requireSessionSignature, DynamicAuthException } = honoAdapter
  const app = new Hono<honoAdapter.OptionalDynamicAuthEnv>()
  const handler = async (c: import('hono').Context<honoAdapter.OptionalDynamicAuthEnv>) =>
    c.json(
      echo(c.get('auth')!, c.req.method, new URL(c.req.url).pathname + new URL(c.req.url).search, await c.req.text()),
    )
  const signed = requireSessionSignature()
  app.all('/signed/*', dynamicAuth(auth), signed, handler)
  app.post('/down/signed', dynamicAuth(down), signed, handler)
  app.post('/forward/signed', dynamicAuth(auth, { refusals: 'forward' }), signed, handler)
  app.onError((error, c) =>
    error instanceof DynamicAuthException
      ? c.json({ custom: true, code: error.error.code }, 418)
      : c.json({ unexpected: String(error) }, 500),
  )
  return serveFetch(app.fetch)
}

function fetchApp({ auth, down }: Apps): Promise<RunningApp> {
  const { requireSessionSignature } = fetchAdapter
  const handler = async (request: Request, session: DynamicSession | undefined) => {
    const url = new URL(request.url)
    return Response.json(echo(session!, request.method, url.pathname + url.search, await request.text()))
  }
  const signed = requireSessionSignature()(handler, auth)
  const failing = requireSessionSignature()(handler, down)
  const forwarded = requireSessionSignature()(handler, auth, { refusals: 'forward' })
  return serveFetch(async (request) => {
    const path = new URL(request.url).pathname
    if (path.startsWith('/signed/')) return signed(request)
    if (path === '/down/signed') return failing(request)
    if (path === '/forward/signed') {
      try {
        return await forwarded(request)
      } catch (error) {
        if (!isDynamicAuthError(error)) throw error
        return Response.json({ custom: true, code: error.code }, { status: 418 })
      }
    }
    return new Response('not found', { status: 404 })
  })
}

function nextApp({ auth, down }: Apps): Promise<RunningApp> {
  const { requireSessionSignature } = nextAdapter
  type Context = { params: Promise<Record<string, string>> }
  const context: Context = { params: Promise.resolve({}) }
  const handler = async (request: NextRequest, { auth: session }: { auth: DynamicSession }) =>
    Response.json(
      echo(session, request.method, request.nextUrl.pathname + request.nextUrl.search, await request.text()),
    )
  const signed = requireSessionSignature()<Context>(handler, () => auth)
  const failing = requireSessionSignature()<Context>(handler, down)
  const forwarded = requireSessionSignature()<Context>(handler, auth, { refusals: 'forward' })
  // What Next's server does: a NextRequest from the incoming request, the Response written back.
  return listen(
    createServer(async (req, res) => {
      const chunks: Buffer[] = []
      for await (const chunk of req) chunks.push(chunk as Buffer)
      const headers = new Headers()
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value)
      const request = new NextRequest(`http://${req.headers.host}${req.url}`, {
        method: req.method!,
        headers,
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      })
      const path = request.nextUrl.pathname
      let response: Response
      try {
        response = path.startsWith('/signed/')
          ? await signed(request, context)
          : path === '/down/signed'
            ? await failing(request, context)
            : await forwarded(request, context)
      } catch (error) {
        if (!isDynamicAuthError(error)) throw error
        response = Response.json({ custom: true, code: error.code }, { status: 418 })
      }
      response.headers.forEach((value, name) => {
        res.setHeader(name, value)
      })
      res.writeHead(response.status)
      res.end(Buffer.from(await response.arrayBuffer()))
    }),
  )
}

/** node:http by hand: protectNodeHandler, the body read, then verifySessionSignature. */
function nodeApp({ auth, down }: Apps): Promise<RunningApp> {
  return listen(
    createServer(async (req, res) => {
      const verifier = req.url === '/down/signed' ? down : auth
      const refuse = (error: unknown) => {
        const refusal = refusalFor(error)
        res.writeHead(refusal.status, refusal.headers).end(refusal.json)
      }
      let session: DynamicSession
      try {
        session = await authenticate(verifier, req)
      } catch (error) {
        return refuse(error)
      }
      const chunks: Buffer[] = []
      for await (const chunk of req) chunks.push(chunk as Buffer)
      const body = Buffer.concat(chunks)
      try {
        await verifySessionSignature(verifier, session, req, body)
      } catch (error) {
        if (req.url === '/forward/signed' && isDynamicAuthError(error)) {
          res
            .writeHead(418, { 'content-type': 'application/json' })
            .end(JSON.stringify({ custom: true, code: error.code }))
          return
        }
        return refuse(error)
      }
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(echo(session, req.method!, req.url!, body.toString('utf8'))))
    }),
  )
}

const FIXTURES: Fixture[] = [
  { name: 'Express', parses: true, start: expressApp },
  { name: 'Fastify', parses: true, start: fastifyApp },
  { name: 'Koa', parses: true, start: koaApp },
  { name: 'Hono', parses: false, start: honoApp },
  { name: 'Fetch API', parses: false, start: fetchApp },
  { name: 'Next', parses: false, start: nextApp },
  { name: 'node:http (by hand)', parses: false, start: nodeApp },
]

// ---- the requests ----

interface Sent {
  status: number
  headers: Headers
  body: Record<string, unknown>
  text: string
}

interface SignedCall {
  method?: string
  /** Path and query, as sent. */
  path?: string
  body?: string
  token: string
  /** What was signed, where it differs from what is sent. */
  signed?: { method?: string; path?: string; body?: string; now?: number; signer?: SessionKeySigner }
  /** The proof header to send instead (a replay, an edited one); null for none. */
  header?: string | null
}

/** Signs (with the test session key unless told otherwise) and sends a request. */
async function send(base: string, call: SignedCall): Promise<Sent & { header: string | null }> {
  const method = call.method ?? 'POST'
  const path = call.path ?? '/signed/orders?account=main&x=1'
  const signer = call.signed?.signer ?? (await testSigner)
  const header =
    call.header !== undefined
      ? call.header
      : (
          await signRequest(
            {
              method: call.signed?.method ?? method,
              url: `${base}${call.signed?.path ?? path}`,
              body: call.signed?.body ?? call.body ?? null,
            },
            signer,
            call.signed?.now === undefined ? {} : { now: call.signed.now },
          )
        )['x-session-signature']!
  const headers: Record<string, string> = { authorization: `Bearer ${call.token}` }
  if (header !== null) headers['x-session-signature'] = header
  if (call.body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(`${base}${path}`, { method, headers, body: call.body ?? null })
  const text = await response.text()
  let body: Record<string, unknown> = {}
  try {
    body = JSON.parse(text) as Record<string, unknown>
  } catch {}
  return { status: response.status, headers: response.headers, body, text, header }
}

const testSigner = jwkSessionSigner(TEST_SESSION_KEY.privateKeyJwk)

function refused(answer: Sent, code: string, status = 401): void {
  assert.equal(answer.status, status, `status (body: ${answer.text})`)
  assert.equal(answer.body.code, code, answer.text)
  assert.equal(typeof answer.body.error_description, 'string')
  if (status === 401) {
    assert.equal(answer.body.error, 'invalid_token')
    assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer realm="api", error="invalid_token"/)
  }
}

const ORDER = JSON.stringify({ amount: '10.5', to: '0x71C7656EC7ab88b098defB751B7401B5f6d8976F' })

for (const fixture of FIXTURES) {
  describe(`requireSessionSignature on ${fixture.name}`, () => {
    const issuer = createTestIssuer()
    const failing = { claim: () => Promise.reject(new Error('the one-time store is unreachable')) }
    let app: RunningApp
    let token: string

    before(async () => {
      token = issuer.mint()
      app = await fixture.start({
        auth: createDynamicAuth(issuer.authOptions()),
        down: createDynamicAuth({ ...issuer.authOptions(), oneTimeStore: failing }),
      })
    })
    after(() => app?.close())

    it('accepts a signed request, and the handler still reads the body', async () => {
      const answer = await send(app.url, { token, body: ORDER })
      assert.equal(answer.status, 200, answer.text)
      assert.deepEqual(answer.body, {
        userId: TEST_USER_ID,
        method: 'POST',
        url: '/signed/orders?account=main&x=1',
        body: ORDER,
      })
      const get = await send(app.url, { token, method: 'GET', path: '/signed/orders' })
      assert.equal(get.status, 200, get.text)
      assert.equal(get.body.body, '')
    })

    it('refuses the same signed request sent again: session_signature_replayed', async () => {
      const first = await send(app.url, { token, body: ORDER })
      assert.equal(first.status, 200, first.text)
      refused(await send(app.url, { token, body: ORDER, header: first.header }), 'session_signature_replayed')
    })

    it('refuses a request whose method, path, query, body or timestamp differs from what was signed', async () => {
      refused(
        await send(app.url, { token, method: 'PUT', body: ORDER, signed: { method: 'POST' } }),
        'session_signature_invalid',
      )
      refused(
        await send(app.url, {
          token,
          body: ORDER,
          path: '/signed/refunds?account=main&x=1',
          signed: { path: '/signed/orders?account=main&x=1' },
        }),
        'session_signature_invalid',
      )
      refused(
        await send(app.url, {
          token,
          body: ORDER,
          path: '/signed/orders?account=other&x=1',
          signed: { path: '/signed/orders?account=main&x=1' },
        }),
        'session_signature_invalid',
      )
      refused(
        await send(app.url, { token, body: ORDER, signed: { body: ORDER.replace('10.5', '99.5') } }),
        'session_signature_invalid',
      )
      const honest = (
        await signRequest(
          { method: 'POST', url: `${app.url}/signed/orders?account=main&x=1`, body: ORDER },
          await testSigner,
        )
      )['x-session-signature']!
      const moved = honest.replace(/ts=(\d+)/, (_m, ts: string) => `ts=${Number(ts) - 1}`)
      refused(await send(app.url, { token, body: ORDER, header: moved }), 'session_signature_invalid')
      // The honest header, never sent above, is still good: the refusals spent no nonce.
      assert.equal((await send(app.url, { token, body: ORDER, header: honest })).status, 200)
    })

    it('refuses a signature made too long ago: session_signature_expired', async () => {
      refused(
        await send(app.url, { token, body: ORDER, signed: { now: Math.floor(Date.now() / 1000) - 3600 } }),
        'session_signature_expired',
      )
    })

    it('refuses a signature by another key, and a token of one session presented with another session key', async () => {
      const stranger = await generateSessionKeyPair()
      refused(
        await send(app.url, { token, body: ORDER, signed: { signer: await jwkSessionSigner(stranger.privateKeyJwk) } }),
        'session_signature_invalid',
      )
      // Two sessions, each bound to its own key. The attacker holds Bob's key and lifted Alice's token.
      const alice = await generateSessionKeyPair()
      const bob = await generateSessionKeyPair()
      const aliceToken = issuer.mint({ sub: 'alice', sid: 'session-alice', sessionPublicKey: alice.publicKeyHex })
      const bobToken = issuer.mint({ sub: 'bob', sid: 'session-bob', sessionPublicKey: bob.publicKeyHex })
      const bobSigner = await jwkSessionSigner(bob.privateKeyJwk)
      assert.equal((await send(app.url, { token: bobToken, body: ORDER, signed: { signer: bobSigner } })).status, 200)
      refused(
        await send(app.url, { token: aliceToken, body: ORDER, signed: { signer: bobSigner } }),
        'session_signature_invalid',
      )
      const aliceSigner = await jwkSessionSigner(alice.privateKeyJwk)
      assert.equal(
        (await send(app.url, { token: aliceToken, body: ORDER, signed: { signer: aliceSigner } })).body.userId,
        'alice',
      )
    })

    it('refuses a token without session_public_key (session_key_missing), and requests without or with a broken header', async () => {
      refused(
        await send(app.url, { token: issuer.mint({ sessionPublicKey: null }), body: ORDER }),
        'session_key_missing',
      )
      refused(await send(app.url, { token, body: ORDER, header: null }), 'session_signature_missing')
      refused(
        await send(app.url, { token, body: ORDER, header: 'v=2, ts=1, nonce=x, sig=00' }),
        'session_signature_malformed',
      )
    })

    it('refuses with 503 one_time_store_unavailable and Retry-After when the one-time store fails', async () => {
      const answer = await send(app.url, { token, body: ORDER, path: '/down/signed' })
      refused(answer, 'one_time_store_unavailable', 503)
      assert.equal(answer.body.error, 'temporarily_unavailable')
      assert.match(answer.headers.get('retry-after') ?? '', /^\d+$/)
      assert.equal(answer.headers.get('www-authenticate'), null)
    })

    it("hands the refusal to the app's own error handling with refusals: 'forward'", async () => {
      const answer = await send(app.url, { token, body: ORDER, path: '/forward/signed', header: null })
      assert.equal(answer.status, 418, answer.text)
      assert.deepEqual(answer.body, { custom: true, code: 'session_signature_missing' })
      assert.equal((await send(app.url, { token, body: ORDER, path: '/forward/signed' })).status, 200)
    })

    if (fixture.parses) {
      it('refuses to run on a body parsed without its raw bytes: a configuration error, not a pass', async () => {
        const answer = await send(app.url, { token, body: ORDER, path: '/unkept/signed' })
        assert.equal(answer.status, 500, answer.text)
        assert.match(String(answer.body.configError), /requireSessionSignature needs the request body's raw bytes/)
      })
    }
  })
}

describe('requireSessionSignature on Express with express.raw()', () => {
  it('checks the raw Buffer body', async () => {
    const issuer = createTestIssuer()
    const app = await expressApp({
      auth: createDynamicAuth(issuer.authOptions()),
      down: createDynamicAuth(issuer.authOptions()),
    })
    try {
      const answer = await send(app.url, { token: issuer.mint(), body: ORDER, path: '/raw/signed' })
      assert.equal(answer.status, 200, answer.text)
      assert.equal(answer.body.body, ORDER)
    } finally {
      await app.close()
    }
  })
})

describe('requireSessionSignature options', () => {
  it('refuses a bad maxSkewSeconds or an unknown option when the route is declared', () => {
    for (const make of [
      expressAdapter.requireSessionSignature,
      fastifyAdapter.requireSessionSignature,
      koaAdapter.requireSessionSignature,
      honoAdapter.requireSessionSignature,
      fetchAdapter.requireSessionSignature,
      nextAdapter.requireSessionSignature,
    ]) {
      assert.throws(() => make({ maxSkewSeconds: 0 }), DynamicAuthConfigError)
      assert.throws(() => make({ maxSkewSeconds: 301 }), /from 1 to 300/)
      assert.throws(() => make({ maxSkew: 5 } as never), /no option "maxSkew"/)
    }
  })
})
