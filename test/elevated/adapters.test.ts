/** requireElevated on real Express, Fastify, Koa, Hono, Fetch-API and Next apps (see harness.ts for the routes). */
import { createServer } from 'node:http'
import express, { type NextFunction, type Request as ExpressRequest, type Response as ExpressResponse } from 'express'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import Koa, { type Middleware } from 'koa'
import compose from 'koa-compose'
import { Hono, type Context } from 'hono'
import { NextRequest } from 'next/server.js'
import * as ex from '../../src/adapters/express.js'
import * as fa from '../../src/adapters/fastify.js'
import * as ko from '../../src/adapters/koa.js'
import * as ho from '../../src/adapters/hono.js'
import * as fe from '../../src/adapters/fetch.js'
import * as ne from '../../src/adapters/next.js'
import { isDynamicAuthError } from '../../src/index.js'
import { listen, serveFetch, type RunningApp } from '../adapters/harness.js'
import { runElevatedSuite } from './harness.js'

const custom = (code: string) => ({ custom: true, code })

runElevatedSuite({
  name: 'Express',
  guardless: true,
  grant: true,
  start(auth) {
    const app = express()
    const done = (req: ExpressRequest, res: ExpressResponse) =>
      res.json({ userId: req.auth!.userId, singleUse: req.elevated?.singleUse ?? null })
    app.post('/api/export', ex.dynamicAuth(auth), ex.requireElevated({ scopes: ['wallet:export'] }), done)
    app.post('/api/update', ex.dynamicAuth(auth), ex.requireElevated({ scopes: ['user:update'] }), done)
    app.post(
      '/opt/export',
      ex.dynamicAuth(auth, { optional: true }),
      ex.requireElevated({ scopes: ['wallet:export'] }),
      done,
    )
    app.post('/lone/export', ex.requireElevated({ scopes: ['wallet:export'] }), done)
    app.post(
      '/custom/export',
      ex.dynamicAuth(auth, { refusals: 'forward' }),
      ex.requireElevated({ scopes: ['wallet:export'] }),
      done,
    )
    app.use((error: unknown, _req: ExpressRequest, res: ExpressResponse, next: NextFunction) => {
      if (!isDynamicAuthError(error)) return next(error)
      res.status(422).set('x-custom', 'yes').json(custom(error.code))
    })
    return listen(createServer(app))
  },
})

runElevatedSuite({
  name: 'Fastify',
  guardless: true,
  grant: true,
  async start(auth) {
    const app = Fastify()
    const done = async (request: FastifyRequest) => ({
      userId: request.auth!.userId,
      singleUse: request.elevated?.singleUse ?? null,
    })
    await app.register(
      async (api) => {
        await api.register(fa.dynamicAuthPlugin, { auth })
        api.post('/export', { onRequest: fa.requireElevated({ scopes: ['wallet:export'] }) }, done)
        api.post('/update', { onRequest: fa.requireElevated({ scopes: ['user:update'] }) }, done)
      },
      { prefix: '/api' },
    )
    await app.register(
      async (opt) => {
        await opt.register(fa.dynamicAuthPlugin, { auth, global: false })
        const hook = fa.dynamicAuth(auth, { optional: true })
        opt.post('/export', { onRequest: [hook, fa.requireElevated({ scopes: ['wallet:export'] })] }, done)
      },
      { prefix: '/opt' },
    )
    await app.register(
      async (lone) => {
        lone.post('/export', { onRequest: fa.requireElevated({ scopes: ['wallet:export'] }) }, done)
      },
      { prefix: '/lone' },
    )
    await app.register(
      async (forward) => {
        await forward.register(fa.dynamicAuthPlugin, { auth, refusals: 'forward' })
        forward.setErrorHandler((error: unknown, _request: FastifyRequest, reply: FastifyReply) => {
          if (!isDynamicAuthError(error)) throw error
          return reply.code(422).header('x-custom', 'yes').send(custom(error.code))
        })
        forward.post('/export', { onRequest: fa.requireElevated({ scopes: ['wallet:export'] }) }, done)
      },
      { prefix: '/custom' },
    )
    return listen(app.server).then(async (running) => {
      await app.ready()
      return running
    })
  },
})

runElevatedSuite({
  name: 'Koa',
  guardless: true,
  grant: true,
  start(auth) {
    const app = new Koa()
    app.silent = true
    const at =
      (path: string, ...middleware: Middleware[]): Middleware =>
      (ctx, next) =>
        ctx.path === path ? compose(middleware)(ctx, next) : next()
    const done: Middleware = (ctx) => {
      ctx.body = { userId: ctx.state.auth!.userId, singleUse: ctx.state.elevated?.singleUse ?? null }
    }
    const forwarded: Middleware = async (ctx, next) => {
      try {
        await next()
      } catch (error) {
        if (!isDynamicAuthError(error)) throw error
        ctx.status = 422
        ctx.set('x-custom', 'yes')
        ctx.body = custom(error.code)
      }
    }
    app.use(at('/api/export', ko.dynamicAuth(auth), ko.requireElevated({ scopes: ['wallet:export'] }), done))
    app.use(at('/api/update', ko.dynamicAuth(auth), ko.requireElevated({ scopes: ['user:update'] }), done))
    app.use(
      at(
        '/opt/export',
        ko.dynamicAuth(auth, { optional: true }),
        ko.requireElevated({ scopes: ['wallet:export'] }),
        done,
      ),
    )
    app.use(at('/lone/export', ko.requireElevated({ scopes: ['wallet:export'] }), done))
    app.use(
      at(
        '/custom/export',
        forwarded,
        ko.dynamicAuth(auth, { refusals: 'forward' }),
        ko.requireElevated({ scopes: ['wallet:export'] }),
        done,
      ),
    )
    return listen(createServer(app.callback()))
  },
})

runElevatedSuite({
  name: 'Hono',
  guardless: true,
  grant: true,
  start(auth) {
    const app = new Hono<ho.OptionalDynamicAuthEnv>()
    const done = (c: Context) =>
      c.json({ userId: c.get('auth')!.userId, singleUse: c.get('elevated')?.singleUse ?? null })
    app.post('/api/export', ho.dynamicAuth(auth), ho.requireElevated({ scopes: ['wallet:export'] }), (c) => done(c))
    app.post('/api/update', ho.dynamicAuth(auth), ho.requireElevated({ scopes: ['user:update'] }), (c) => done(c))
    app.post(
      '/opt/export',
      ho.dynamicAuth(auth, { optional: true }),
      ho.requireElevated({ scopes: ['wallet:export'] }),
      (c) => done(c),
    )
    app.post('/lone/export', ho.requireElevated({ scopes: ['wallet:export'] }), (c) => done(c))
    const forward = new Hono<ho.OptionalDynamicAuthEnv>()
    forward.post(
      '/export',
      ho.dynamicAuth(auth, { refusals: 'forward' }),
      ho.requireElevated({ scopes: ['wallet:export'] }),
      (c) => done(c),
    )
    forward.onError((error, c) => {
      if (!(error instanceof ho.DynamicAuthException)) throw error
      return c.json(custom(error.error.code), 422, { 'x-custom': 'yes' })
    })
    app.route('/custom', forward)
    return serveFetch((request) => app.fetch(request))
  },
})

runElevatedSuite({
  name: 'Fetch',
  guardless: false,
  grant: false,
  start(auth) {
    const done: fe.ProtectedHandler<[]> = (_request, session) =>
      Response.json({ userId: session.userId, singleUse: null })
    const exportRoute = fe.requireElevated({ scopes: ['wallet:export'] })(done, auth)
    const routes: Record<string, (request: Request) => Promise<Response>> = {
      '/api/export': exportRoute,
      '/api/update': fe.requireElevated({ scopes: ['user:update'] })(done, auth),
      '/opt/export': fe.requireElevated({ scopes: ['wallet:export'] })(
        (_request, session) => Response.json({ userId: session?.userId ?? null, singleUse: null }),
        auth,
        { optional: true },
      ),
      '/custom/export': async (request) => {
        try {
          return await fe.requireElevated({ scopes: ['wallet:export'] })(done, auth, { refusals: 'forward' })(request)
        } catch (error) {
          if (!isDynamicAuthError(error)) throw error
          return Response.json(custom(error.code), { status: 422, headers: { 'x-custom': 'yes' } })
        }
      },
    }
    return serveFetch(
      (request) => routes[new URL(request.url).pathname]?.(request) ?? new Response(null, { status: 404 }),
    )
  },
})

runElevatedSuite({
  name: 'Next',
  guardless: false,
  grant: false,
  start(auth) {
    const context = { params: Promise.resolve({}) }
    const done: ne.ProtectedRouteHandler<typeof context> = (_request, { auth: session }) =>
      Response.json({ userId: session.userId, singleUse: null })
    const lazy = () => auth // made on first request, as Next apps do
    const routes: Record<string, (request: NextRequest) => Promise<Response>> = {
      '/api/export': (request) => ne.requireElevated({ scopes: ['wallet:export'] })(done, lazy)(request, context),
      '/api/update': (request) => ne.requireElevated({ scopes: ['user:update'] })(done, auth)(request, context),
      '/opt/export': (request) =>
        ne.requireElevated({ scopes: ['wallet:export'] })<typeof context>(
          (_request, { auth: session }) => Response.json({ userId: session?.userId ?? null, singleUse: null }),
          auth,
          { optional: true },
        )(request, context),
      '/custom/export': async (request) => {
        try {
          return await ne.requireElevated({ scopes: ['wallet:export'] })(done, auth, { refusals: 'forward' })(
            request,
            context,
          )
        } catch (error) {
          if (!isDynamicAuthError(error)) throw error
          return Response.json(custom(error.code), { status: 422, headers: { 'x-custom': 'yes' } })
        }
      },
    }
    return serveNextRoutes(routes)
  },
})

/** A node:http server handing each request to a route as a NextRequest, as Next's server does. */
function serveNextRoutes(routes: Record<string, (request: NextRequest) => Promise<Response>>): Promise<RunningApp> {
  return listen(
    createServer(async (req, res) => {
      const chunks: Buffer[] = []
      for await (const chunk of req) chunks.push(chunk as Buffer)
      const headers = new Headers()
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value)
      const request = new NextRequest(`http://${req.headers.host}${req.url}`, {
        method: req.method!,
        headers,
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      })
      const route = routes[request.nextUrl.pathname]
      const response = route
        ? await route(request).catch(() => new Response('failed', { status: 500 }))
        : new Response(null, { status: 404 })
      response.headers.forEach((value, name) => {
        res.setHeader(name, value)
      })
      res.writeHead(response.status)
      res.end(Buffer.from(await response.arrayBuffer()))
    }),
  )
}
