/**
 * The health endpoints of every framework, over one check: take the snapshot, and when the keys
 * are missing or stale and the key store may fetch again, try to load them first: an instance a
 * load balancer took out of rotation gets no traffic, so without this nothing would refetch and it
 * would never come back. The key store's own backoff and Retry-After still pace those fetches.
 * 200 while the instance can verify (`ok` or `degraded`), 503 when it cannot (`unavailable`), the
 * JSON snapshot as the body, `Cache-Control: no-store`. Typed structurally: no framework is imported.
 */
import type { DynamicAuth } from '../verifier.js'
import type { DynamicAuthHealth } from '../health/health.js'

/** What a health handler takes: a verifier, or an adapter's middleware that carries one as `.auth`. */
export type HealthSource =
  | Pick<DynamicAuth, 'health' | 'warmUp'>
  | {
      /** The verifier (an adapter's middleware carries it). */
      readonly auth: Pick<DynamicAuth, 'health' | 'warmUp'>
    }

/** Options of the health handlers. */
export interface HealthCheckOptions {
  /** Send the whole snapshot (true) or only `{ "status": ... }` (false). Default true. */
  details?: boolean
  /** The longest a check waits for a key fetch it started, in ms. Default 5000. */
  timeoutMs?: number
}

/** A health answer, whatever the framework. */
export interface HealthAnswer {
  /** 200 when the verifier can verify tokens, 503 when it cannot. */
  readonly status: 200 | 503
  /** The answer's headers (`content-type`, `cache-control`). */
  readonly headers: Readonly<Record<string, string>>
  /** The JSON health snapshot. */
  readonly body: string
}

function source(from: HealthSource): Pick<DynamicAuth, 'health' | 'warmUp'> {
  const auth =
    'health' in from && typeof from.health === 'function'
      ? from
      : (from as { auth?: Pick<DynamicAuth, 'health' | 'warmUp'> }).auth
  if (auth === undefined || typeof auth.health !== 'function' || typeof auth.warmUp !== 'function') {
    throw new TypeError(
      'dynamic-guard: a health handler needs a verifier from createDynamicAuth (or an adapter middleware carrying one).',
    )
  }
  return auth
}

/** Checks a handler's arguments once, at creation; returns the check to run per request. */
export function healthCheck(from: HealthSource, options: HealthCheckOptions = {}): () => Promise<HealthAnswer> {
  const auth = source(from)
  const details = options.details !== false
  const timeoutMs = options.timeoutMs ?? 5000
  if (!(timeoutMs > 0)) throw new TypeError('dynamic-guard: health timeoutMs must be a positive number of ms.')
  return async () => {
    try {
      return answer(await freshHealth(auth, timeoutMs), details)
    } catch {
      // A health check never crashes the server: a check that could not run is a 503.
      return { status: 503, headers: HEADERS, body: JSON.stringify({ status: 'unavailable' }) }
    }
  }
}

const HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
})

async function freshHealth(
  auth: Pick<DynamicAuth, 'health' | 'warmUp'>,
  timeoutMs: number,
): Promise<DynamicAuthHealth> {
  const first = auth.health()
  const { state, retryInSeconds } = first.keys
  if (!(state === 'not_loaded' || state === 'unavailable' || state === 'stale') || (retryInSeconds ?? 0) > 0)
    return first
  let timer: ReturnType<typeof setTimeout> | undefined
  await Promise.race([
    auth.warmUp().catch(() => undefined),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
  ])
  clearTimeout(timer)
  return auth.health()
}

/** 200 unless the instance cannot verify (`unavailable`): 503. Never cached. */
export function answer(health: DynamicAuthHealth, details: boolean): HealthAnswer {
  return {
    status: health.status === 'unavailable' ? 503 : 200,
    headers: HEADERS,
    body: JSON.stringify(details ? health : { status: health.status }),
  }
}

/** A `node:http` response, as far as a health answer needs. */
export interface NodeHealthResponse {
  /** Writes the status and headers. */
  writeHead(status: number, headers: Record<string, string>): unknown
  /** Writes the body and ends the answer. */
  end(body: string): unknown
}

/**
 * A health endpoint for `node:http` (or anything with `res.writeHead`/`res.end`):
 * `if (req.url === '/healthz') return health(req, res)`. 200 or 503 with the JSON snapshot.
 */
export function nodeHealthCheck(
  auth: HealthSource,
  options?: HealthCheckOptions,
): (req: unknown, res: NodeHealthResponse) => Promise<void> {
  const check = healthCheck(auth, options)
  return async (_req, res) => {
    const result = await check()
    res.writeHead(result.status, { ...result.headers })
    res.end(result.body)
  }
}

/** A health endpoint for the Fetch API: `(request) => Promise<Response>`. */
export function fetchHealthCheck(
  auth: HealthSource,
  options?: HealthCheckOptions,
): (request?: Request) => Promise<Response> {
  const check = healthCheck(auth, options)
  return async () => {
    const result = await check()
    return new Response(result.body, { status: result.status, headers: result.headers })
  }
}

/**
 * Express: `app.get('/healthz', healthCheck(auth))`. 200 (`ok`, `degraded`) or 503
 * (`unavailable`) with the JSON of `auth.health()`.
 */
export function expressHealthCheck(
  auth: HealthSource,
  options?: HealthCheckOptions,
): (req: unknown, res: NodeHealthResponse) => Promise<void> {
  return nodeHealthCheck(auth, options)
}

/** A Fastify reply, as far as a health answer needs. */
export interface FastifyHealthReply {
  code(status: number): FastifyHealthReply
  headers(values: Record<string, string>): FastifyHealthReply
  send(payload: string): unknown
}

/**
 * Fastify: `app.get('/healthz', healthCheck(auth))` (a route outside the plugin's protection,
 * e.g. registered before it or with `global: false`). 200 or 503 with the JSON of `auth.health()`.
 */
export function fastifyHealthCheck(
  auth: HealthSource,
  options?: HealthCheckOptions,
): (request: unknown, reply: FastifyHealthReply) => Promise<void> {
  const check = healthCheck(auth, options)
  return async (_request, reply) => {
    const result = await check()
    reply
      .code(result.status)
      .headers({ ...result.headers })
      .send(result.body)
  }
}

/** A Koa context, as far as a health answer needs. */
export interface KoaHealthContext {
  status: number
  body: unknown
  set(headers: Record<string, string>): void
}

/** Koa: `router.get('/healthz', healthCheck(auth))`, or a middleware that checks `ctx.path`. 200 or 503. */
export function koaHealthCheck(
  auth: HealthSource,
  options?: HealthCheckOptions,
): (ctx: KoaHealthContext) => Promise<void> {
  const check = healthCheck(auth, options)
  return async (ctx) => {
    const result = await check()
    ctx.status = result.status
    ctx.set({ ...result.headers })
    ctx.body = result.body
  }
}

/** Hono: `app.get('/healthz', healthCheck(auth))`. 200 or 503 with the JSON of `auth.health()`. */
export function honoHealthCheck(auth: HealthSource, options?: HealthCheckOptions): (c: unknown) => Promise<Response> {
  const answer = fetchHealthCheck(auth, options)
  return () => answer()
}
