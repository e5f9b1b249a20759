/** dynamic-guard/fastify on a real Fastify 5 server. */
import { describe, it, after, before } from 'node:test'
import assert from 'node:assert/strict'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { dynamicAuth, dynamicAuthPlugin, requireScopes } from '../../src/adapters/fastify.js'
import { createDynamicAuth, isDynamicAuthError, type DynamicAuth } from '../../src/index.js'
import { createTestIssuer, TEST_USER_ID } from '../../src/testing/index.js'
import { call, runAdapterSuite, type RunningApp } from './harness.js'

async function listen(app: FastifyInstance): Promise<RunningApp> {
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  return { url: address, close: () => app.close() }
}

const me = async (request: FastifyRequest) => ({ userId: request.auth!.userId, method: request.method })

async function buildApp(auth: DynamicAuth): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(
    async (api) => {
      await api.register(dynamicAuthPlugin, { auth })
      api.options('/me', async (_request, reply) => reply.header('access-control-allow-origin', '*').code(204).send())
      api.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/me', handler: me })
      api.get('/sign', { onRequest: requireScopes('wallet:sign') }, me)
    },
    { prefix: '/api' },
  )
  await app.register(
    async (scoped) => {
      // Per route: the plugin without the app-wide hook, and a hook with its own options.
      await scoped.register(dynamicAuthPlugin, { auth, global: false })
      scoped.get('/me', { onRequest: dynamicAuth(auth, { requiredScopes: ['wallet:sign'] }) }, me)
      scoped.get('/plain', { onRequest: scoped.dynamicAuth }, me)
    },
    { prefix: '/scoped' },
  )
  await app.register(
    async (opt) => {
      await opt.register(dynamicAuthPlugin, { auth, optional: true })
      opt.route({ method: ['GET', 'POST'], url: '/me', handler: async (request) => ({ userId: request.auth?.userId ?? null }) })
    },
    { prefix: '/opt' },
  )
  await app.register(
    async (custom) => {
      await custom.register(dynamicAuthPlugin, { auth, errorHandler: false })
      custom.setErrorHandler((error: unknown, _request: FastifyRequest, reply: FastifyReply) => {
        if (!isDynamicAuthError(error)) throw error
        return reply.code(401).header('x-custom', 'yes').send({ custom: true, code: error.code })
      })
      custom.get('/me', me)
    },
    { prefix: '/custom' },
  )
  return app
}

runAdapterSuite({ name: 'Fastify', start: async (auth) => listen(await buildApp(auth)) })

describe('Fastify plugin details', () => {
  let app: RunningApp
  const issuer = createTestIssuer()
  before(async () => {
    const fastify = Fastify()
    await fastify.register(dynamicAuthPlugin, { ...issuer.authOptions(), global: false })
    fastify.get('/open', async (request) => ({ auth: request.auth ?? null }))
    fastify.get('/closed', { onRequest: fastify.dynamicAuth }, me)
    app = await listen(fastify)
  })
  after(() => app.close())

  it('accepts the verifier options directly and protects only the routes that ask', async () => {
    assert.deepEqual((await call(`${app.url}/open`)).body, { auth: null })
    assert.equal((await call(`${app.url}/closed`)).status, 401)
    const ok = await call(`${app.url}/closed`, { token: issuer.mint() })
    assert.deepEqual(ok.body, { userId: TEST_USER_ID, method: 'GET' })
  })

  it('can be registered again in a child context, with other options', async () => {
    const fastify = Fastify()
    const shared = createDynamicAuth(issuer.authOptions())
    await fastify.register(dynamicAuthPlugin, { auth: shared, global: false })
    await fastify.register(async (child) => {
      await child.register(dynamicAuthPlugin, { auth: shared, optional: true })
      child.get('/maybe', async (request) => ({ userId: request.auth?.userId ?? null }))
    })
    fastify.get('/closed', { onRequest: fastify.dynamicAuth }, me)
    const running = await listen(fastify)
    try {
      assert.deepEqual((await call(`${running.url}/maybe`)).body, { userId: null })
      assert.deepEqual((await call(`${running.url}/maybe`, { token: issuer.mint() })).body, { userId: TEST_USER_ID })
      assert.equal((await call(`${running.url}/closed`)).status, 401)
    } finally {
      await running.close()
    }
  })

  it('refuses bad options at registration', async () => {
    const fastify = Fastify()
    fastify.register(dynamicAuthPlugin, { auth: createDynamicAuth(issuer.authOptions()), cookieName: 'bad name' })
    await assert.rejects(async () => {
      await fastify.ready()
    }, /cookieName/)
    await fastify.close()
  })
})
