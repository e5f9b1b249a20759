/**
 * `dynamic-guard/webhooks`: receive Dynamic's signed webhooks and turn session revocations and
 * deleted users into revocations of your verifier (shared by the fleet when its store is `dynamic-guard/redis`).
 *
 * @example
 * import { createDynamicWebhooks } from 'dynamic-guard/webhooks'
 * const webhooks = createDynamicWebhooks({ secret: process.env.DYNAMIC_WEBHOOK_SECRET!, auth })
 *
 * app.post('/webhooks/dynamic', webhooks.express)               // Express (before express.json())
 * fastify.register(webhooks.fastify, { path: '/webhooks/dynamic' }) // Fastify
 * hono.post('/webhooks/dynamic', webhooks.hono)                 // Hono
 * export const POST = webhooks.fetch                             // Next.js route handler, any Fetch runtime
 *
 * @packageDocumentation
 */
import type { ServerResponse } from 'node:http'
import { WebhookProcessor, type DynamicWebhooksOptions, type WebhookResult } from './handler.js'
import { webhookMetrics } from '../observability/webhook-metrics.js'
import {
  fastifyPlugin,
  handleFetch,
  handleNode,
  type FastifyInstanceLike,
  type FastifyWebhookOptions,
  type HonoContextLike,
  type NodeWebhookRequest,
} from './routes.js'

export {
  REVOCATION_EVENTS,
  USER_REVOCATION_EVENTS,
  type DynamicWebhookEvent,
  type DynamicWebhooksOptions,
  type RevocationTarget,
  type WebhookAction,
  type WebhookDelivery,
  type WebhookResult,
  type WebhookSignedOver,
  type WebhookSkipReason,
} from './handler.js'
export { SIGNATURE_HEADER, signWebhookBody, verifyWebhookSignature } from './signature.js'
export { createMemoryWebhookDedupe, type WebhookClaim, type WebhookDedupe } from './dedupe.js'
export type {
  FastifyInstanceLike,
  FastifyReplyLike,
  FastifyWebhookOptions,
  HonoContextLike,
  NodeWebhookRequest,
} from './routes.js'

/** One webhook endpoint, as a route for each framework. Every route answers JSON. */
export interface DynamicWebhooks {
  /** Fetch API: `(request) => Promise<Response>`. */
  readonly fetch: (request: Request) => Promise<Response>
  /** Express 4/5 or `node:http`: `(req, res, next?)`. Mount before `express.json()`. */
  readonly express: (req: NodeWebhookRequest, res: ServerResponse, next?: (error?: unknown) => void) => Promise<void>
  /** Fastify plugin: `app.register(webhooks.fastify, { path })` (default path `/webhooks/dynamic`). */
  readonly fastify: (instance: FastifyInstanceLike, options?: FastifyWebhookOptions) => Promise<void>
  /** Hono handler: `app.post(path, webhooks.hono)`. */
  readonly hono: (c: HonoContextLike) => Promise<Response>
  /** The framework-free core: the raw body and the signature header in, status and JSON body out. */
  handle(rawBody: string | Uint8Array, signature: string | null | undefined): Promise<WebhookResult>
  /**
   * For a framework that parsed the body and kept no raw bytes: checks the signature over
   * `JSON.stringify(parsed)` (as Dynamic's own sample does; it matches Dynamic's compact JSON)
   * and reports `signedOver: 'reserialized_body'` to `onEvent`. Prefer {@link handle}.
   */
  handleParsed(parsed: unknown, signature: string | null | undefined): Promise<WebhookResult>
}

/**
 * Creates the webhook endpoint: verifies `x-dynamic-signature-256` (401 when missing or wrong),
 * revokes the session `data.id` on `user.session.revoked` and `admin.user.session.revoked` and the
 * user `data.id` on `user.deleted` (on every delivery: a 2xx means the revocation is in force),
 * then calls `onEvent` once per `messageId`.
 * Throws at once for bad options.
 */
export function createDynamicWebhooks(options: DynamicWebhooksOptions): DynamicWebhooks {
  const processor = new WebhookProcessor(options, (environmentId) => webhookMetrics(options.telemetry, environmentId))
  return Object.freeze({
    fetch: (request: Request) => handleFetch(processor, request),
    express: (req: NodeWebhookRequest, res: ServerResponse, next?: (error?: unknown) => void) =>
      handleNode(processor, req, res, next),
    fastify: fastifyPlugin(processor),
    hono: (c: HonoContextLike) => handleFetch(processor, c.req.raw),
    handle: (rawBody: string | Uint8Array, signature: string | null | undefined) =>
      processor.handle(rawBody, signature),
    handleParsed: (parsed: unknown, signature: string | null | undefined) => processor.handleParsed(parsed, signature),
  })
}
