/**
 * One freshly started HTTP server for the burst case (bench/cases/burst.ts), run as a child process
 * on all cores (the point of the case is whether a server uses them). Usage:
 *
 *   node --import tsx bench/burst-server.ts <framework> <variant> <config-json>
 *
 * framework: fastify | node (node:http); variant: unprotected | dynamic-guard | jose | fast-jwt.
 * Serves GET /me (protected unless unprotected) and GET /health (never protected, to open the
 * connections before the burst) on 127.0.0.1, and prints `READY <port>` once its keys are loaded:
 * a server fetches its keys at startup, and a burst of new users finds it with nothing else warm.
 * Every protected variant checks RS256, the issuer, expiry and the user:basic scope.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

interface Config {
  environmentId: string
  jwksUrl: string
  iss: string
  /** Verified-token cache size for the caching variants: the 2,000 users of the steady state fit. */
  cacheSize: number
}

const [framework, variant, rawConfig] = process.argv.slice(2) as [string, string, string]
const config = JSON.parse(rawConfig) as Config

/** What a protected route answers with: the user id, or a status and body. */
type Check = (
  req: IncomingMessage,
) => Promise<{ userId: string } | { status: number; body: string; headers?: Record<string, string> }>

function bearer(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization
  return header?.startsWith('Bearer ') ? header.slice(7) : undefined
}

function hasUserBasic(payload: object): boolean {
  const { scope } = payload as { scope?: unknown }
  return typeof scope === 'string' && scope.split(' ').includes('user:basic')
}

const UNAUTHORIZED = { status: 401, body: '{"error":"invalid_token"}' }
const FORBIDDEN = { status: 403, body: '{"error":"insufficient_scope"}' }

async function makeCheck(): Promise<Check | undefined> {
  if (variant === 'unprotected') return undefined
  if (variant === 'dynamic-guard') {
    const { createDynamicAuth } = await import('../src/index.js')
    const { authenticate, refusalFor } = await import('../src/http/index.js')
    const auth = createDynamicAuth({
      environmentId: config.environmentId,
      jwks: { url: config.jwksUrl },
      advanced: { tokenCacheSize: config.cacheSize },
    })
    await auth.warmUp()
    return async (req) => {
      try {
        const session = await authenticate(auth, req)
        return { userId: session.userId }
      } catch (error) {
        const refusal = refusalFor(error as never)
        return { status: refusal.status, body: refusal.json, headers: refusal.headers }
      }
    }
  }
  const { keys } = (await (await fetch(config.jwksUrl)).json()) as { keys: Array<Record<string, unknown>> }
  if (variant === 'jose') {
    const { createLocalJWKSet, jwtVerify } = await import('jose')
    const keySet = createLocalJWKSet({ keys } as never)
    return async (req) => {
      const token = bearer(req)
      if (!token) return UNAUTHORIZED
      try {
        const { payload } = await jwtVerify(token, keySet, { issuer: config.iss, algorithms: ['RS256'] })
        return hasUserBasic(payload) ? { userId: String(payload.sub) } : FORBIDDEN
      } catch {
        return UNAUTHORIZED
      }
    }
  }
  if (variant === 'fast-jwt') {
    const { createPublicKey } = await import('node:crypto')
    const { createVerifier } = await import('fast-jwt')
    const jwk = keys[0] as { n: string; e: string }
    const pem = createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString()
    const verify = createVerifier({ key: pem, algorithms: ['RS256'], allowedIss: config.iss, cache: config.cacheSize })
    return async (req) => {
      const token = bearer(req)
      if (!token) return UNAUTHORIZED
      try {
        const payload = verify(token) as { sub: string; scope?: unknown }
        return hasUserBasic(payload) ? { userId: payload.sub } : FORBIDDEN
      } catch {
        return UNAUTHORIZED
      }
    }
  }
  throw new Error(`unknown variant ${variant}`)
}

const check = await makeCheck()

async function nodeServer(): Promise<Server> {
  const send = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
    res.end(body)
  }
  const server = createServer((req, res) => {
    if (req.url === '/health') return send(res, 200, '{"ok":true}')
    if (req.url !== '/me') return send(res, 404, '{}')
    if (!check) return send(res, 200, '{"userId":"anonymous"}')
    check(req).then(
      (result) =>
        'userId' in result
          ? send(res, 200, JSON.stringify({ userId: result.userId }))
          : send(res, result.status, result.body, result.headers),
      () => send(res, 500, '{}'),
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return server
}

async function fastifyServer(): Promise<Server> {
  const { default: Fastify } = await import('fastify')
  const app = Fastify({ logger: false })
  app.get('/health', async () => ({ ok: true }))
  if (variant === 'dynamic-guard') {
    // Our adapter, as the documentation mounts it: the plugin (which decorates request.auth, as
    // Fastify asks of anything that sets a request property) with its per-route hook.
    const { dynamicAuthPlugin } = await import('../src/adapters/fastify.js')
    const { createDynamicAuth } = await import('../src/index.js')
    const auth = createDynamicAuth({
      environmentId: config.environmentId,
      jwks: { url: config.jwksUrl },
      advanced: { tokenCacheSize: config.cacheSize },
    })
    await auth.warmUp()
    await app.register(dynamicAuthPlugin, { auth, global: false })
    app.get('/me', { onRequest: app.dynamicAuth }, async (request) => ({ userId: request.auth!.userId }))
  } else if (check) {
    app.get('/me', async (request, reply) => {
      const result = await check(request.raw)
      if ('userId' in result) return { userId: result.userId }
      return reply.code(result.status).send(result.body)
    })
  } else {
    app.get('/me', async () => ({ userId: 'anonymous' }))
  }
  await app.listen({ port: 0, host: '127.0.0.1' })
  return app.server
}

const server = framework === 'fastify' ? await fastifyServer() : await nodeServer()
process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`)
process.on('SIGTERM', () => process.exit(0))
