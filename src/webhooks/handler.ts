/**
 * What a Dynamic webhook endpoint does with one delivery, whatever the framework: size limit →
 * signature of the raw body (401 when missing or wrong, before anything is parsed) → JSON event
 * → environment → deduplication by `messageId` → revocation (for `user.session.revoked` and
 * `admin.user.session.revoked`) → your own handler. A failure after the signature answers 503, so
 * Dynamic delivers the message again, and the message id is released for that redelivery.
 */
import { createMemoryWebhookDedupe, type WebhookDedupe } from './dedupe.js'
import { verifyWebhookSignature } from './signature.js'

/**
 * A webhook message, as Dynamic documents its envelope. `userId` is who *triggered* the event
 * (an admin, say), not necessarily whom it is about: read the subject from `data`.
 */
export interface DynamicWebhookEvent {
  readonly messageId: string
  readonly eventName: string
  readonly eventId?: string
  readonly webhookId?: string
  readonly userId?: string
  readonly environmentId?: string
  readonly environmentName?: string
  /** When the event occurred (ISO 8601). */
  readonly timestamp?: string
  readonly redelivery?: boolean
  /** The payload; for session events, a session (`id`, `userId`, ...). */
  readonly data?: Record<string, unknown>
  readonly [member: string]: unknown
}

/** The revocation side of a verifier (a `DynamicAuth` fits). */
export interface RevocationTarget {
  revokeSession(sid: string): Promise<void>
  revokeUser(sub: string, options?: { before?: Date | number }): Promise<void>
  readonly config?: { readonly environmentId?: string }
}

/** Options of {@link createDynamicWebhooks}. */
export interface DynamicWebhooksOptions {
  /** The webhook's secret (Dynamic dashboard → Webhooks → the webhook). Several during a rotation. Required. */
  secret: string | readonly string[]
  /** Where session revocations go: your `DynamicAuth`. Without it, events are only passed to `onEvent`. */
  auth?: RevocationTarget
  /** Events of other environments are acknowledged and ignored. Default: `auth.config.environmentId`, else any. */
  environmentId?: string
  /** Called for every verified, first-seen event, after any revocation. Throw to have Dynamic deliver it again. */
  onEvent?: (event: DynamicWebhookEvent) => void | Promise<void>
  /** Where processed message ids are kept. Default: in memory (one process); `createRedisWebhookDedupe` for a fleet. */
  dedupe?: WebhookDedupe
  /** How long a message id is remembered, in ms. Default 7 days. */
  dedupeTtl?: number
  /** Largest body read, in bytes. Default 1 MiB. */
  maxBodyBytes?: number
}

/** The answer to one delivery. */
export interface WebhookResult {
  readonly status: 200 | 400 | 401 | 405 | 413 | 500 | 503
  readonly body: Readonly<Record<string, unknown>>
}

/** Event names that revoke sessions. */
export const REVOCATION_EVENTS: readonly string[] = ['user.session.revoked', 'admin.user.session.revoked']

const MAX_ID_LENGTH = 256

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH
}

function refused(status: WebhookResult['status'], error: string, message: string): WebhookResult {
  return { status, body: { error, message } }
}

/** The validated options plus the one function every framework route calls. */
export class WebhookProcessor {
  private readonly secrets: readonly string[]
  private readonly dedupe: WebhookDedupe
  private readonly dedupeTtl: number
  readonly maxBodyBytes: number
  private readonly environmentId: string | undefined

  constructor(private readonly options: DynamicWebhooksOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('dynamic-guard/webhooks: options are required, with the webhook secret.')
    const secrets = typeof options.secret === 'string' ? [options.secret] : options.secret
    if (!Array.isArray(secrets) || secrets.length === 0 || !secrets.every((s) => typeof s === 'string' && s.length > 0)) {
      throw new TypeError("dynamic-guard/webhooks: secret is required: the webhook's secret from Dynamic's dashboard (Webhooks → your webhook), or a list of them.")
    }
    this.secrets = [...secrets]
    if (options.auth !== undefined && (typeof options.auth?.revokeSession !== 'function' || typeof options.auth?.revokeUser !== 'function')) {
      throw new TypeError('dynamic-guard/webhooks: auth must be a DynamicAuth (with revokeSession and revokeUser).')
    }
    this.dedupe = options.dedupe ?? createMemoryWebhookDedupe()
    this.dedupeTtl = options.dedupeTtl ?? 7 * 24 * 3600_000
    this.maxBodyBytes = options.maxBodyBytes ?? 1 << 20
    if (!(this.dedupeTtl > 0) || !(this.maxBodyBytes > 0)) throw new TypeError('dynamic-guard/webhooks: dedupeTtl and maxBodyBytes must be positive numbers.')
    this.environmentId = (options.environmentId ?? options.auth?.config?.environmentId)?.toLowerCase()
  }

  /** Handles one delivery: the raw body exactly as received, and the signature header. */
  async handle(rawBody: string | Uint8Array, signature: string | null | undefined): Promise<WebhookResult> {
    const size = typeof rawBody === 'string' ? Buffer.byteLength(rawBody) : rawBody.byteLength
    if (size > this.maxBodyBytes) return tooLarge(this.maxBodyBytes)
    if (signature === undefined || signature === null || signature === '') {
      return refused(401, 'signature_missing', 'The x-dynamic-signature-256 header is missing; only messages signed by Dynamic are accepted.')
    }
    if (!verifyWebhookSignature(this.secrets, rawBody, signature)) {
      return refused(401, 'signature_invalid', 'The x-dynamic-signature-256 header does not match the body: the message was altered, not sent by Dynamic, or signed with another secret.')
    }

    let event: DynamicWebhookEvent
    try {
      const text = typeof rawBody === 'string' ? rawBody : new TextDecoder('utf-8', { fatal: true }).decode(rawBody)
      event = JSON.parse(text) as DynamicWebhookEvent
    } catch {
      return refused(400, 'invalid_body', 'The body is not UTF-8 JSON.')
    }
    if (typeof event !== 'object' || event === null || Array.isArray(event) || !isId(event.messageId) || typeof event.eventName !== 'string') {
      return refused(400, 'invalid_event', 'The body is not a Dynamic webhook event (messageId and eventName are required).')
    }
    if (this.environmentId && typeof event.environmentId === 'string' && event.environmentId.toLowerCase() !== this.environmentId) {
      return { status: 200, body: { ok: true, ignored: 'other_environment' } }
    }

    let first: boolean
    try {
      first = await this.dedupe.claim(event.messageId, this.dedupeTtl)
    } catch (error) {
      return refused(503, 'unavailable', `Processed messages could not be checked (${(error as Error).message}); Dynamic will deliver again.`)
    }
    if (!first) return { status: 200, body: { ok: true, duplicate: true } }

    try {
      const action = await this.apply(event)
      await this.options.onEvent?.(event)
      return { status: 200, body: { ok: true, ...(action ? { action } : {}) } }
    } catch (error) {
      await this.dedupe.release(event.messageId).catch(() => undefined)
      return refused(503, 'processing_failed', `The event could not be processed (${(error as Error).message}); Dynamic will deliver it again.`)
    }
  }

  /** Turns a session-revocation event into a revocation. */
  private async apply(event: DynamicWebhookEvent): Promise<string | undefined> {
    const auth = this.options.auth
    if (!auth || !REVOCATION_EVENTS.includes(event.eventName)) return undefined
    const data = (typeof event.data === 'object' && event.data !== null ? event.data : {}) as Record<string, unknown>
    const sid = [data.sessionId, data.sid, data.id].find(isId)
    if (sid !== undefined) {
      await auth.revokeSession(sid)
      return 'session_revoked'
    }
    // No session id: every session of the user the event is about (never the triggering userId).
    const sub = [data.userId, data.user_id].find(isId)
    if (sub !== undefined) {
      const when = [data.revokedAt, event.timestamp].map((t) => (typeof t === 'string' ? Date.parse(t) : NaN)).find((t) => Number.isFinite(t))
      await auth.revokeUser(sub, when === undefined ? {} : { before: when })
      return 'user_revoked'
    }
    throw new Error(`a ${event.eventName} event without a session id or user id in data`)
  }
}

export function tooLarge(limit: number): WebhookResult {
  return refused(413, 'body_too_large', `The body is larger than ${limit} bytes.`)
}

export function methodNotAllowed(): WebhookResult {
  return refused(405, 'method_not_allowed', 'Dynamic delivers webhooks with POST.')
}
