/**
 * The packed package's types under every resolver a TypeScript project may use: the classic one
 * (`module: commonjs`, which means `moduleResolution: node10`), node16 and nodenext from CommonJS
 * and from ESM, and bundler. One fresh app outside the repository, the tarball installed by npm,
 * the same code compiled by tsc under each: every subpath resolves, and the framework
 * augmentations hold (`req.auth` on Express, `request.auth` on Fastify, Hono's variables, Koa's
 * state, the session in a Next route handler's context), typed, not `any`.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { createFreshApp, secondsSince, type FreshApp } from './fresh-app.js'

/** Uses every subpath and every augmentation; each `@ts-expect-error` fails the build if the type it checks were `any`. */
const code = `import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import Koa from 'koa'
import { createDynamicAuth, DynamicAuthError, type DynamicSession } from 'dynamic-guard'
import { dynamicAuth as expressAuth } from 'dynamic-guard/express'
import { dynamicAuthPlugin } from 'dynamic-guard/fastify'
import { dynamicAuth as honoAuth, type DynamicAuthEnv } from 'dynamic-guard/hono'
import { dynamicAuth as koaAuth } from 'dynamic-guard/koa'
import { withDynamicAuth } from 'dynamic-guard/next'
import { withDynamicAuth as fetchAuth } from 'dynamic-guard/fetch'
import { webCryptoBackend } from 'dynamic-guard/extend'
import { METRIC_NAMES } from 'dynamic-guard/telemetry'
import { authenticate } from 'dynamic-guard/http'
import { createTestIssuer } from 'dynamic-guard/testing'
import type * as Redis from 'dynamic-guard/redis'
import type * as Webhooks from 'dynamic-guard/webhooks'
import { signRequest, type SessionKeySigner } from 'dynamic-guard/session-key'

export function apps(): unknown[] {
  const issuer = createTestIssuer()
  const auth = createDynamicAuth(issuer.authOptions())

  const app = express()
  app.get('/me', expressAuth(auth), (req, res) => {
    const userId: string = req.auth!.userId
    // @ts-expect-error req.auth is the session, not any
    const wrong: number = req.auth!.userId
    res.json({ userId, wrong })
  })

  const fastify = Fastify()
  void fastify.register(dynamicAuthPlugin, { auth })
  fastify.get('/me', async (request) => {
    const session: DynamicSession | undefined = request.auth
    // @ts-expect-error request.auth is the session, not any
    const wrong: number = request.auth!.userId
    return { userId: session?.userId, wrong }
  })

  const hono = new Hono<DynamicAuthEnv>()
  hono.use('/api/*', honoAuth(auth))
  hono.get('/api/me', (c) => {
    const userId: string = c.get('auth').userId
    // @ts-expect-error the auth variable is the session, not any
    const wrong: number = c.var.auth.userId
    return c.json({ userId, wrong })
  })

  const koa = new Koa()
  koa.use(koaAuth(auth))
  koa.use((ctx) => {
    const userId: string = ctx.state.auth!.userId
    // @ts-expect-error ctx.state.auth is the session, not any
    const wrong: number = ctx.state.auth!.userId
    ctx.body = { userId, wrong }
  })

  const GET = withDynamicAuth(async (_request, { auth: session }) => {
    // @ts-expect-error the route's session is typed, not any
    const wrong: number = session.userId
    return Response.json({ userId: session.userId, wrong })
  }, auth)

  const guard = fetchAuth((_request, session) => Response.json({ userId: session.userId }), auth)
  const extension: string = webCryptoBackend.name + METRIC_NAMES.verifications
  const byHand: Promise<DynamicSession> = authenticate(auth, new Request('https://api.example/'))
  const refused: DynamicAuthError | undefined = undefined
  const stores: Array<keyof typeof Redis | keyof typeof Webhooks> = []
  const signer: SessionKeySigner = async () => '00'.repeat(64)
  const proof: Promise<Record<string, string>> = signRequest({ method: 'GET', url: '/me' }, signer)
  return [app, fastify, hono, koa, GET, guard, refused, stores, extension, byHand, proof]
}
`

/** The resolvers, each a tsconfig over the CommonJS copy (\`cjs/app.ts\`, the app having no "type") or the ESM one (\`esm/app.mts\`). */
const profiles = {
  'node10 (module commonjs), CommonJS': { module: 'commonjs', include: ['cjs'] },
  'node16, CommonJS': { module: 'node16', include: ['cjs'] },
  'node16, ESM': { module: 'node16', include: ['esm'] },
  'nodenext, ESM': { module: 'nodenext', include: ['esm'] },
  bundler: { module: 'esnext', moduleResolution: 'bundler', include: ['cjs'] },
} as const

describe('the packed package typed under every resolver', { timeout: 280_000 }, () => {
  let app: FreshApp

  before(async () => {
    const start = performance.now()
    app = await createFreshApp('types', {}, [
      'typescript',
      '@types',
      'express',
      'fastify',
      'fastify-plugin',
      'hono',
      'koa',
      'next',
      'react',
      'react-dom',
    ])
    await app.write({ 'cjs/app.ts': code, 'esm/app.mts': code })
    console.log(`types app installed in ${secondsSince(start)} s`)
  })

  after(async () => {
    await app?.remove()
  })

  for (const [name, { include, ...options }] of Object.entries(profiles)) {
    it(name, async () => {
      const start = performance.now()
      const config = `tsconfig.${name.replace(/\W+/g, '-')}.json`
      await app.write({
        [config]: JSON.stringify({
          compilerOptions: {
            ...options,
            target: 'es2022',
            lib: ['es2022', 'dom'],
            strict: true,
            esModuleInterop: true,
            skipLibCheck: true,
            noEmit: true,
            types: ['node'],
          },
          include,
        }),
      })
      await app
        .run(process.execPath, [join(app.dir, 'node_modules/typescript/bin/tsc'), '-p', config])
        .catch((error: Error) => {
          throw new Error(`${name}: tsc fails:\n${error.message}`)
        })
      console.log(`${name}: tsc in ${secondsSince(start)} s`)
      assert.ok(true)
    })
  }
})
