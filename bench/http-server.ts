/**
 * One HTTP server for the HTTP-level bench, run as a child process (pinned to a core by the
 * parent where taskset exists). Usage:
 *
 *   node --import tsx bench/http-server.ts <framework> <variant> <config-json>
 *
 * framework: express | fastify | hono | koa; variant: unprotected | dynamic-guard | peer.
 * Serves GET /me on 127.0.0.1 (ephemeral port) and prints `READY <port>` when listening.
 * Every protected variant checks RS256, the issuer, expiry and the user:basic scope.
 */
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'

interface Config {
  environmentId: string
  jwksUrl: string
  origin: string
  jwksPath: string
  iss: string
}

const [framework, variant, rawConfig] = process.argv.slice(2) as [string, string, string]
const config = JSON.parse(rawConfig) as Config
const ANONYMOUS = { userId: 'anonymous' }

function hasUserBasic(payload: { scope?: unknown } | undefined): boolean {
  return typeof payload?.scope === 'string' && payload.scope.split(' ').includes('user:basic')
}

async function ourAuth(): Promise<unknown> {
  const { createDynamicAuth } = await import('../src/index.js')
  const auth = createDynamicAuth({ environmentId: config.environmentId, jwks: { url: config.jwksUrl } })
  await auth.warmUp()
  return auth
}

async function express(): Promise<Server> {
  const { default: expressApp } = await import('express')
  const app = expressApp()
  if (variant === 'unprotected') {
    app.get('/me', (_req, res) => void res.json(ANONYMOUS))
  } else if (variant === 'dynamic-guard') {
    const { dynamicAuth } = (await import('../src/adapters/express.js')) as unknown as {
      dynamicAuth: (auth: unknown) => import('express').RequestHandler
    }
    app.get(
      '/me',
      dynamicAuth(await ourAuth()),
      (req, res) => void res.json({ userId: (req as unknown as { auth: { userId: string } }).auth.userId }),
    )
  } else {
    const { expressjwt } = await import('express-jwt')
    const { default: jwksRsa } = await import('jwks-rsa')
    const check = expressjwt({
      secret: jwksRsa.expressJwtSecret({ jwksUri: config.jwksUrl, cache: true, rateLimit: true }) as never,
      algorithms: ['RS256'],
      issuer: config.iss,
    })
    app.get('/me', check, (req, res) => {
      const auth = (req as unknown as { auth?: { sub: string; scope?: unknown } }).auth
      if (!hasUserBasic(auth)) return void res.status(403).json({ error: 'insufficient_scope' })
      res.json({ userId: auth!.sub })
    })
    app.use(
      ((err, _req, res, _next) =>
        void res.status(err.status ?? 401).json({ error: 'invalid_token' })) as import('express').ErrorRequestHandler,
    )
  }
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server))
  })
}

async function fastify(): Promise<Server> {
  const { default: Fastify } = await import('fastify')
  const app = Fastify({ logger: false })
  if (variant === 'unprotected') {
    app.get('/me', async () => ANONYMOUS)
  } else if (variant === 'dynamic-guard') {
    const { dynamicAuthPlugin } = await import('../src/adapters/fastify.js')
    await app.register(dynamicAuthPlugin, { auth: (await ourAuth()) as never })
    app.get('/me', async (request) => ({ userId: (request as unknown as { auth: { userId: string } }).auth.userId }))
  } else {
    const { default: fastifyJwt } = await import('@fastify/jwt')
    const { default: buildGetJwks } = await import('get-jwks')
    const getJwks = buildGetJwks({ jwksPath: config.jwksPath })
    await app.register(fastifyJwt, {
      decode: { complete: true },
      secret: (_request: unknown, token: { header: { kid: string; alg: string } }) =>
        getJwks.getPublicKey({ kid: token.header.kid, alg: token.header.alg, domain: config.origin }),
      verify: { allowedIss: config.iss, algorithms: ['RS256'] },
    } as never)
    app.addHook('onRequest', async (request, reply) => {
      try {
        await request.jwtVerify()
      } catch {
        return reply.code(401).send({ error: 'invalid_token' })
      }
      if (!hasUserBasic(request.user as { scope?: unknown }))
        return reply.code(403).send({ error: 'insufficient_scope' })
    })
    app.get('/me', async (request) => ({ userId: (request.user as { sub: string }).sub }))
  }
  await app.listen({ port: 0, host: '127.0.0.1' })
  return app.server
}

async function hono(): Promise<Server> {
  const { Hono } = await import('hono')
  const { serve } = await import('@hono/node-server')
  const app = new Hono()
  if (variant === 'unprotected') {
    app.get('/me', (c) => c.json(ANONYMOUS))
  } else if (variant === 'dynamic-guard') {
    const { dynamicAuth } = (await import('../src/adapters/hono.js')) as unknown as {
      dynamicAuth: (auth: unknown) => import('hono').MiddlewareHandler
    }
    app.get('/me', dynamicAuth(await ourAuth()), (c) =>
      c.json({ userId: (c.get('auth' as never) as { userId: string }).userId }),
    )
  } else {
    const { jwk } = await import('hono/jwk')
    // hono's jwks_uri option fetches the JWKS on every request; its best case is the keys
    // fetched once, which is what this peer gets.
    const { keys } = (await (await fetch(config.jwksUrl)).json()) as { keys: never[] }
    const check: import('hono').MiddlewareHandler = jwk({
      keys,
      alg: ['RS256'],
      verification: { iss: config.iss },
    } as never)
    app.get('/me', check, (c) => {
      const payload = c.get('jwtPayload' as never) as { sub: string; scope?: unknown }
      if (!hasUserBasic(payload)) return c.json({ error: 'insufficient_scope' }, 403)
      return c.json({ userId: payload.sub })
    })
  }
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
      resolve(server as Server),
    ) as Server
  })
}

async function koa(): Promise<Server> {
  const { default: Koa } = await import('koa')
  const app = new Koa()
  if (variant === 'dynamic-guard') {
    const { dynamicAuth } = (await import('../src/adapters/koa.js')) as unknown as {
      dynamicAuth: (auth: unknown) => import('koa').Middleware
    }
    app.use(dynamicAuth(await ourAuth()))
  }
  app.use((ctx) => {
    if (ctx.path !== '/me') return
    ctx.body =
      variant === 'unprotected' ? ANONYMOUS : { userId: (ctx.state as { auth: { userId: string } }).auth.userId }
  })
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server))
  })
}

const servers: Record<string, () => Promise<Server>> = { express, fastify, hono, koa }
const start = servers[framework]
if (!start) throw new Error(`unknown framework ${framework}`)
const server = await start()
process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`)
process.on('SIGTERM', () => process.exit(0))
