/**
 * What an elevated access token adds to a guarded request, against the same route without one,
 * median of several interleaved rounds, in µs per request:
 *
 *   core (in process, no HTTP):
 *     session                 verifyToken on a cached session token (what a guarded route already pays)
 *     session (cold)          verifyToken on a new session token each time: one RS256 check, for comparison
 *     + time-bound            that, then verifyElevatedToken on a time-bound token seen before (its cache)
 *     + single-use (memory)   that, then verifyElevatedToken on a new single-use token: one RS256 check
 *                             and a claim in the in-memory one-time store
 *     + single-use (redis)    the same, the claim in a real redis-server on 127.0.0.1 (skipped without redis-server)
 *   Express middleware in process (no socket: the middleware called with a request object):
 *     guard                   dynamicAuth on a cached session token
 *     guard + time-bound      dynamicAuth, then requireElevated on a time-bound token seen before
 *   HTTP (Express on 127.0.0.1, keep-alive, one request at a time; noisy on a loaded machine):
 *     route                   dynamicAuth + handler
 *     route, header ignored   the same, sent with an elevated token it does not read (the header's own cost)
 *     route + time-bound      dynamicAuth + requireElevated + handler, a time-bound token seen before
 *     route + single-use      the same with a new single-use token per request (memory store)
 *
 *   node --import tsx bench/elevated-cost.ts
 *
 * The machine's load average is printed with the figures: on a shared machine they vary with it.
 */
import { once } from 'node:events'
import { createServer, Agent, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { loadavg, cpus } from 'node:os'
import express from 'express'
import { createClient } from 'redis'
import { createDynamicAuth, type DynamicAuth } from '../src/index.js'
import { dynamicAuth, requireElevated } from '../src/adapters/express.js'
import { createRedisOneTimeStore } from '../src/redis/index.js'
import { createTestIssuer } from '../src/testing/index.js'
import { startRedisServer } from '../test/fleet/redis-server.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7)
const PER_ROUND = Number(process.env.BENCH_PER_ROUND ?? 500)
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

async function perOp(run: (i: number) => Promise<unknown>, count = PER_ROUND): Promise<number> {
  const start = process.hrtime.bigint()
  for (let i = 0; i < count; i++) await run(i)
  return Number(process.hrtime.bigint() - start) / 1000 / count
}

const issuer = createTestIssuer()
const sid = 'bench-session'
const sessionToken = issuer.mint({ sid })
const timeBound = issuer.mintElevated({ scopes: ['user:update'], sid })
const singleUseTokens = () =>
  Array.from({ length: PER_ROUND }, () => issuer.mintElevated({ scopes: ['wallet:export'], sid }))

async function core(auth: DynamicAuth) {
  const session = await auth.verifyToken(sessionToken)
  await auth.verifyElevatedToken(timeBound, session, { scopes: ['user:update'] })
  return {
    session: () => perOp(() => auth.verifyToken(sessionToken)),
    cold: () => {
      // A user each, so that no two tokens are the same string (the cache would answer).
      const tokens = Array.from({ length: PER_ROUND }, (_, i) =>
        issuer.mint({ sid, sub: `cold-${i}-${Math.random()}` }),
      )
      return perOp((i) => auth.verifyToken(tokens[i]!))
    },
    timeBound: () =>
      perOp(async () =>
        auth.verifyElevatedToken(timeBound, await auth.verifyToken(sessionToken), { scopes: ['user:update'] }),
      ),
    singleUse: () => {
      const tokens = singleUseTokens()
      return perOp(async (i) =>
        auth.verifyElevatedToken(tokens[i], await auth.verifyToken(sessionToken), { scopes: ['wallet:export'] }),
      )
    },
  }
}

// Express middleware called in process, with a request object as Node's parser makes it.
const middlewareAuth = createDynamicAuth(issuer.authOptions())
const guard = dynamicAuth(middlewareAuth)
const elevatedMiddleware = requireElevated({ scopes: ['user:update'] })
const response = { setHeader() {}, end() {} } as unknown as express.Response
type Middleware = (req: express.Request, res: express.Response, next: (error?: unknown) => void) => void
const through = (middleware: Middleware, req: express.Request) =>
  new Promise<void>((resolve, reject) => middleware(req, response, (error) => (error ? reject(error) : resolve())))
const middlewareRequest = () =>
  ({
    method: 'POST',
    url: '/time-bound',
    headers: { authorization: `Bearer ${sessionToken}`, 'x-dyn-elevated-access-token': timeBound },
  }) as unknown as express.Request

// HTTP: one Express app, three routes.
const httpAuth = createDynamicAuth({ ...issuer.authOptions(), logger: false })
const app = express()
app.use(dynamicAuth(httpAuth))
const ok = (_req: unknown, res: express.Response) => {
  res.json({ ok: true })
}
app.post('/plain', ok)
app.post('/time-bound', requireElevated({ scopes: ['user:update'] }), ok)
app.post('/single-use', requireElevated({ scopes: ['wallet:export'] }), ok)
const server = createServer(app).listen(0, '127.0.0.1')
await once(server, 'listening')
const port = (server.address() as AddressInfo).port
const agent = new Agent({ keepAlive: true, maxSockets: 1 })
function post(path: string, elevated?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${sessionToken}`,
          ...(elevated ? { 'x-dyn-elevated-access-token': elevated } : {}),
        },
      },
      (res) => {
        res.resume()
        res.on('end', () => (res.statusCode === 200 ? resolve(200) : reject(new Error(`${path}: ${res.statusCode}`))))
      },
    )
    req.on('error', reject)
    req.end()
  })
}

const memory = await core(createDynamicAuth(issuer.authOptions()))
let redisCase: (() => Promise<number>) | undefined
let stopRedis: (() => Promise<void>) | undefined
try {
  const redis = await startRedisServer()
  const client = createClient({ url: redis.url })
  client.on('error', () => undefined)
  await client.connect()
  const store = createRedisOneTimeStore({ client })
  redisCase = (await core(createDynamicAuth({ ...issuer.authOptions(), oneTimeStore: store }))).singleUse
  stopRedis = async () => {
    store.close()
    await client.close()
    await redis.stop()
  }
} catch (error) {
  console.log(`(no redis-server: ${(error as Error).message}; the redis case is skipped)`)
}

const cases: Record<string, () => Promise<number>> = {
  'core: session (cached)': memory.session,
  'core: session (cold, for comparison)': memory.cold,
  'core: + time-bound (cached)': memory.timeBound,
  'core: + single-use (memory store)': memory.singleUse,
  ...(redisCase ? { 'core: + single-use (redis store)': redisCase } : {}),
  'Express middleware: guard': () => perOp(() => through(guard, middlewareRequest())),
  'Express middleware: guard + time-bound': () =>
    perOp(async () => {
      const req = middlewareRequest()
      await through(guard, req)
      await through(elevatedMiddleware, req)
    }),
  'HTTP: route': () => perOp(() => post('/plain')),
  'HTTP: route, header ignored': () => perOp(() => post('/plain', timeBound)),
  'HTTP: route + time-bound': () => perOp(() => post('/time-bound', timeBound)),
  'HTTP: route + single-use': () => {
    const tokens = singleUseTokens()
    return perOp((i) => post('/single-use', tokens[i]))
  },
}
// Warm every path once.
for (const run of Object.values(cases)) await run()
const results: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((name) => [name, []]))
const loadBefore = loadavg()[0]!
for (let round = 0; round < ROUNDS; round++)
  for (const [name, run] of Object.entries(cases)) results[name]!.push(await run())
const loadAfter = loadavg()[0]!

console.log(
  `Node ${process.version}, ${cpus().length} cores, load average ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)}; ${ROUNDS} rounds of ${PER_ROUND}; median µs per request`,
)
for (const [name, values] of Object.entries(results))
  console.log(`${name.padEnd(42)} ${median(values).toFixed(1).padStart(8)}`)

agent.destroy()
server.close()
await stopRedis?.()
