/**
 * The health endpoint of each framework, all over {@link healthCheck}: 200 while the instance can
 * verify (`ok` or `degraded`), 503 when it cannot (`unavailable`), the JSON snapshot as the body,
 * `Cache-Control: no-store`. Typed structurally, so no framework is imported here.
 */
import { fetchHealthCheck, healthCheck, nodeHealthCheck, type HealthCheckOptions, type HealthSource, type NodeHealthResponse } from './health-handler.js'

export { fetchHealthCheck, nodeHealthCheck } from './health-handler.js'

/**
 * Express: `app.get('/healthz', healthCheck(auth))`. 200 (`ok`, `degraded`) or 503
 * (`unavailable`) with the JSON of `auth.health()`.
 */
export function expressHealthCheck(auth: HealthSource, options?: HealthCheckOptions): (req: unknown, res: NodeHealthResponse) => Promise<void> {
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
export function fastifyHealthCheck(auth: HealthSource, options?: HealthCheckOptions): (request: unknown, reply: FastifyHealthReply) => Promise<void> {
  const check = healthCheck(auth, options)
  return async (_request, reply) => {
    const result = await check()
    reply.code(result.status).headers({ ...result.headers }).send(result.body)
  }
}

/** A Koa context, as far as a health answer needs. */
export interface KoaHealthContext {
  status: number
  body: unknown
  set(headers: Record<string, string>): void
}

/** Koa: `router.get('/healthz', healthCheck(auth))`, or a middleware that checks `ctx.path`. 200 or 503. */
export function koaHealthCheck(auth: HealthSource, options?: HealthCheckOptions): (ctx: KoaHealthContext) => Promise<void> {
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
