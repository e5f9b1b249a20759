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
import { call, listen, runAdapterSuite, type RunningApp } from './harness.js'

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

function buildApp(Factory: typeof Koa, auth: DynamicAuth): Koa {
  const app = new Factory()
  app.silent = true
  app.use(dynamicAuthErrorHandler())
  app.use(
    at(
      '/custom/me',
      async (ctx, next) => {
        try {
          await next()
        } catch (error) {
          if (!isDynamicAuthError(error)) throw error
          ctx.status = 401
          ctx.set('x-custom', 'yes')
          ctx.body = { custom: true, code: error.code }
        }
      },
      dynamicAuth(auth),
      me,
    ),
  )
  const protect = dynamicAuth(auth)
  app.use(
    at('/api/me', protect, (ctx, next) => {
      if (ctx.method !== 'OPTIONS') return next()
      ctx.set('access-control-allow-origin', '*')
      ctx.status = 204
    }, me),
  )
  app.use(at('/api/sign', protect, requireScopes('wallet:sign'), me))
  app.use(at('/scoped/me', dynamicAuth(auth, { requiredScopes: ['wallet:sign'] }), me))
  app.use(
    at('/opt/me', dynamicAuth(auth, { optional: true }), (ctx) => {
      ctx.body = { userId: ctx.state.auth?.userId ?? null }
    }),
  )
  return app
}

for (const [name, Factory] of [
  ['Koa 3', Koa],
  ['Koa 2', Koa2],
] as const) {
  runAdapterSuite({ name, start: (auth) => listen(createServer(buildApp(Factory, auth).callback())) })

  describe(`${name} without the error handler`, () => {
    const issuer = createTestIssuer()
    let app: RunningApp
    const emitted: unknown[] = []
    before(async () => {
      const bare = new Factory()
      bare.on('error', (error) => emitted.push(error))
      bare.use(dynamicAuth(createDynamicAuth(issuer.authOptions())))
      bare.use(me)
      app = await listen(createServer(bare.callback()))
    })
    after(() => app.close())

    it("answers through Koa's own error handling: status, challenge, the message, and a safe 'error' event", async () => {
      const expired = issuer.mint({ expired: true })
      const answer = await call(`${app.url}/me`, { token: expired })
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
