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
import { createDynamicAuth, type DynamicAuth } from '../../src/index.js'
import { createTestIssuer, TEST_USER_ID } from '../../src/testing/index.js'
import { call, listen, runAdapterSuite, type RunningApp } from './harness.js'

type Params = { params: Promise<{ slug: string }> }
const context: Params = { params: Promise.resolve({ slug: 'me' }) }
const event = {} as NextFetchEvent

function buildApp(auth: DynamicAuth): (request: NextRequest) => Promise<Response> {
  const me = withDynamicAuth<Params>(async (request, { auth: session, params }) => {
    assert.equal((await params).slug, 'me')
    return Response.json({ userId: session.userId, method: request.method })
  }, auth)
  const sign = withDynamicAuth((request, { auth: session }) => Response.json({ userId: session.userId, method: request.method }), auth, requireScopes('wallet:sign'))
  // Protected in middleware, which answers by itself here.
  const scoped = dynamicAuthMiddleware(auth, { requiredScopes: ['wallet:sign'] }, (request, session) =>
    Response.json({ userId: session!.userId, method: request.method }),
  )
  const optional = withDynamicAuth((_request, { auth: session }) => Response.json({ userId: session?.userId ?? null }), auth, { optional: true })
  const custom = withDynamicAuth((_request, { auth: session }) => Response.json({ userId: session.userId }), auth, {
    onRefusal: (error) => Response.json({ custom: true, code: error.code }, { status: 401, headers: { 'x-custom': 'yes' } }),
  })
  const routes: Record<string, (request: NextRequest) => Promise<Response | undefined>> = {
    '/api/me': (request) => me(request, context),
    '/api/sign': (request) => sign(request, context),
    '/scoped/me': (request) => scoped(request, event),
    '/opt/me': (request) => optional(request, context),
    '/custom/me': (request) => custom(request, context),
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
      response.headers.forEach((value, name) => res.setHeader(name, value))
      res.writeHead(response.status)
      res.end(Buffer.from(await response.arrayBuffer()))
    }),
  )
}

runAdapterSuite({ name: 'Next', start: (auth) => serveNext(buildApp(auth)), appAnswersPreflight: false })

describe('Next middleware helper', () => {
  const issuer = createTestIssuer()
  let app: RunningApp
  before(async () => {
    const middleware = dynamicAuthMiddleware(createDynamicAuth(issuer.authOptions()))
    app = await serveNext(async (request) => {
      // What Next does: a middleware result ends the request, `undefined` lets it go on to the route.
      const result = await middleware(request, event)
      return result ?? Response.json({ reached: 'route' })
    })
  })
  after(() => app.close())

  it('refuses per RFC 6750 and otherwise returns nothing so that the request goes on', async () => {
    const refused = await call(`${app.url}/api/x`)
    assert.equal(refused.status, 401)
    assert.equal(refused.headers.get('www-authenticate'), 'Bearer realm="api"')
    assert.deepEqual((await call(`${app.url}/api/x`, { token: issuer.mint() })).body, { reached: 'route' })
    const preflight = await call(`${app.url}/api/x`, { method: 'OPTIONS', headers: { origin: 'https://a.example', 'access-control-request-method': 'POST' } })
    assert.deepEqual(preflight.body, { reached: 'route' })
  })
})
