/** dynamic-guard/express on real Express 5 and Express 4 servers. */
import { describe, it, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import express from 'express'
import type { NextFunction, Request, Response } from 'express'
import { dynamicAuth, dynamicAuthErrorHandler, requireScopes } from '../../src/adapters/express.js'
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
const express4 = require('express4') as typeof express

/** A tiny CORS middleware, as the `cors` package behaves: answers preflights, adds the origin header. */
function tinyCors(req: Request, res: Response, next: NextFunction): void {
  if (req.headers.origin === CORS_ORIGIN) res.set('access-control-allow-origin', CORS_ORIGIN)
  if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
    res.set(CORS_PREFLIGHT_ANSWER).status(204).end()
    return
  }
  next()
}

function buildApp(factory: typeof express, auth: DynamicAuth): express.Express {
  const app = factory()
  // Development: where Express's final handler prints a stack trace. No error handler is mounted.
  app.set('env', 'development')
  const me = (req: Request, res: Response) => {
    res.json({ userId: req.auth!.userId, method: req.method })
  }
  const all = (req: Request, res: Response) => {
    res.json({ secret: PROTECTED, userId: req.auth?.userId ?? null, method: req.method })
  }

  const api = factory.Router()
  api.use(dynamicAuth(auth))
  api.options('/me', (_req, res) => {
    res.set('access-control-allow-origin', '*').status(204).end()
  })
  api.all('/me', me)
  api.get('/sign', requireScopes('wallet:sign'), me)
  app.use('/api', api)

  app.get('/scoped/me', dynamicAuth(auth, { requiredScopes: ['wallet:sign'] }), me)
  app.all('/opt/me', dynamicAuth(auth, { optional: true }), (req, res) => {
    res.json({ userId: req.auth?.userId ?? null })
  })
  app.all('/all/me', dynamicAuth(auth), all)
  app.all('/pass/me', dynamicAuth(auth, { passPreflightsToApp: true }), requireScopes('wallet:sign'), all)

  const cors = factory.Router()
  cors.use(tinyCors)
  cors.use(dynamicAuth(auth))
  cors.get('/me', me)
  app.use('/cors', cors)

  const custom = factory.Router()
  custom.use(dynamicAuth(auth, { refusals: 'forward' }))
  custom.get('/me', me)
  custom.get('/sign', requireScopes('wallet:sign'), me)
  custom.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (!isDynamicAuthError(error)) return next(error)
    res.status(401).set('x-custom', 'yes').json({ custom: true, code: error.code })
  })
  app.use('/custom', custom)
  return app
}

for (const [name, factory] of [
  ['Express 5', express],
  ['Express 4', express4],
] as const) {
  runAdapterSuite({ name, start: (auth) => listen(createServer(buildApp(factory, auth))) })
  runRouteOptionsSuite({
    name,
    start: (auth, routes) => {
      const app = factory()
      for (const [path, options] of Object.entries(routes))
        app.get(path, dynamicAuth(auth, options), (req, res) => {
          res.json(sessionFacts(req.auth!))
        })
      return listen(createServer(app))
    },
  })

  describe(`${name}: refusals with no extra middleware, in development`, () => {
    const issuer = createTestIssuer()
    const auth = createDynamicAuth(issuer.authOptions())
    let bare: RunningApp
    let forwarded: RunningApp
    let handled: RunningApp
    const build = (options: Parameters<typeof dynamicAuth>[1], errorHandler: boolean) => {
      const app = factory()
      app.set('env', 'development')
      app.use(dynamicAuth(auth, options))
      app.get('/me', (req, res) => {
        res.json({ userId: req.auth!.userId })
      })
      if (errorHandler) app.use(dynamicAuthErrorHandler())
      return listen(createServer(app))
    }
    before(async () => {
      bare = await build({}, false)
      forwarded = await build({ refusals: 'forward' }, false)
      handled = await build({ refusals: 'forward' }, true)
    })
    after(() => Promise.all([bare.close(), forwarded.close(), handled.close()]))

    it('answers in JSON per RFC 6750 by default: no HTML, no stack trace', async () => {
      const expired = issuer.mint({ expired: true })
      for (const app of [bare, handled]) {
        const missing = await call(`${app.url}/me`)
        assertRefusal(missing, { status: 401, error: 'unauthorized', code: 'token_missing' })
        assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="api"')
        const answer = await call(`${app.url}/me`, { token: expired })
        assertRefusal(answer, {
          status: 401,
          error: 'invalid_token',
          code: 'token_expired',
          challenge: /error="invalid_token"/,
          token: expired,
        })
        assert.doesNotMatch(answer.text, /<html|<pre|DynamicAuthError \[/i)
      }
    })

    it('a verifier written by hand (a wrapper, a test double: no telemetry hooks) gets the same answers', async () => {
      const handMade = {
        environmentId: auth.environmentId,
        requiredScopes: auth.requiredScopes,
        verifyToken: (token: string) => auth.verifyToken(token),
      } as unknown as DynamicAuth
      const app = factory()
      app.use(dynamicAuth(handMade))
      app.get('/me', (req, res) => {
        res.json({ userId: req.auth!.userId })
      })
      const running = await listen(createServer(app))
      try {
        assertRefusal(await call(`${running.url}/me`), { status: 401, error: 'unauthorized', code: 'token_missing' })
        assertRefusal(await call(`${running.url}/me`, { authorization: 'Basic abc' }), {
          status: 401,
          error: 'unauthorized',
          code: 'token_missing',
        })
        assert.equal((await call(`${running.url}/me`, { token: issuer.mint() })).status, 200)
      } finally {
        await running.close()
      }
    })

    it("refusals: 'forward' without a handler reaches Express's final handler: status and challenge, no stack", async () => {
      const missing = await call(`${forwarded.url}/me`)
      assert.equal(missing.status, 401)
      assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="api"')
      const expired = await call(`${forwarded.url}/me`, { token: issuer.mint({ expired: true }) })
      assert.equal(expired.status, 401)
      assert.match(expired.headers.get('www-authenticate') ?? '', /error="invalid_token"/)
      assert.match(expired.headers.get('content-type') ?? '', /html/)
      assert.doesNotMatch(expired.text, /\bat .*\.(ts|js):\d+/)
    })
  })
}
