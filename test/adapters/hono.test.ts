/** dynamic-guard/hono on a real Hono 4 app served by @hono/node-server. */
import { describe, it, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { DynamicAuthException, dynamicAuth, requireScopes, type DynamicAuthEnv } from '../../src/adapters/hono.js'
import { type DynamicAuth } from '../../src/index.js'
import { createTestIssuer, TEST_USER_ID } from '../../src/testing/index.js'
import { call, runAdapterSuite, serveFetch, type RunningApp } from './harness.js'

function buildApp(auth: DynamicAuth): Hono {
  const app = new Hono()

  const api = new Hono<DynamicAuthEnv>()
  api.use('*', dynamicAuth(auth))
  api.options('/me', (c) => c.body(null, 204, { 'access-control-allow-origin': '*' }))
  api.on(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], '/me', (c) => c.json({ userId: c.get('auth').userId, method: c.req.method }))
  api.get('/sign', requireScopes('wallet:sign'), (c) => c.json({ userId: c.get('auth').userId, method: c.req.method }))
  app.route('/api', api)

  const scoped = new Hono<DynamicAuthEnv>()
  scoped.get('/me', dynamicAuth(auth, { requiredScopes: ['wallet:sign'] }), (c) => c.json({ userId: c.get('auth').userId, method: 'GET' }))
  app.route('/scoped', scoped)

  const opt = new Hono()
  opt.on(['GET', 'POST'], '/me', dynamicAuth(auth, { optional: true }), (c) => c.json({ userId: c.get('auth')?.userId ?? null }))
  app.route('/opt', opt)

  const custom = new Hono<DynamicAuthEnv>()
  custom.use('*', dynamicAuth(auth))
  custom.get('/me', (c) => c.json({ userId: c.get('auth').userId }))
  custom.onError((error, c) => {
    if (error instanceof DynamicAuthException) return c.json({ custom: true, code: error.error.code }, 401, { 'x-custom': 'yes' })
    throw error
  })
  app.route('/custom', custom)
  return app
}

runAdapterSuite({ name: 'Hono', start: (auth) => serveFetch(buildApp(auth).fetch) })

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

  it('takes verifier options and adapter options in one object; the refusal is an HTTPException', async () => {
    const refused = await call(`${app.url}/me`)
    assert.equal(refused.status, 401)
    assert.equal(refused.headers.get('www-authenticate'), 'Bearer realm="wallets"')
    assert.equal(refused.body?.code, 'token_missing')
    assert.deepEqual((await call(`${app.url}/me`, { token: issuer.mint() })).body, { userId: TEST_USER_ID })
  })
})
