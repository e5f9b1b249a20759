/**
 * dynamic-guard/next: route handlers wrapped by `withDynamicAuth` and the middleware helper,
 * given real NextRequest objects (next/server) built from real HTTP requests to a node:http
 * server, the way Next's own server hands them over.
 */
import { describe, it, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { NextRequest, type NextFetchEvent } from 'next/server.js'
import { dynamicAuthMiddleware, requireScopes, withDynamicAuth } from '../../src/adapters/next.js'
import { createDynamicAuth, isDynamicAuthError, type DynamicAuth, type DynamicSession } from '../../src/index.js'
import { createTestIssuer, TEST_USER_ID } from '../../src/testing/index.js'
import {
  call,
  CORS_PREFLIGHT_ANSWER,
  listen,
  PREFLIGHT_HEADERS,
  PROTECTED,
  runAdapterSuite,
  type RunningApp,
} from './harness.js'
import { runRouteOptionsSuite, sessionFacts } from './route-options.js'

type Params = { params: Promise<{ slug: string }> }
const context: Params = { params: Promise.resolve({ slug: 'me' }) }
const event = {} as NextFetchEvent

function buildApp(auth: DynamicAuth): (request: NextRequest) => Promise<Response> {
  const me = withDynamicAuth<Params>(async (request, { auth: session, params }) => {
    assert.equal((await params).slug, 'me')
    return Response.json({ userId: session.userId, method: request.method })
  }, auth)
  const sign = requireScopes('wallet:sign')(
    (request, { auth: session }) => Response.json({ userId: session.userId, method: request.method }),
    auth,
  )
  // Protected in middleware, which answers by itself here.
  const scoped = dynamicAuthMiddleware(auth, { requiredScopes: ['wallet:sign'] }, (request, session) =>
    Response.json({ userId: session!.userId, method: request.method }),
  )
  const optional = withDynamicAuth(
    (_request, { auth: session }) => Response.json({ userId: session?.userId ?? null }),
    auth,
    { optional: true },
  )
  const all = withDynamicAuth(
    (request, { auth: session }) =>
      Response.json({ secret: PROTECTED, userId: session.userId, method: request.method }),
    auth,
  )
  const pass = withDynamicAuth(
    (request, { auth: session }) =>
      Response.json({ secret: PROTECTED, userId: session?.userId ?? null, method: request.method }),
    auth,
    { passPreflightsToApp: true, requiredScopes: ['wallet:sign'] },
  )
  // What Next does with a route exporting an unwrapped OPTIONS (the CORS answer) and a wrapped GET.
  const withCors = async (request: NextRequest) =>
    request.method === 'OPTIONS'
      ? new Response(null, { status: 204, headers: CORS_PREFLIGHT_ANSWER })
      : me(request, context)
  // refusals: 'forward' throws; the app's own wrapper catches it.
  const catchForwarded =
    (handler: (request: NextRequest, context: Params) => Promise<Response>) => async (request: NextRequest) => {
      try {
        return await handler(request, context)
      } catch (error) {
        if (!isDynamicAuthError(error)) throw error
        return Response.json({ custom: true, code: error.code }, { status: 401, headers: { 'x-custom': 'yes' } })
      }
    }
  const meHandler = (request: NextRequest, { auth: session }: { auth: DynamicSession }) =>
    Response.json({ userId: session.userId, method: request.method })
  const routes: Record<string, (request: NextRequest) => Promise<Response | undefined>> = {
    '/api/me': (request) => me(request, context),
    '/api/sign': (request) => sign(request, context),
    '/scoped/me': (request) => scoped(request, event),
    '/opt/me': (request) => optional(request, context),
    '/all/me': (request) => all(request, context),
    '/pass/me': (request) => pass(request, context),
    '/cors/me': withCors,
    '/custom/me': catchForwarded(withDynamicAuth<Params>(meHandler, auth, { refusals: 'forward' })),
    '/custom/sign': catchForwarded(requireScopes('wallet:sign')<Params>(meHandler, auth, { refusals: 'forward' })),
  }
  return async (request) => {
    const route = routes[request.nextUrl.pathname]
    return (route && (await route(request))) ?? new Response('not found', { status: 404 })
  }
}

/** A node:http server that turns each request into a NextRequest, as Next's server does, and writes the Response back. */
async function serveNext(handle: (request: NextRequest) => Promise<Response>): Promise<RunningApp> {
  return listen(
    createServer(async (req, res) => {
      const chunks: Buffer[] = []
      for await (const chunk of req) chunks.push(chunk as Buffer)
      const headers = new Headers()
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string') headers.set(name, value)
        else if (Array.isArray(value)) for (const v of value) headers.append(name, v)
      }
      const request = new NextRequest(`http://${req.headers.host}${req.url}`, {
        method: req.method!,
        headers,
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      })
      let response: Response
      try {
        response = await handle(request)
      } catch {
        response = new Response('handler failed', { status: 500 })
      }
      response.headers.forEach((value, name) => {
        res.setHeader(name, value)
      })
      res.writeHead(response.status)
      res.end(Buffer.from(await response.arrayBuffer()))
    }),
  )
}

runAdapterSuite({ name: 'Next', start: (auth) => serveNext(buildApp(auth)) })
runRouteOptionsSuite({
  name: 'Next',
  start: (auth, routes) => {
    const handlers = new Map(
      Object.entries(routes).map(([path, options]) => [
        path,
        withDynamicAuth<Params>((_request, { auth: session }) => Response.json(sessionFacts(session)), auth, options),
      ]),
    )
    return serveNext(async (request) => {
      try {
        return (await handlers.get(request.nextUrl.pathname)?.(request, context)) ?? new Response(null, { status: 404 })
      } catch (error) {
        if (!isDynamicAuthError(error)) throw error
        return Response.json({ code: error.code }, { status: error.status })
      }
    })
  },
})

describe('Next middleware helper', () => {
  const issuer = createTestIssuer()
  const auth = createDynamicAuth(issuer.authOptions())
  let app: RunningApp
  let passing: RunningApp
  const reaching = (middleware: ReturnType<typeof dynamicAuthMiddleware>) =>
    serveNext(async (request) => {
      // What Next does: a middleware result ends the request, `undefined` lets it go on to the route.
      const result = await middleware(request, event)
      return result ?? Response.json({ reached: 'route', secret: PROTECTED })
    })
  before(async () => {
    app = await reaching(dynamicAuthMiddleware(auth))
    passing = await reaching(dynamicAuthMiddleware(auth, { passPreflightsToApp: true }))
  })
  after(() => Promise.all([app.close(), passing.close()]))

  it('refuses per RFC 6750 and otherwise returns nothing so that the request goes on', async () => {
    const refused = await call(`${app.url}/api/x`)
    assert.equal(refused.status, 401)
    assert.equal(refused.headers.get('www-authenticate'), 'Bearer realm="api"')
    assert.deepEqual((await call(`${app.url}/api/x`, { token: issuer.mint() })).body, {
      reached: 'route',
      secret: PROTECTED,
    })
  })

  it('answers a preflight-shaped request itself (204), so it never reaches a route; passes it on only with passPreflightsToApp', async () => {
    const preflight = await call(`${app.url}/api/x`, { method: 'OPTIONS', headers: { ...PREFLIGHT_HEADERS } })
    assert.equal(preflight.status, 204)
    assert.equal(preflight.text, '')
    assert.equal(preflight.headers.get('access-control-allow-origin'), null)
    const passed = await call(`${passing.url}/api/x`, { method: 'OPTIONS', headers: { ...PREFLIGHT_HEADERS } })
    assert.deepEqual(passed.body, { reached: 'route', secret: PROTECTED })
    assert.equal((await call(`${passing.url}/api/x`, { method: 'OPTIONS' })).status, 401)
  })

  it('onRefusal replaces the answer to a refusal (not to a preflight)', async () => {
    const handler = withDynamicAuth((_request, { auth: session }) => Response.json({ userId: session.userId }), auth, {
      onRefusal: (error) => Response.json({ custom: true, code: error.code }, { status: 401 }),
    })
    const replaced = await handler(new NextRequest('http://localhost/api/me'), context)
    assert.deepEqual(await replaced.json(), { custom: true, code: 'token_missing' })
    const preflight = await handler(
      new NextRequest('http://localhost/api/me', { method: 'OPTIONS', headers: { ...PREFLIGHT_HEADERS } }),
      context,
    )
    assert.equal(preflight.status, 204)
  })
})

describe('a verifier made on first use (what `next build` needs)', () => {
  const issuer = createTestIssuer()

  it('withDynamicAuth and dynamicAuthMiddleware call a function for the verifier on the first request, once', async () => {
    let made = 0
    const lazily = () => {
      made++
      return createDynamicAuth(issuer.authOptions())
    }
    const handler = withDynamicAuth((_request, { auth: session }) => Response.json({ userId: session.userId }), lazily)
    const middleware = dynamicAuthMiddleware(lazily)
    assert.equal(made, 0, 'made when the route module loads')
    const headers = { authorization: `Bearer ${issuer.mint()}` }
    assert.deepEqual(await (await handler(new NextRequest('http://localhost/api/me', { headers }), context)).json(), {
      userId: TEST_USER_ID,
    })
    assert.deepEqual(await (await handler(new NextRequest('http://localhost/api/me', { headers }), context)).json(), {
      userId: TEST_USER_ID,
    })
    assert.equal(await middleware(new NextRequest('http://localhost/api/me', { headers }), event), undefined)
    assert.equal(made, 2, 'once per helper')
  })

  it('a module that makes its verifier at load time without DYNAMIC_ENVIRONMENT_ID throws; made on first use, it loads', () => {
    const environmentId = undefined as unknown as string
    assert.throws(
      () => withDynamicAuth(() => Response.json({}), createDynamicAuth({ environmentId })),
      /environmentId is required/,
    )
    const handler = withDynamicAuth(
      () => Response.json({}),
      () => createDynamicAuth({ environmentId }),
    )
    assert.equal(typeof handler, 'function')
    return assert.rejects(handler(new NextRequest('http://localhost/api/me'), context), /environmentId is required/)
  })
})
