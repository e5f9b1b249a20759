/** dynamic-guard/hono on a real Hono 4 app served by @hono/node-server. */
import { describe, it, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { Hono } from 'hono'
import { cors } from 'hono/cors'
import { HTTPException } from 'hono/http-exception'
import {
  DynamicAuthException,
  dynamicAuth,
  requireScopes,
  type DynamicAuthEnv,
  type OptionalDynamicAuthEnv,
} from '../../src/adapters/hono.js'
import type { DynamicAuth } from '../../src/index.js'
import { createTestIssuer, TEST_USER_ID } from '../../src/testing/index.js'
import { call, CORS_ORIGIN, PROTECTED, runAdapterSuite, serveFetch, type RunningApp } from './harness.js'
import { runRouteOptionsSuite, sessionFacts } from './route-options.js'

function buildApp(auth: DynamicAuth): Hono {
  const app = new Hono()

  const api = new Hono<DynamicAuthEnv>()
  api.use('*', dynamicAuth(auth))
  api.options('/me', (c) => c.body(null, 204, { 'access-control-allow-origin': '*' }))
  api.on(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], '/me', (c) =>
    c.json({ userId: c.get('auth').userId, method: c.req.method }),
  )
  api.get('/sign', requireScopes('wallet:sign'), (c) => c.json({ userId: c.get('auth').userId, method: c.req.method }))
  app.route('/api', api)

  const scoped = new Hono<DynamicAuthEnv>()
  scoped.get('/me', dynamicAuth(auth, { requiredScopes: ['wallet:sign'] }), (c) =>
    c.json({ userId: c.get('auth').userId, method: 'GET' }),
  )
  app.route('/scoped', scoped)

  const opt = new Hono()
  opt.on(['GET', 'POST'], '/me', dynamicAuth(auth, { optional: true }), (c) =>
    c.json({ userId: c.get('auth')?.userId ?? null }),
  )
  app.route('/opt', opt)

  const every = new Hono<OptionalDynamicAuthEnv>()
  every.use('*', dynamicAuth(auth))
  every.all('/me', (c) => c.json({ secret: PROTECTED, userId: c.get('auth')?.userId ?? null, method: c.req.method }))
  app.route('/all', every)

  const pass = new Hono<OptionalDynamicAuthEnv>()
  pass.use('*', dynamicAuth(auth, { passPreflightsToApp: true }))
  pass.all('/me', requireScopes('wallet:sign'), (c) =>
    c.json({ secret: PROTECTED, userId: c.get('auth')?.userId ?? null, method: c.req.method }),
  )
  app.route('/pass', pass)

  const withCors = new Hono<DynamicAuthEnv>()
  withCors.use('*', cors({ origin: CORS_ORIGIN, allowMethods: ['GET', 'POST'], allowHeaders: ['authorization'] })) // before the guard
  withCors.use('*', dynamicAuth(auth))
  withCors.get('/me', (c) => c.json({ userId: c.get('auth').userId, method: c.req.method }))
  app.route('/cors', withCors)

  const custom = new Hono<DynamicAuthEnv>()
  custom.use('*', dynamicAuth(auth, { refusals: 'forward' }))
  custom.get('/me', (c) => c.json({ userId: c.get('auth').userId }))
  custom.get('/sign', requireScopes('wallet:sign'), (c) => c.json({ userId: c.get('auth').userId }))
  custom.onError((error, c) => {
    if (error instanceof DynamicAuthException)
      return c.json({ custom: true, code: error.error.code }, 401, { 'x-custom': 'yes' })
    throw error
  })
  app.route('/custom', custom)
  return app
}

runAdapterSuite({ name: 'Hono', start: (auth) => serveFetch(buildApp(auth).fetch) })
// The same suite with the app called without @hono/node-server's env (no `c.env.incoming`): the
// guard reads the Web Request, as it does on Bun, Deno and Workers.
runAdapterSuite({
  name: 'Hono, Web Request only',
  start: (auth) => {
    const app = buildApp(auth)
    return serveFetch((request) => app.fetch(request))
  },
})
runRouteOptionsSuite({
  name: 'Hono',
  start: (auth, routes) => {
    const app = new Hono<DynamicAuthEnv>()
    for (const [path, options] of Object.entries(routes))
      app.get(path, dynamicAuth(auth, options), (c) => c.json(sessionFacts(c.get('auth'))))
    app.onError((error, c) => {
      if (error instanceof DynamicAuthException) return c.json({ code: error.error.code }, error.error.status)
      throw error
    })
    return serveFetch(app.fetch)
  },
})

describe('Hono details', () => {
  const issuer = createTestIssuer()
  let app: RunningApp
  before(async () => {
    const hono = new Hono<DynamicAuthEnv>()
    hono.use('*', dynamicAuth({ ...issuer.authOptions(), realm: 'wallets' }))
    hono.get('/me', (c) => c.json({ userId: c.get('auth').userId }))
    hono.onError((error, c) => (error instanceof HTTPException ? error.getResponse() : c.text('boom', 500)))
    app = await serveFetch(hono.fetch)
  })
  after(() => app.close())

  it("with refusals: 'forward', the refusal is an HTTPException whose response is the RFC 6750 answer", async () => {
    const hono = new Hono<DynamicAuthEnv>()
    hono.use('*', dynamicAuth({ ...issuer.authOptions(), realm: 'wallets', refusals: 'forward' }))
    hono.get('/me', (c) => c.json({ userId: c.get('auth').userId }))
    const seen: unknown[] = []
    hono.onError((error, c) => {
      seen.push(error)
      return error instanceof HTTPException ? error.getResponse() : c.text('boom', 500)
    })
    const refused = await hono.request('/me')
    assert.equal(refused.status, 401)
    assert.equal(refused.headers.get('www-authenticate'), 'Bearer realm="wallets"')
    assert.equal(((await refused.json()) as { code: string }).code, 'token_missing')
    assert.ok(seen[0] instanceof DynamicAuthException)
  })

  it("reads the headers from Node's request under @hono/node-server, and from the Web Request elsewhere", async () => {
    // Which Authorization header the guard asked the Web Request's Headers for, per request.
    const asked: string[] = []
    const hono = new Hono<DynamicAuthEnv>()
    hono.use('*', async (c, next) => {
      const headers = c.req.raw.headers
      const get = headers.get.bind(headers)
      headers.get = (name: string) => {
        asked.push(name.toLowerCase())
        return get(name)
      }
      await next()
    })
    hono.use('*', dynamicAuth(issuer.authOptions()))
    hono.get('/me', (c) => c.json({ userId: c.get('auth').userId }))
    const served = await serveFetch(hono.fetch)
    const webOnly = await serveFetch((request) => hono.fetch(request))
    try {
      const token = issuer.mint()
      assert.deepEqual((await call(`${served.url}/me`, { token })).body, { userId: TEST_USER_ID })
      assert.equal(asked.length, 0, 'Node parsed these headers: the Web Headers were not asked')
      assert.deepEqual((await call(`${webOnly.url}/me`, { token })).body, { userId: TEST_USER_ID })
      assert.ok(asked.includes('authorization'), `the Web Headers were asked: ${asked.join(', ')}`)
      // Two Authorization fields are refused either way (Node keeps the first in its headers).
      for (const url of [served.url, webOnly.url]) {
        const answer = await rawGet(url, [`Authorization: Bearer ${token}`, `Authorization: Bearer ${token}x`])
        assert.match(answer, /^HTTP\/1\.1 400 /, answer.slice(0, 200))
      }
    } finally {
      await served.close()
      await webOnly.close()
    }
  })

  it('takes verifier options and adapter options in one object', async () => {
    const refused = await call(`${app.url}/me`)
    assert.equal(refused.status, 401)
    assert.equal(refused.headers.get('www-authenticate'), 'Bearer realm="wallets"')
    assert.equal(refused.body?.code, 'token_missing')
    assert.deepEqual((await call(`${app.url}/me`, { token: issuer.mint() })).body, { userId: TEST_USER_ID })
  })
})

/** A GET /me sent over a raw socket, so that header lines repeat as written. Resolves with the answer's text. */
function rawGet(url: string, headerLines: string[]): Promise<string> {
  const { port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write(['GET /me HTTP/1.1', 'Host: 127.0.0.1', 'Connection: close', ...headerLines, '', ''].join('\r\n'))
    })
    let text = ''
    socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
    socket.on('end', () => resolve(text))
    socket.on('error', reject)
  })
}
