/**
 * dynamic-guard/fetch (Web-standard Request/Response handlers) served over real HTTP, and the
 * core's `authenticate(auth, req)` on a plain node:http server.
 */
import { describe, it, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { requireScopes, withDynamicAuth } from '../../src/adapters/fetch.js'
import { createDynamicAuth, isDynamicAuthError, type DynamicAuth, type DynamicSession } from '../../src/index.js'
import { protectNodeHandler, refusalFor } from '../../src/http/index.js'
import { createTestIssuer, TEST_USER_ID } from '../../src/testing/index.js'
import { authenticate } from '../../src/http/index.js'
import {
  assertRefusal,
  call,
  CORS_ORIGIN,
  CORS_PREFLIGHT_ANSWER,
  listen,
  PREFLIGHT_HEADERS,
  PROTECTED,
  runAdapterSuite,
  serveFetch,
  type RunningApp,
} from './harness.js'
import { runRouteOptionsSuite, sessionFacts } from './route-options.js'

const json = (body: unknown, init?: ResponseInit) => Response.json(body, init)

/** The app's own handling of forwarded refusals: a try/catch around the protected handler. */
function catchForwarded(handler: (request: Request) => Promise<Response>): (request: Request) => Promise<Response> {
  return async (request) => {
    try {
      return await handler(request)
    } catch (error) {
      if (!isDynamicAuthError(error)) throw error
      return json({ custom: true, code: error.code }, { status: 401, headers: { 'x-custom': 'yes' } })
    }
  }
}

function buildFetchApp(auth: DynamicAuth): (request: Request) => Promise<Response> {
  const me = (request: Request, session: DynamicSession) => json({ userId: session.userId, method: request.method })
  const all = (request: Request, session: DynamicSession | undefined) =>
    json({ secret: PROTECTED, userId: session?.userId ?? null, method: request.method })
  const routes: Record<string, (request: Request) => Promise<Response>> = {
    // CORS handled inside the handler, after the guard: never reached by a preflight.
    '/api/me': withDynamicAuth(
      (request, session) =>
        request.method === 'OPTIONS'
          ? new Response(null, { status: 204, headers: { 'access-control-allow-origin': '*' } })
          : me(request, session),
      auth,
    ),
    '/api/sign': requireScopes('wallet:sign')(me, auth),
    '/scoped/me': withDynamicAuth(me, auth, { requiredScopes: ['wallet:sign'] }),
    '/opt/me': withDynamicAuth((_request, session) => json({ userId: session?.userId ?? null }), auth, {
      optional: true,
    }),
    '/all/me': withDynamicAuth(all, auth),
    '/pass/me': withDynamicAuth(all, auth, { passPreflightsToApp: true, requiredScopes: ['wallet:sign'] }),
    // The fetch adapter's CORS answer, given to the guard: it runs before authentication.
    '/cors/me': withDynamicAuth(me, auth, {
      preflight: () => new Response(null, { status: 204, headers: CORS_PREFLIGHT_ANSWER }),
    }),
    '/custom/me': catchForwarded(withDynamicAuth(me, auth, { refusals: 'forward' })),
    '/custom/sign': catchForwarded(requireScopes('wallet:sign')(me, auth, { refusals: 'forward' })),
  }
  return async (request) =>
    routes[new URL(request.url).pathname]?.(request) ?? new Response('not found', { status: 404 })
}

runAdapterSuite({ name: 'fetch', start: (auth) => serveFetch(buildFetchApp(auth)) })
runRouteOptionsSuite({
  name: 'fetch',
  start: (auth, routes) => {
    const handlers = new Map(
      Object.entries(routes).map(([path, options]) => [
        path,
        withDynamicAuth((_request, session) => json(sessionFacts(session)), auth, options),
      ]),
    )
    return serveFetch(async (request) => {
      try {
        return (await handlers.get(new URL(request.url).pathname)?.(request)) ?? new Response(null, { status: 404 })
      } catch (error) {
        if (!isDynamicAuthError(error)) throw error
        return json({ code: error.code }, { status: error.status })
      }
    })
  },
})

/** Plain node:http with the core's one-call guard, protectNodeHandler. */
function buildNodeApp(auth: DynamicAuth) {
  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
  }
  const me = (req: IncomingMessage, res: ServerResponse, session: DynamicSession) =>
    send(res, 200, { userId: session.userId, method: req.method })
  const all = (req: IncomingMessage, res: ServerResponse, session: DynamicSession | undefined) =>
    send(res, 200, { secret: PROTECTED, userId: session?.userId ?? null, method: req.method })
  const tinyCors =
    (next: (req: IncomingMessage, res: ServerResponse) => Promise<void>) =>
    (req: IncomingMessage, res: ServerResponse) => {
      if (req.headers.origin === CORS_ORIGIN) res.setHeader('access-control-allow-origin', CORS_ORIGIN)
      if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
        res.writeHead(204, CORS_PREFLIGHT_ANSWER).end()
        return Promise.resolve()
      }
      return next(req, res)
    }
  const catchForwarded =
    (next: (req: IncomingMessage, res: ServerResponse) => Promise<void>) =>
    async (req: IncomingMessage, res: ServerResponse) => {
      try {
        await next(req, res)
      } catch (error) {
        if (!isDynamicAuthError(error)) throw error
        send(res, 401, { custom: true, code: error.code }, { 'x-custom': 'yes' })
      }
    }
  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>> = {
    '/api/me': protectNodeHandler((req: IncomingMessage, res: ServerResponse, session: DynamicSession) => {
      if (req.method === 'OPTIONS') res.writeHead(204, { 'access-control-allow-origin': '*' }).end()
      else me(req, res, session)
    }, auth),
    '/api/sign': protectNodeHandler(me, auth, SIGN),
    '/scoped/me': protectNodeHandler(me, auth, SIGN),
    '/opt/me': protectNodeHandler(
      (_req: IncomingMessage, res: ServerResponse, session: DynamicSession | undefined) =>
        send(res, 200, { userId: session?.userId ?? null }),
      auth,
      OPTIONAL,
    ),
    '/all/me': protectNodeHandler(all, auth),
    '/pass/me': protectNodeHandler(all, auth, { ...SIGN, passPreflightsToApp: true }),
    '/cors/me': tinyCors(protectNodeHandler(me, auth)),
    '/custom/me': catchForwarded(protectNodeHandler(me, auth, { refusals: 'forward' })),
    '/custom/sign': catchForwarded(protectNodeHandler(me, auth, { ...SIGN, refusals: 'forward' })),
  }
  return (req: IncomingMessage, res: ServerResponse) => {
    const route = routes[(req.url ?? '/').split('?')[0]!]
    if (route) route(req, res).catch(() => send(res, 500, {}))
    else send(res, 404, {})
  }
}
const SIGN = { requiredScopes: ['wallet:sign'] }
const OPTIONAL = { optional: true } as const

runAdapterSuite({ name: 'node:http (protectNodeHandler)', start: (auth) => listen(createServer(buildNodeApp(auth))) })
runRouteOptionsSuite({
  name: 'node:http (protectNodeHandler)',
  start: (auth, routes) => {
    const handlers = new Map(
      Object.entries(routes).map(([path, options]) => [
        path,
        protectNodeHandler(
          (_req: IncomingMessage, res: ServerResponse, session: DynamicSession) => {
            res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(sessionFacts(session)))
          },
          auth,
          options,
        ),
      ]),
    )
    return listen(
      createServer((req, res) => {
        const handler = handlers.get((req.url ?? '/').split('?')[0]!)
        if (!handler) return void res.writeHead(404).end()
        handler(req, res).catch((error: unknown) => {
          const status = isDynamicAuthError(error) ? error.status : 500
          res.writeHead(status, { 'content-type': 'application/json' }).end('{}')
        })
      }),
    )
  },
})

describe('node:http by hand (authenticate)', () => {
  const issuer = createTestIssuer()
  const auth = createDynamicAuth(issuer.authOptions())
  let app: RunningApp
  let reached = 0
  before(async () => {
    app = await listen(
      createServer(async (req, res) => {
        try {
          const session = await authenticate(auth, req)
          reached++
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ secret: PROTECTED, userId: session.userId }))
        } catch (error) {
          if (!isDynamicAuthError(error)) throw error
          const refusal = refusalFor(error)
          res.writeHead(refusal.status, refusal.headers).end(refusal.json)
        }
      }),
    )
  })
  after(() => app.close())

  it('authenticates a preflight-shaped request like any other: refused, the handler never runs', async () => {
    const answer = await call(`${app.url}/me`, { method: 'OPTIONS', headers: { ...PREFLIGHT_HEADERS } })
    assertRefusal(answer, { status: 401, error: 'unauthorized', code: 'token_missing' })
    assert.equal(reached, 0)
    assert.equal((await call(`${app.url}/me`, { token: issuer.mint() })).body?.userId, TEST_USER_ID)
  })
})

describe('authenticate and the fetch adapter', () => {
  const issuer = createTestIssuer()
  const auth = createDynamicAuth(issuer.authOptions())

  it('accepts a Web Request directly', async () => {
    const session = await authenticate(
      auth,
      new Request('https://api.example/me', { headers: { authorization: `Bearer ${issuer.mint()}` } }),
    )
    assert.equal(session.userId, TEST_USER_ID)
    await assert.rejects(authenticate(auth, new Request('https://api.example/me')), { code: 'token_missing' })
    assert.equal(await authenticate(auth, new Request('https://api.example/me'), { optional: true }), undefined)
  })

  it('reads the query parameter only when enabled, and refuses a token sent twice', async () => {
    const token = issuer.mint()
    const url = `https://api.example/events?access_token=${token}`
    await assert.rejects(authenticate(auth, new Request(url)), { code: 'token_missing' })
    const options = { queryParam: 'access_token' }
    assert.equal((await authenticate(auth, new Request(url), options)).userId, TEST_USER_ID)
    await assert.rejects(
      authenticate(auth, new Request(url, { headers: { authorization: `Bearer ${token}` } }), options),
      { code: 'invalid_request', status: 400 },
    )
    // A query token carries no ambient authority: no origin check.
    const post = new Request(url, { method: 'POST', headers: { origin: 'https://evil.example' } })
    assert.equal((await authenticate(auth, post, options)).userId, TEST_USER_ID)
  })

  it('honours cookieName, cookieName: false and allowedOrigins', async () => {
    const token = issuer.mint()
    const custom = new Request('https://api.example/me', { headers: { cookie: `session=${token}` } })
    assert.equal((await authenticate(auth, custom, { cookieName: 'session' })).userId, TEST_USER_ID)
    const dynamic = new Request('https://api.example/me', { headers: { cookie: `DYNAMIC_JWT_TOKEN=${token}` } })
    await assert.rejects(authenticate(auth, dynamic, { cookieName: false }), { code: 'token_missing' })
    const post = (origin: string) =>
      new Request('https://api.example/me', {
        method: 'POST',
        headers: { cookie: `DYNAMIC_JWT_TOKEN=${token}`, origin },
      })
    const allowed = { allowedOrigins: ['https://App.Example.com:443'] }
    assert.equal((await authenticate(auth, post('https://app.example.com'), allowed)).userId, TEST_USER_ID)
    // allowedOrigins replaces the audience default; the request's own host stays allowed.
    await assert.rejects(authenticate(auth, post('http://localhost:3000'), allowed), {
      code: 'origin_not_allowed',
      status: 403,
    })
    assert.equal((await authenticate(auth, post('https://api.example'), allowed)).userId, TEST_USER_ID)
    assert.equal(
      (await authenticate(auth, post('https://evil.example'), { allowedOrigins: (o) => o.endsWith('.example') }))
        .userId,
      TEST_USER_ID,
    )
  })

  it('refuses bad options at once', () => {
    const handler = () => new Response()
    assert.throws(() => withDynamicAuth(handler, auth, { cookieName: 'a b' }), /cookieName/)
    assert.throws(() => withDynamicAuth(handler, auth, { allowedOrigins: ['*'] }), /allowedOrigins/)
    assert.throws(() => withDynamicAuth(handler, auth, { realm: 'a"b' }), /realm/)
    assert.throws(() => requireScopes(), /requireScopes/)
  })

  it('withDynamicAuth: onRefusal replaces the answer; a forwarded refusal is thrown; the preflight option answers preflights', async () => {
    const handler = withDynamicAuth((_request, session) => json({ userId: session.userId }), auth, {
      onRefusal: (error) => json({ custom: true, code: error.code }, { status: 401 }),
    })
    const replaced = await handler(new Request('https://api.example/me'))
    assert.deepEqual(await replaced.json(), { custom: true, code: 'token_missing' })
    const preflight = new Request('https://api.example/me', { method: 'OPTIONS', headers: { ...PREFLIGHT_HEADERS } })
    // onRefusal is for refusals: a preflight still gets the guard's empty 204.
    const answered = await handler(preflight)
    assert.equal(answered.status, 204)
    assert.equal(await answered.text(), '')
    const thrower = withDynamicAuth((_request, session) => json({ userId: session.userId }), auth, {
      refusals: 'forward',
    })
    await assert.rejects(
      thrower(new Request('https://api.example/me')),
      (error: unknown) =>
        isDynamicAuthError(error) &&
        error.code === 'token_missing' &&
        (error as { statusCode?: number }).statusCode === 401,
    )
    assert.throws(() => withDynamicAuth(handler, auth, { refusals: 'next' as never }), /refusals/)
    assert.throws(() => withDynamicAuth(handler, auth, { passPreflightsToApp: 'yes' as never }), /passPreflightsToApp/)
  })

  it('refusalFor answers per RFC 6750', async () => {
    const error = await auth.verifyToken(issuer.mint({ mfaPending: true })).catch((e: unknown) => e)
    assert.ok(isDynamicAuthError(error))
    const refusal = refusalFor(error, { realm: 'x' })
    assert.equal(refusal.status, 403)
    assert.match(
      refusal.headers['www-authenticate'] ?? '',
      /^Bearer realm="x", error="insufficient_scope", error_description="[^"]+", scope="user:basic"$/,
    )
  })
})

describe('fetch adapter built from options', () => {
  const issuer = createTestIssuer()
  let app: RunningApp
  before(async () => {
    app = await serveFetch(
      withDynamicAuth((_request, session) => json({ userId: session.userId }), {
        ...issuer.authOptions(),
        realm: 'edge',
      }),
    )
  })
  after(() => app.close())

  it('creates its own verifier', async () => {
    const refused = await call(app.url)
    assert.equal(refused.headers.get('www-authenticate'), 'Bearer realm="edge"')
    assert.deepEqual((await call(app.url, { token: issuer.mint() })).body, { userId: TEST_USER_ID })
  })
})
