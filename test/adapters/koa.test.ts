/** dynamic-guard/koa on real Koa 3 and Koa 2 servers. */
import { describe, it, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import Koa, { type Middleware } from 'koa'
import compose from 'koa-compose'
import { dynamicAuth, dynamicAuthErrorHandler, requireScopes } from '../../src/adapters/koa.js'
import { createDynamicAuth, isDynamicAuthError, type DynamicAuth } from '../../src/index.js'
import { createTestIssuer } from '../../src/testing/index.js'
import {
  assertRefusal,
  call,
  CORS_ORIGIN,
  CORS_PREFLIGHT_ANSWER,
  listen,
  PROTECTED,
  runAdapterSuite,
  type RunningApp,
} from './harness.js'
import { runRouteOptionsSuite, sessionFacts } from './route-options.js'

const require = createRequire(import.meta.url)
const Koa2 = require('koa2') as typeof Koa

/** A tiny router: runs `middleware` for requests whose path is `path` (no router package needed). */
function at(path: string, ...middleware: Middleware[]): Middleware {
  const composed = compose(middleware)
  return (ctx, next) => (ctx.path === path ? composed(ctx, next) : next())
}

const me: Middleware = (ctx) => {
  ctx.body = { userId: ctx.state.auth!.userId, method: ctx.method }
}
const all: Middleware = (ctx) => {
  ctx.body = { secret: PROTECTED, userId: ctx.state.auth?.userId ?? null, method: ctx.method }
}

/** A tiny CORS middleware, as @koa/cors behaves: answers preflights, adds the origin header. */
const tinyCors: Middleware = (ctx, next) => {
  if (ctx.get('origin') === CORS_ORIGIN) ctx.set('access-control-allow-origin', CORS_ORIGIN)
  if (ctx.method === 'OPTIONS' && ctx.get('access-control-request-method')) {
    ctx.set(CORS_PREFLIGHT_ANSWER as Record<string, string>)
    ctx.status = 204
    return
  }
  return next()
}

/** The app's own handling of forwarded refusals: an upstream try/catch. */
const customRefusal: Middleware = async (ctx, next) => {
  try {
    await next()
  } catch (error) {
    if (!isDynamicAuthError(error)) throw error
    ctx.status = 401
    ctx.set('x-custom', 'yes')
    ctx.body = { custom: true, code: error.code }
  }
}

function buildApp(Factory: typeof Koa, auth: DynamicAuth): Koa {
  const app = new Factory()
  app.silent = true
  // No error-handling middleware: the guard answers refusals itself.
  const forward = dynamicAuth(auth, { refusals: 'forward' })
  app.use(at('/custom/me', customRefusal, forward, me))
  app.use(at('/custom/sign', customRefusal, forward, requireScopes('wallet:sign'), me))
  const protect = dynamicAuth(auth)
  app.use(
    at(
      '/api/me',
      protect,
      (ctx, next) => {
        if (ctx.method !== 'OPTIONS') return next()
        ctx.set('access-control-allow-origin', '*')
        ctx.status = 204
      },
      me,
    ),
  )
  app.use(at('/api/sign', protect, requireScopes('wallet:sign'), me))
  app.use(at('/scoped/me', dynamicAuth(auth, { requiredScopes: ['wallet:sign'] }), me))
  app.use(
    at('/opt/me', dynamicAuth(auth, { optional: true }), (ctx) => {
      ctx.body = { userId: ctx.state.auth?.userId ?? null }
    }),
  )
  app.use(at('/all/me', protect, all))
  app.use(at('/pass/me', dynamicAuth(auth, { passPreflightsToApp: true }), requireScopes('wallet:sign'), all))
  app.use(at('/cors/me', tinyCors, protect, me))
  return app
}

for (const [name, Factory] of [
  ['Koa 3', Koa],
  ['Koa 2', Koa2],
] as const) {
  runAdapterSuite({ name, start: (auth) => listen(createServer(buildApp(Factory, auth).callback())) })
  runRouteOptionsSuite({
    name,
    start: (auth, routes) => {
      const app = new Factory()
      app.silent = true
      for (const [path, options] of Object.entries(routes))
        app.use(
          at(path, dynamicAuth(auth, options), (ctx) => {
            ctx.body = sessionFacts(ctx.state.auth!)
          }),
        )
      return listen(createServer(app.callback()))
    },
  })

  describe(`${name}: refusals with no extra middleware, and forwarded`, () => {
    const issuer = createTestIssuer()
    const auth = createDynamicAuth(issuer.authOptions())
    const emitted: unknown[] = []
    let bare: RunningApp
    let forwarded: RunningApp
    let handled: RunningApp
    const build = (options: Parameters<typeof dynamicAuth>[1], errorHandler: boolean) => {
      const app = new Factory()
      app.on('error', (error) => emitted.push(error))
      if (errorHandler) app.use(dynamicAuthErrorHandler())
      app.use(dynamicAuth(auth, options))
      app.use(me)
      return listen(createServer(app.callback()))
    }
    before(async () => {
      bare = await build({}, false)
      forwarded = await build({ refusals: 'forward' }, false)
      handled = await build({ refusals: 'forward' }, true)
    })
    after(() => Promise.all([bare.close(), forwarded.close(), handled.close()]))

    it('answers in JSON per RFC 6750 by default (no text/plain), with no error event', async () => {
      emitted.length = 0
      const expired = issuer.mint({ expired: true })
      for (const app of [bare, handled]) {
        const missing = await call(`${app.url}/me`)
        assertRefusal(missing, { status: 401, error: 'unauthorized', code: 'token_missing' })
        assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="api"')
        assertRefusal(await call(`${app.url}/me`, { token: expired }), {
          status: 401,
          error: 'invalid_token',
          code: 'token_expired',
          challenge: /error="invalid_token"/,
          token: expired,
        })
      }
      assert.equal(emitted.length, 0)
    })

    it("refusals: 'forward' goes through Koa's own error handling: status, challenge, the message, and a safe 'error' event", async () => {
      emitted.length = 0
      const expired = issuer.mint({ expired: true })
      const answer = await call(`${forwarded.url}/me`, { token: expired })
      assert.equal(answer.status, 401)
      assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer realm="api", error="invalid_token"/)
      assert.match(answer.text, /expired/)
      assert.ok(!answer.text.includes(expired))
      assert.equal(emitted.length, 1)
      const error = emitted[0] as { code?: string; expose?: boolean; stack?: string; message: string }
      assert.equal(error.code, 'token_expired')
      assert.equal(error.expose, true)
      assert.ok(!error.message.includes(expired) && !(error.stack ?? '').includes(expired))
      assert.doesNotMatch(error.stack ?? '', /\n\s+at /)
    })
  })
}
