/** dynamic-guard/fastify on a real Fastify 5 server. */
import { describe, it, after, before } from 'node:test'
import assert from 'node:assert/strict'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { dynamicAuth, dynamicAuthErrorHandler, dynamicAuthPlugin, requireScopes } from '../../src/adapters/fastify.js'
import { createDynamicAuth, isDynamicAuthError, type DynamicAuth } from '../../src/index.js'
import { createTestIssuer, TEST_USER_ID } from '../../src/testing/index.js'
import {
  assertRefusal,
  call,
  CORS_ORIGIN,
  CORS_PREFLIGHT_ANSWER,
  PROTECTED,
  runAdapterSuite,
  type RunningApp,
} from './harness.js'
import { runRouteOptionsSuite, sessionFacts } from './route-options.js'

async function listen(app: FastifyInstance): Promise<RunningApp> {
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  return { url: address, close: () => app.close() }
}

const me = async (request: FastifyRequest) => ({ userId: request.auth!.userId, method: request.method })
const all = async (request: FastifyRequest) => ({
  secret: PROTECTED,
  userId: request.auth?.userId ?? null,
  method: request.method,
})

/** A tiny CORS hook, as @fastify/cors behaves: answers preflights, adds the origin header. */
function tinyCors(request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  if (request.headers.origin === CORS_ORIGIN) void reply.header('access-control-allow-origin', CORS_ORIGIN)
  if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
    void reply.headers(CORS_PREFLIGHT_ANSWER).code(204).send()
    return
  }
  done()
}

/** The app's own error handler, for forwarded refusals. */
function customErrorHandler(error: unknown, _request: FastifyRequest, reply: FastifyReply) {
  if (!isDynamicAuthError(error)) throw error
  return reply.code(401).header('x-custom', 'yes').send({ custom: true, code: error.code })
}

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
      opt.route({
        method: ['GET', 'POST'],
        url: '/me',
        handler: async (request) => ({ userId: request.auth?.userId ?? null }),
      })
    },
    { prefix: '/opt' },
  )
  await app.register(
    async (every) => {
      await every.register(dynamicAuthPlugin, { auth })
      every.all('/me', all)
    },
    { prefix: '/all' },
  )
  await app.register(
    async (pass) => {
      await pass.register(dynamicAuthPlugin, { auth, passPreflightsToApp: true })
      pass.all('/me', { onRequest: requireScopes('wallet:sign') }, all)
    },
    { prefix: '/pass' },
  )
  await app.register(
    async (cors) => {
      cors.addHook('onRequest', tinyCors) // before the guard's hook
      await cors.register(dynamicAuthPlugin, { auth })
      cors.route({ method: ['GET', 'OPTIONS'], url: '/me', handler: me })
    },
    { prefix: '/cors' },
  )
  await app.register(
    async (custom) => {
      await custom.register(dynamicAuthPlugin, { auth, refusals: 'forward' })
      custom.setErrorHandler(customErrorHandler)
      custom.get('/me', me)
      custom.get('/sign', { onRequest: requireScopes('wallet:sign') }, me)
    },
    { prefix: '/custom' },
  )
  return app
}

runAdapterSuite({ name: 'Fastify', start: async (auth) => listen(await buildApp(auth)) })
runRouteOptionsSuite({
  name: 'Fastify',
  start: async (auth, routes) => {
    const app = Fastify()
    await app.register(dynamicAuthPlugin, { auth, global: false })
    for (const [path, options] of Object.entries(routes))
      app.get(path, { onRequest: dynamicAuth(auth, options) }, async (request) => sessionFacts(request.auth!))
    return listen(app)
  },
})

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

  it("forwards with refusals: 'forward' to the app's error handler or to dynamicAuthErrorHandler; the removed errorHandler option is refused", async () => {
    const shared = createDynamicAuth(issuer.authOptions())
    const fastify = Fastify()
    await fastify.register(async (custom) => {
      await custom.register(dynamicAuthPlugin, { auth: shared, refusals: 'forward' })
      custom.setErrorHandler(customErrorHandler)
      custom.get('/forwarded', me)
    })
    await fastify.register(async (answered) => {
      await answered.register(dynamicAuthPlugin, { auth: shared, refusals: 'forward' })
      answered.setErrorHandler(dynamicAuthErrorHandler)
      answered.get('/answered', me)
    })
    const running = await listen(fastify)
    try {
      assert.deepEqual((await call(`${running.url}/forwarded`)).body, { custom: true, code: 'token_missing' })
      assertRefusal(await call(`${running.url}/answered`), {
        status: 401,
        error: 'unauthorized',
        code: 'token_missing',
      })
    } finally {
      await running.close()
    }
    const removed = Fastify()
    void removed.register(dynamicAuthPlugin, { auth: shared, errorHandler: false } as never)
    await assert.rejects(async () => removed.ready(), /errorHandler option was removed.*refusals: 'forward'/)
  })

  it('says once, as a process warning, when the hook runs where request.auth was never declared', async () => {
    const warnings: Array<{ code?: string; message: string }> = []
    const onWarning = (warning: Error & { code?: string }) => warnings.push(warning)
    process.on('warning', onWarning)
    const fastify = Fastify()
    // The hook alone, without the plugin that declares request.auth: it still works.
    fastify.get('/bare', { onRequest: dynamicAuth(createDynamicAuth(issuer.authOptions())) }, me)
    const running = await listen(fastify)
    try {
      for (let i = 0; i < 3; i++)
        assert.deepEqual((await call(`${running.url}/bare`, { token: issuer.mint() })).body, {
          userId: TEST_USER_ID,
          method: 'GET',
        })
      await new Promise((resolve) => setImmediate(resolve)) // warnings are emitted on the next tick
      const ours = warnings.filter((w) => w.code === 'DYNAMIC_GUARD_FASTIFY_UNDECLARED_AUTH')
      assert.equal(ours.length, 1)
      assert.match(ours[0]!.message, /Register dynamicAuthPlugin .* or call app\.decorateRequest\("auth", undefined\)/)
    } finally {
      process.off('warning', onWarning)
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
    const other = Fastify()
    other.register(dynamicAuthPlugin, { auth: createDynamicAuth(issuer.authOptions()), refusals: 'throw' as never })
    await assert.rejects(async () => {
      await other.ready()
    }, /refusals/)
    await other.close()
  })
})
