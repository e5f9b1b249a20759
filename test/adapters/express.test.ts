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
import { call, listen, runAdapterSuite, type RunningApp } from './harness.js'

const require = createRequire(import.meta.url)
const express4 = require('express4') as typeof express

function buildApp(factory: typeof express, auth: DynamicAuth): express.Express {
  const app = factory()
  const me = (req: Request, res: Response) => {
    res.json({ userId: req.auth!.userId, method: req.method })
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

  const custom = factory.Router()
  custom.use(dynamicAuth(auth))
  custom.get('/me', me)
  custom.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (!isDynamicAuthError(error)) return next(error)
    res.status(401).set('x-custom', 'yes').json({ custom: true, code: error.code })
  })
  app.use('/custom', custom)

  app.use(dynamicAuthErrorHandler())
  return app
}

for (const [name, factory] of [
  ['Express 5', express],
  ['Express 4', express4],
] as const) {
  runAdapterSuite({ name, start: (auth) => listen(createServer(buildApp(factory, auth))) })

  describe(`${name} without the error handler`, () => {
    let app: RunningApp
    const issuer = createTestIssuer()
    before(async () => {
      const bare = factory()
      bare.use(dynamicAuth(createDynamicAuth(issuer.authOptions())))
      bare.get('/me', (req, res) => {
        res.json({ userId: req.auth!.userId })
      })
      app = await listen(createServer(bare))
    })
    after(() => app.close())

    it("still answers with the status and the challenge through Express's final handler, without a stack", async () => {
      const missing = await call(`${app.url}/me`)
      assert.equal(missing.status, 401)
      assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="api"')
      const expired = await call(`${app.url}/me`, { token: issuer.mint({ expired: true }) })
      assert.equal(expired.status, 401)
      assert.match(expired.headers.get('www-authenticate') ?? '', /error="invalid_token"/)
      assert.doesNotMatch(expired.text, /\bat .*\.(ts|js):\d+/)
    })
  })
}
