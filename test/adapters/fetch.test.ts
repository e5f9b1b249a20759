/**
 * dynamic-guard/fetch (Web-standard Request/Response handlers) served over real HTTP, and the
 * core's `auth.authenticate(req)` on a plain node:http server.
 */
import { describe, it, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { dynamicAuth, refusalAsResponse, requireScopes, withDynamicAuth } from '../../src/adapters/fetch.js'
import { createDynamicAuth, isDynamicAuthError, refusalFor, type DynamicAuth } from '../../src/index.js'
import { createTestIssuer, TEST_USER_ID } from '../../src/testing/index.js'
import { call, listen, runAdapterSuite, serveFetch, type RunningApp } from './harness.js'

const json = (body: unknown, init?: ResponseInit) => Response.json(body, init)

function buildFetchApp(auth: DynamicAuth): (request: Request) => Promise<Response> {
  const guard = dynamicAuth(auth)
  const routes: Record<string, (request: Request) => Promise<Response>> = {
    '/api/me': guard.protect((request, session) => json({ userId: session.userId, method: request.method }), {
      preflight: () => new Response(null, { status: 204, headers: { 'access-control-allow-origin': '*' } }),
    }),
    '/api/sign': dynamicAuth(auth, requireScopes('wallet:sign')).protect((request, session) => json({ userId: session.userId, method: request.method })),
    '/scoped/me': withDynamicAuth((request, session) => json({ userId: session.userId, method: request.method }), auth, { requiredScopes: ['wallet:sign'] }),
    '/opt/me': dynamicAuth(auth, { optional: true }).protect((_request, session) => json({ userId: session?.userId ?? null })),
    '/custom/me': guard.protect((_request, session) => json({ userId: session.userId }), {
      onRefusal: (error) => json({ custom: true, code: error.code }, { status: 401, headers: { 'x-custom': 'yes' } }),
    }),
  }
  return async (request) => routes[new URL(request.url).pathname]?.(request) ?? new Response('not found', { status: 404 })
}

runAdapterSuite({ name: 'fetch', start: (auth) => serveFetch(buildFetchApp(auth)) })

/** Plain node:http with the core's one call. */
function buildNodeApp(auth: DynamicAuth) {
  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
  }
  return async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]
    try {
      if (path === '/api/me' && req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
        res.writeHead(204, { 'access-control-allow-origin': '*' }).end()
      } else if (path === '/api/me') {
        const session = await auth.authenticate(req)
        send(res, 200, { userId: session.userId, method: req.method })
      } else if (path === '/api/sign' || path === '/scoped/me') {
        const session = await auth.authenticate(req, SIGN)
        send(res, 200, { userId: session.userId, method: req.method })
      } else if (path === '/opt/me') {
        const session = await auth.authenticate(req, OPTIONAL)
        send(res, 200, { userId: session?.userId ?? null })
      } else if (path === '/custom/me') {
        try {
          const session = await auth.authenticate(req)
          send(res, 200, { userId: session.userId })
        } catch (error) {
          if (!isDynamicAuthError(error)) throw error
          send(res, 401, { custom: true, code: error.code }, { 'x-custom': 'yes' })
        }
      } else send(res, 404, {})
    } catch (error) {
      if (!isDynamicAuthError(error)) return send(res, 500, {})
      const refusal = refusalFor(error, { scopes: error.code === 'insufficient_scope' && path !== '/api/me' ? ['user:basic', 'wallet:sign'] : undefined })
      res.writeHead(refusal.status, refusal.headers).end(refusal.json)
    }
  }
}
const SIGN = { requiredScopes: ['wallet:sign'] }
const OPTIONAL = { optional: true } as const

runAdapterSuite({ name: 'node:http (auth.authenticate)', start: (auth) => listen(createServer(buildNodeApp(auth))) })

describe('auth.authenticate and the fetch helpers', () => {
  const issuer = createTestIssuer()
  const auth = createDynamicAuth(issuer.authOptions())

  it('accepts a Web Request directly', async () => {
    const session = await auth.authenticate(new Request('https://api.example/me', { headers: { authorization: `Bearer ${issuer.mint()}` } }))
    assert.equal(session.userId, TEST_USER_ID)
    await assert.rejects(auth.authenticate(new Request('https://api.example/me')), { code: 'token_missing' })
    assert.equal(await auth.authenticate(new Request('https://api.example/me'), { optional: true }), undefined)
  })

  it('reads the query parameter only when enabled, and refuses a token sent twice', async () => {
    const token = issuer.mint()
    const url = `https://api.example/events?access_token=${token}`
    await assert.rejects(auth.authenticate(new Request(url)), { code: 'token_missing' })
    const options = { queryParam: 'access_token' }
    assert.equal((await auth.authenticate(new Request(url), options)).userId, TEST_USER_ID)
    await assert.rejects(auth.authenticate(new Request(url, { headers: { authorization: `Bearer ${token}` } }), options), { code: 'invalid_request', status: 400 })
    // A query token carries no ambient authority: no origin check.
    const post = new Request(url, { method: 'POST', headers: { origin: 'https://evil.example' } })
    assert.equal((await auth.authenticate(post, options)).userId, TEST_USER_ID)
  })

  it('honours cookieName, cookieName: false and allowedOrigins', async () => {
    const token = issuer.mint()
    const custom = new Request('https://api.example/me', { headers: { cookie: `session=${token}` } })
    assert.equal((await auth.authenticate(custom, { cookieName: 'session' })).userId, TEST_USER_ID)
    const dynamic = new Request('https://api.example/me', { headers: { cookie: `DYNAMIC_JWT_TOKEN=${token}` } })
    await assert.rejects(auth.authenticate(dynamic, { cookieName: false }), { code: 'token_missing' })
    const post = (origin: string) => new Request('https://api.example/me', { method: 'POST', headers: { cookie: `DYNAMIC_JWT_TOKEN=${token}`, origin } })
    const allowed = { allowedOrigins: ['https://App.Example.com:443'] }
    assert.equal((await auth.authenticate(post('https://app.example.com'), allowed)).userId, TEST_USER_ID)
    // allowedOrigins replaces the audience default; the request's own host stays allowed.
    await assert.rejects(auth.authenticate(post('http://localhost:3000'), allowed), { code: 'origin_not_allowed', status: 403 })
    assert.equal((await auth.authenticate(post('https://api.example'), allowed)).userId, TEST_USER_ID)
    assert.equal((await auth.authenticate(post('https://evil.example'), { allowedOrigins: (o) => o.endsWith('.example') })).userId, TEST_USER_ID)
  })

  it('refuses bad options at once', () => {
    assert.throws(() => dynamicAuth(auth, { cookieName: 'a b' }), /cookieName/)
    assert.throws(() => dynamicAuth(auth, { allowedOrigins: ['*'] }), /allowedOrigins/)
    assert.throws(() => dynamicAuth(auth, { realm: 'a"b' }), /realm/)
    assert.throws(() => requireScopes(), /requireScopes/)
  })

  it('refusalAsResponse answers per RFC 6750 and rethrows anything else', async () => {
    const response = refusalAsResponse(await auth.verifyToken(issuer.mint({ mfaPending: true })).catch((e: unknown) => e), { realm: 'x' })
    assert.equal(response.status, 403)
    assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer realm="x", error="insufficient_scope", error_description="[^"]+", scope="user:basic"$/)
    assert.throws(() => refusalAsResponse(new Error('boom')), /boom/)
  })
})

describe('fetch adapter built from options', () => {
  const issuer = createTestIssuer()
  let app: RunningApp
  before(async () => {
    const guard = dynamicAuth({ ...issuer.authOptions(), realm: 'edge' })
    app = await serveFetch(guard.protect((_request, session) => json({ userId: session.userId })))
  })
  after(() => app.close())

  it('creates its own verifier', async () => {
    const refused = await call(app.url)
    assert.equal(refused.headers.get('www-authenticate'), 'Bearer realm="edge"')
    assert.deepEqual((await call(app.url, { token: issuer.mint() })).body, { userId: TEST_USER_ID })
  })
})
