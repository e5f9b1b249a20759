/**
 * `auth.health()` and the health handlers, over real HTTP: 200 while the keys are fresh, 200
 * `degraded` while stale keys are served, 503 once no usable key is left, and 200 again when
 * the JWKS heals: the handler itself refetches (a load balancer sends no traffic to an instance
 * it took out, so nothing else would). Express, Fastify, Koa, Hono and node:http handlers are
 * served on 127.0.0.1; the Next and fetch handlers are called with a Request.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import Fastify, { type FastifyInstance } from 'fastify'
import Koa from 'koa'
import { Hono } from 'hono'
import { serve } from '@hono/node-server'
import { createDynamicAuth, type DynamicAuth } from '../../src/index.js'
import { nodeHealthCheck, type DynamicAuthHealth } from '../../src/telemetry.js'
import { dynamicAuth as expressAuth, healthCheck as expressHealth } from '../../src/adapters/express.js'
import { healthCheck as fastifyHealth } from '../../src/adapters/fastify.js'
import { healthCheck as koaHealth } from '../../src/adapters/koa.js'
import { healthCheck as honoHealth } from '../../src/adapters/hono.js'
import { healthCheck as nextHealth } from '../../src/adapters/next.js'
import { healthCheck as fetchHealth } from '../../src/adapters/fetch.js'
import { createTestIssuer, type TestIssuer } from '../../src/testing/index.js'
import { failWith, startJwksServer, type JwksServer } from '../support/jwks-server.js'

const listen = async (server: Server): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`
}

describe('health', () => {
  let issuer: TestIssuer
  let jwks: JwksServer
  let auth: DynamicAuth
  let now: number
  const urls = new Map<string, string>()
  const closers: Array<() => Promise<unknown>> = []
  let fastify: FastifyInstance

  before(async () => {
    issuer = createTestIssuer()
    jwks = await startJwksServer(issuer)
    now = Date.now()
    auth = createDynamicAuth({
      environmentId: issuer.environmentId,
      jwks: { url: jwks.url, cacheMaxAge: 60_000, staleIfError: 60_000, maxBackoff: 1000 },
      advanced: { clock: () => now },
      telemetry: false,
    })

    const app = express()
    // The handler takes the verifier or the adapter's middleware, which carries it.
    app.get('/healthz', expressHealth(expressAuth(auth)))
    const expressServer = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => expressServer.once('listening', resolve))
    urls.set('express', `http://127.0.0.1:${(expressServer.address() as AddressInfo).port}/healthz`)
    closers.push(() => new Promise((resolve) => expressServer.close(resolve)))

    fastify = Fastify()
    fastify.get('/healthz', fastifyHealth(auth))
    urls.set('fastify', `${await fastify.listen({ port: 0, host: '127.0.0.1' })}/healthz`)
    closers.push(() => fastify.close())

    const koa = new Koa()
    const koaCheck = koaHealth(auth)
    koa.use(async (ctx, next) => (ctx.path === '/healthz' ? koaCheck(ctx) : next()))
    const koaServer = createServer(koa.callback())
    urls.set('koa', await listen(koaServer))
    closers.push(() => new Promise((resolve) => koaServer.close(resolve)))

    const hono = new Hono()
    hono.get('/healthz', honoHealth(auth))
    const honoServer = serve({ fetch: hono.fetch, port: 0, hostname: '127.0.0.1' }) as Server
    await new Promise((resolve) => (honoServer.listening ? resolve(undefined) : honoServer.once('listening', resolve)))
    urls.set('hono', `http://127.0.0.1:${(honoServer.address() as AddressInfo).port}/healthz`)
    closers.push(() => new Promise((resolve) => honoServer.close(resolve)))

    const nodeCheck = nodeHealthCheck(auth)
    const nodeServer = createServer((req, res) => void nodeCheck(req, res))
    urls.set('node:http', await listen(nodeServer))
    closers.push(() => new Promise((resolve) => nodeServer.close(resolve)))
  })
  after(async () => {
    for (const close of closers) await close()
    await jwks.close()
  })

  /** Every handler's answer: the same status and state from each. */
  async function check(expected: 200 | 503, state: DynamicAuthHealth['status']): Promise<DynamicAuthHealth> {
    let body: DynamicAuthHealth | undefined
    for (const [name, url] of urls) {
      const response = await fetch(url)
      assert.equal(response.status, expected, `${name} answers ${expected}`)
      assert.equal(response.headers.get('cache-control'), 'no-store', name)
      assert.match(response.headers.get('content-type') ?? '', /application\/json/, name)
      body = (await response.json()) as DynamicAuthHealth
      assert.equal(body.status, state, name)
    }
    for (const [name, handler] of [
      ['next', nextHealth(auth)],
      ['fetch', fetchHealth(auth)],
    ] as const) {
      const response = await handler(new Request('http://api.test/healthz'))
      assert.equal(response.status, expected, name)
      assert.equal(((await response.json()) as DynamicAuthHealth).status, state, name)
    }
    return body!
  }

  it('turns 503 when the JWKS goes down and the keys run out, and 200 again when it heals', async () => {
    // Not loaded yet: the first check loads the keys.
    assert.equal(auth.health().keys.state, 'not_loaded')
    let health = await check(200, 'ok')
    assert.equal(health.keys.state, 'fresh')
    assert.equal(jwks.requests, 1)

    jwks.behave(failWith(503))
    now += 61_000 // past max age: stale keys are served while refreshing fails
    health = await check(200, 'degraded')
    assert.equal(health.keys.state, 'stale')
    assert.match(health.keys.lastError ?? '', /503/)

    now += 60_000 // past stale-if-error too: no usable key
    health = await check(503, 'unavailable')
    assert.equal(health.keys.state, 'unavailable')
    assert.match(health.keys.reason ?? '', /stale-if-error/)
    assert.ok(health.keys.consecutiveFailures >= 2)
    const during = jwks.requests
    await check(503, 'unavailable')
    assert.ok(jwks.requests - during <= 1, 'checks inside the backoff do not refetch')

    jwks.serve()
    now += 2000 // past the backoff
    health = await check(200, 'ok')
    assert.equal(health.keys.state, 'fresh')
    assert.equal(health.keys.consecutiveFailures, 0)
    assert.equal(health.revocation.state, 'connected')
  })

  it('details: false answers the status alone', async () => {
    const response = await fetchHealth(auth, { details: false })()
    assert.deepEqual(await response.json(), { status: 'ok' })
  })

  it('reports a revocation store that refuses while cut off as unavailable', () => {
    const cutOff = createDynamicAuth({
      ...issuer.authOptions(),
      revocation: {
        check: () => 'unavailable',
        add: () => Promise.resolve(),
        status: () => ({ kind: 'test', entries: 3, connected: false, stale: true, since: 0, lastError: 'down' }),
      },
    })
    const health = cutOff.health()
    assert.equal(health.status, 'unavailable')
    assert.deepEqual(health.revocation, { state: 'stale_refusing', kind: 'test', entries: 3, lastError: 'down' })
    assert.equal(health.keys.state, 'static')
    assert.doesNotThrow(() => JSON.stringify(health))
  })
})
