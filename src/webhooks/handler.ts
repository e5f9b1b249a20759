/**
 * What a Dynamic webhook endpoint does with one delivery, whatever the framework: size limit →
 * signature of the raw body (401 when missing or wrong, before anything is parsed) → JSON event
 * → environment → revocation → deduplication by `messageId` → your own handler.
 *
 * The revocation is applied on every delivery, redeliveries included (it is idempotent), before
 * any 2xx: whatever the dedupe store answers, or fails to answer, a 2xx means the revocation is in
 * force and shared. Only `onEvent` runs once per message (see dedupe.ts). Every 503 leaves the
 * message in a state where the same delivery, sent again, can succeed.
 *
 * Revocations, as Dynamic sends the events (its docs and API schema):
 * - `user.session.revoked`, `admin.user.session.revoked`: `data` is a Session object
 *   (`{ id, createdAt, ipAddress, userAgent, revokedAt }`); `data.id` is the session revoked.
 *   Nothing else is read: the Session has no user id, and the envelope's `userId` is whoever
 *   caused the event (an admin, say). An event without `data.id` revokes nothing; it is
 *   acknowledged and reported to `onEvent` as skipped.
 * - `user.deleted`: `data` is the User; `data.id` is the user, whose tokens are all refused.
 */
import { randomUUID } from 'node:crypto'
import { createMemoryWebhookDedupe, type WebhookClaim, type WebhookDedupe } from './dedupe.js'
import { verifyWebhookSignature } from './signature.js'
import type { TelemetrySetting } from '../options.js'

/**
 * A webhook message, as Dynamic documents its envelope. `userId` is who *triggered* the event
 * (an admin, say), not necessarily whom it is about: read the subject from `data`.
 */
export interface DynamicWebhookEvent {
  /** The delivery's message id: the same on each retry of one message, so deliveries are processed once by it. */
  readonly messageId: string
  /** The event, e.g. `user.session.revoked`, `user.deleted`. */
  readonly eventName: string
  /** The event's id. */
  readonly eventId?: string
  /** The id of the webhook the delivery is for. */
  readonly webhookId?: string
  /** The user the event is about, or who caused it. */
  readonly userId?: string
  /** The Dynamic environment the event happened in. */
  readonly environmentId?: string
  /** That environment's name (`sandbox`, `live`). */
  readonly environmentName?: string
  /** When the event occurred (ISO 8601). */
  readonly timestamp?: string
  /** True when the delivery was retried or resent. */
  readonly redelivery?: boolean
  /**
   * The payload: a Session (`id`, `createdAt`, `ipAddress`, `userAgent`, `revokedAt`) for session
   * events, a User (`id`, …) for user events.
   */
  readonly data?: Record<string, unknown>
  readonly [member: string]: unknown
}

/** The revocation side of a verifier (a `DynamicAuth` fits). */
export interface RevocationTarget {
  /** Revokes every token of the session `sid`. */
  revokeSession(sid: string): Promise<void>
  /** Revokes every token of the user `sub` issued before `before` (default: now). */
  revokeUser(sub: string, options?: { before?: Date | number }): Promise<void>
  /** The environment the verifier accepts tokens of: events of another environment revoke nothing. */
  readonly environmentId?: string
  /**
   * Every environment the verifier accepts tokens of, with their names (a verifier made with
   * `createDynamicAuth({ environments })`): events of each of them are processed.
   */
  readonly environments?: readonly {
    /** The environment id. */
    readonly id: string
    /** The name given to it. */
    readonly name?: string | undefined
  }[]
}

/** Options of {@link createDynamicWebhooks}. */
export interface DynamicWebhooksOptions {
  /**
   * The webhook's secret (Dynamic dashboard → Webhooks → the webhook). Several during a rotation.
   * Required, unless `secrets` gives one per environment.
   */
  secret?: string | readonly string[]
  /**
   * One webhook secret (or several, during a rotation) per environment, when each environment has
   * its own webhook (each Dynamic environment is configured on its own): keyed by environment id,
   * or by the name given to it in `auth`'s `createDynamicAuth({ environments })`. A delivery is
   * accepted only when it is signed with the secret of the environment its envelope's
   * `environmentId` names (401 `environment_mismatch` otherwise): a sandbox webhook's secret
   * cannot deliver a live event. Events of other environments are ignored. Not with `secret`.
   */
  secrets?: Readonly<Record<string, string | readonly string[]>>
  /** Where session revocations go: your `DynamicAuth`. Without it, events are only passed to `onEvent`. */
  auth?: RevocationTarget
  /**
   * Events of other environments are acknowledged and ignored. Default: the environments of
   * `secrets`, else those of `auth` (all of them, for a verifier over several), else any.
   */
  environmentId?: string
  /**
   * Called once per verified message (by `messageId`), after its revocation, with what the endpoint
   * did with it (`delivery`: the revocation made or why none was, and what the signature covered).
   * Throw to have Dynamic deliver it again.
   */
  onEvent?: (event: DynamicWebhookEvent, delivery: WebhookDelivery) => void | Promise<void>
  /** Where processed message ids are kept. Default: in memory (one process); `createRedisWebhookDedupe` for a fleet. */
  dedupe?: WebhookDedupe
  /** How long a processed message id is remembered, in ms. Default 7 days. */
  dedupeTtl?: number
  /**
   * How long one delivery holds a message while `onEvent` runs, in ms: meanwhile another delivery
   * of it is answered 503 `in_progress`. A lease left behind (a crash, a claim that timed out)
   * expires after this. Default 60000.
   */
  processingLease?: number
  /** Largest body read, in bytes. Default 1 MiB. */
  maxBodyBytes?: number
  /**
   * OpenTelemetry metrics of the deliveries (`dynamic_guard.webhooks.received`). Default: on,
   * through the meter provider registered with `@opentelemetry/api`; `false` turns it off.
   */
  telemetry?: TelemetrySetting
}

/** The answer to one delivery. */
export interface WebhookResult {
  /** The HTTP status to answer Dynamic with. */
  readonly status: 200 | 400 | 401 | 405 | 413 | 500 | 503
  /** The JSON body to answer with. */
  readonly body: Readonly<Record<string, unknown>>
}

/** Event names that revoke a session (`data` is a Session; `data.id` is the session id). */
export const REVOCATION_EVENTS: readonly string[] = ['user.session.revoked', 'admin.user.session.revoked']
/** Event names that revoke every token of a user (`data` is the User; `data.id` is the user id). */
export const USER_REVOCATION_EVENTS: readonly string[] = ['user.deleted']

/** What the endpoint did with an event: the revocation it made. */
export type WebhookAction = 'session_revoked' | 'user_revoked'

/**
 * Why a revocation event revoked nothing: `no_session_id` (a session event whose `data` has no
 * `id`), `no_user_id` (a `user.deleted` whose `data` has no `id`). The event is acknowledged.
 */
export type WebhookSkipReason = 'no_session_id' | 'no_user_id'

/**
 * What the signature was checked over: `raw_body`, the bytes as received (always, when the route
 * has them), or `reserialized_body`, `JSON.stringify` of a body the framework had already parsed
 * (as Dynamic's own sample checks it; it matches as long as Dynamic sends compact JSON).
 */
export type WebhookSignedOver = 'raw_body' | 'reserialized_body'

/** What the endpoint did with one verified, first-seen event (the second argument of `onEvent`). */
export interface WebhookDelivery {
  /** The revocation made, if any. */
  readonly action?: WebhookAction
  /** Why a revocation event revoked nothing. */
  readonly skipped?: WebhookSkipReason
  /** What the signature covered. */
  readonly signedOver: WebhookSignedOver
  /**
   * The name given to the event's environment (in `auth`'s `createDynamicAuth({ environments })`,
   * or as a key of `secrets`), when it has one; the envelope's own `environmentName` is Dynamic's.
   */
  readonly environmentName?: string
}

const MAX_ID_LENGTH = 256

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH
}

function refused(status: WebhookResult['status'], error: string, message: string): WebhookResult {
  return { status, body: { error, message } }
}

/**
 * Told of every answered delivery: the answer, and the event's name once its signature and body
 * were checked (never the name an unsigned body claims). Used for metrics.
 */
export type WebhookObserver = (result: WebhookResult, eventName: string | undefined) => void

/** The validated options plus the one function every framework route calls. */
export class WebhookProcessor {
  private readonly secrets: readonly string[]
  /** With `secrets`: each environment's secrets, by id. */
  private readonly secretsById: ReadonlyMap<string, readonly string[]> | undefined
  /** The environments whose events are processed (lower-case ids); undefined: any. */
  private readonly environmentIds: ReadonlySet<string> | undefined
  /** The name of each known environment, by id. */
  private readonly names: ReadonlyMap<string, string>
  private readonly dedupe: WebhookDedupe
  private readonly dedupeTtl: number
  private readonly processingLease: number
  readonly maxBodyBytes: number
  private readonly environmentId: string | undefined
  private readonly observer: WebhookObserver | undefined

  /** `observe` makes the observer, given the environment the endpoint accepts (if known). */
  constructor(
    private readonly options: DynamicWebhooksOptions,
    observe?: (environmentId: string | undefined) => WebhookObserver | undefined,
  ) {
    if (typeof options !== 'object' || options === null)
      throw new TypeError('dynamic-guard/webhooks: options are required, with the webhook secret.')
    const names = new Map<string, string>()
    for (const env of options.auth?.environments ?? [])
      if (typeof env?.name === 'string') names.set(env.id.toLowerCase(), env.name)
    this.names = names
    if (options.secrets !== undefined) {
      if (options.secret !== undefined)
        throw new TypeError(
          'dynamic-guard/webhooks: give secret (one webhook) or secrets (a webhook per environment), not both.',
        )
      this.secretsById = resolveSecrets(options.secrets, options.auth?.environments)
      this.secrets = [...this.secretsById.values()].flat()
    } else {
      const secrets = typeof options.secret === 'string' ? [options.secret] : options.secret
      if (!validSecrets(secrets)) {
        throw new TypeError(
          "dynamic-guard/webhooks: secret is required: the webhook's secret from Dynamic's dashboard (Webhooks → your webhook), or a list of them (or secrets, one per environment).",
        )
      }
      this.secrets = [...secrets]
    }
    if (
      options.auth !== undefined &&
      (typeof options.auth?.revokeSession !== 'function' || typeof options.auth?.revokeUser !== 'function')
    ) {
      throw new TypeError('dynamic-guard/webhooks: auth must be a DynamicAuth (with revokeSession and revokeUser).')
    }
    this.dedupe = options.dedupe ?? createMemoryWebhookDedupe()
    this.dedupeTtl = options.dedupeTtl ?? 7 * 24 * 3600_000
    this.processingLease = options.processingLease ?? 60_000
    this.maxBodyBytes = options.maxBodyBytes ?? 1 << 20
    if (!(this.dedupeTtl > 0) || !(this.processingLease > 0) || !(this.maxBodyBytes > 0)) {
      throw new TypeError(
        'dynamic-guard/webhooks: dedupeTtl, processingLease and maxBodyBytes must be positive numbers.',
      )
    }
    const dedupe = this.dedupe as Partial<WebhookDedupe>
    if (
      typeof dedupe.claim !== 'function' ||
      typeof dedupe.complete !== 'function' ||
      typeof dedupe.release !== 'function'
    ) {
      throw new TypeError(
        'dynamic-guard/webhooks: dedupe must have claim(messageId, holder, leaseMs), complete(messageId, ttlMs) and release(messageId, holder): see WebhookDedupe, or use createRedisWebhookDedupe.',
      )
    }
    this.environmentId = (options.environmentId ?? options.auth?.environmentId)?.toLowerCase()
    this.environmentIds =
      options.environmentId !== undefined
        ? new Set([options.environmentId.toLowerCase()])
        : this.secretsById !== undefined
          ? new Set(this.secretsById.keys())
          : options.auth?.environments !== undefined
            ? new Set(options.auth.environments.map((env) => env.id.toLowerCase()))
            : this.environmentId === undefined
              ? undefined
              : new Set([this.environmentId])
    this.observer = observe?.(options.environmentId ?? options.auth?.environmentId)
  }

  /**
   * Tells the observer of an answer and returns it. The routes call it for the answers they give
   * before the body reaches the processor (a wrong method, a body over the limit).
   */
  answered(result: WebhookResult, eventName?: string): WebhookResult {
    try {
      this.observer?.(result, eventName)
    } catch {
      // Counting a delivery never changes its answer.
    }
    return result
  }

  /** Handles one delivery: the raw body exactly as received, and the signature header. */
  async handle(rawBody: string | Uint8Array, signature: string | null | undefined): Promise<WebhookResult> {
    const size = typeof rawBody === 'string' ? Buffer.byteLength(rawBody) : rawBody.byteLength
    if (size > this.maxBodyBytes) return this.answered(tooLarge(this.maxBodyBytes))
    if (signature === undefined || signature === null || signature === '') return this.answered(signatureMissing())
    const signers = this.signers(rawBody, signature)
    if (signers === undefined) {
      return this.answered(
        refused(
          401,
          'signature_invalid',
          'The x-dynamic-signature-256 header does not match the body: the message was altered, not sent by Dynamic, or signed with another secret.',
        ),
      )
    }
    let event: unknown
    try {
      const text = typeof rawBody === 'string' ? rawBody : new TextDecoder('utf-8', { fatal: true }).decode(rawBody)
      event = JSON.parse(text)
    } catch {
      return this.answered(refused(400, 'invalid_body', 'The body is not UTF-8 JSON.'))
    }
    return this.process(event, 'raw_body', signers)
  }

  /**
   * Handles a delivery whose body a framework has already parsed, the raw bytes being gone: the
   * signature is checked over `JSON.stringify(parsed)`, as Dynamic's own sample does, and
   * `onEvent` is told so (`signedOver: 'reserialized_body'`). Prefer {@link handle}.
   */
  async handleParsed(parsed: unknown, signature: string | null | undefined): Promise<WebhookResult> {
    let text: string | undefined
    try {
      text = JSON.stringify(parsed)
    } catch {
      text = undefined
    }
    if (typeof text !== 'string')
      return this.answered(refused(400, 'invalid_body', 'The parsed body cannot be serialised as JSON.'))
    if (Buffer.byteLength(text) > this.maxBodyBytes) return this.answered(tooLarge(this.maxBodyBytes))
    if (signature === undefined || signature === null || signature === '') return this.answered(signatureMissing())
    const signers = this.signers(text, signature)
    if (signers === undefined) {
      return this.answered(
        refused(
          401,
          'signature_invalid',
          'The x-dynamic-signature-256 header does not match the body. The body had been parsed before the webhook route saw it, so the signature was checked over JSON.stringify of the parsed body, which differs from the bytes sent when they were not compact JSON: mount the route before the JSON body parser (or give it the raw body) so that the exact bytes are checked.',
        ),
      )
    }
    // A fresh copy: what the framework parsed may be shared with, or changed by, other code.
    return this.process(JSON.parse(text), 'reserialized_body', signers)
  }

  /**
   * The environments whose secret signed `body` (every one matters with `secrets`), `ANY` with a
   * single webhook secret, or undefined when no secret did.
   */
  private signers(body: string | Uint8Array, signature: string): ReadonlySet<string> | typeof ANY | undefined {
    const byId = this.secretsById
    if (byId === undefined) return verifyWebhookSignature(this.secrets, body, signature) ? ANY : undefined
    const found = new Set<string>()
    for (const [id, secrets] of byId) if (verifyWebhookSignature(secrets, body, signature)) found.add(id)
    return found.size === 0 ? undefined : found
  }

  private async process(
    event: unknown,
    signedOver: WebhookSignedOver,
    signers: ReadonlySet<string> | typeof ANY,
  ): Promise<WebhookResult> {
    if (!isEvent(event)) {
      return this.answered(
        refused(
          400,
          'invalid_event',
          'The body is not a Dynamic webhook event (messageId and eventName are required).',
        ),
      )
    }
    if (signers !== ANY) {
      // A secret signs for its own environment only: the envelope must name that one.
      const named = typeof event.environmentId === 'string' ? event.environmentId.toLowerCase() : undefined
      if (named === undefined || !signers.has(named)) {
        return this.answered(
          refused(
            401,
            'environment_mismatch',
            `The event names ${named === undefined ? 'no environment' : `environment ${named.slice(0, 64)}`}, but it is signed with the webhook secret of ${[...signers].map((id) => this.label(id)).join(', ')}: each environment's webhook has its own secret. Check which secret is listed under which environment in secrets.`,
          ),
          event.eventName,
        )
      }
    }
    return this.answered(await this.processEvent(event, signedOver), event.eventName)
  }

  private label(id: string): string {
    const name = this.names.get(id)
    return name === undefined ? `environment ${id}` : `environment ${name} (${id})`
  }

  /** A signed, well-formed event: environment, redelivery, revocation, then `onEvent`. */
  private async processEvent(event: DynamicWebhookEvent, signedOver: WebhookSignedOver): Promise<WebhookResult> {
    const environment = typeof event.environmentId === 'string' ? event.environmentId.toLowerCase() : undefined
    if (this.environmentIds !== undefined && environment !== undefined && !this.environmentIds.has(environment)) {
      return { status: 200, body: { ok: true, ignored: 'other_environment' } }
    }
    const environmentName = environment === undefined ? undefined : this.names.get(environment)

    // The revocation first, on every delivery: never left to what the dedupe store says.
    let outcome: { action?: WebhookAction; skipped?: WebhookSkipReason }
    try {
      outcome = await this.apply(event)
    } catch (error) {
      return refused(
        503,
        'processing_failed',
        `The revocation could not be applied and shared (${(error as Error).message}); Dynamic will deliver the event again.`,
      )
    }

    const onEvent = this.options.onEvent
    const holder = randomUUID()
    let claim: WebhookClaim
    try {
      claim = await this.dedupe.claim(event.messageId, holder, this.processingLease)
    } catch (error) {
      // The claim may still be made (a timed-out command can run later): undo it if so. Left
      // behind, it expires with its lease.
      this.dedupe.release(event.messageId, holder).catch(() => undefined)
      // Without onEvent, nothing is left to do once: the revocation is in force and shared.
      if (!onEvent) return { status: 200, body: { ok: true, ...outcome } }
      return refused(
        503,
        'unavailable',
        `The revocation is in force, but processed messages could not be checked (${(error as Error).message}); Dynamic will deliver the event again.`,
      )
    }
    if (claim === 'done' || (claim === 'busy' && !onEvent)) return { status: 200, body: { ok: true, duplicate: true } }
    if (claim === 'busy') {
      return refused(
        503,
        'in_progress',
        'The revocation is in force; another delivery of this message is being processed (or stopped, and its lease has not expired yet). Dynamic will deliver the event again.',
      )
    }

    try {
      await onEvent?.(
        event,
        environmentName === undefined ? { ...outcome, signedOver } : { ...outcome, signedOver, environmentName },
      )
    } catch (error) {
      await this.dedupe.release(event.messageId, holder).catch(() => undefined)
      return refused(
        503,
        'processing_failed',
        `The event could not be processed (${(error as Error).message}); Dynamic will deliver it again.`,
      )
    }
    // Not marked done: the lease expires, and only a later delivery (none after a 2xx) would see it.
    await this.dedupe.complete(event.messageId, this.dedupeTtl).catch(() => undefined)
    return { status: 200, body: { ok: true, ...outcome } }
  }

  /**
   * Turns a revocation event into a revocation, by `data.id` only: the Session's id for session
   * events, the User's id for `user.deleted`. Never by the envelope's `userId` (who caused the event).
   */
  private async apply(event: DynamicWebhookEvent): Promise<{ action?: WebhookAction; skipped?: WebhookSkipReason }> {
    const auth = this.options.auth
    if (!auth) return {}
    const data =
      typeof event.data === 'object' && event.data !== null && !Array.isArray(event.data) ? event.data : undefined
    const id = data?.id
    if (REVOCATION_EVENTS.includes(event.eventName)) {
      if (!isId(id)) return { skipped: 'no_session_id' }
      await auth.revokeSession(id)
      return { action: 'session_revoked' }
    }
    if (USER_REVOCATION_EVENTS.includes(event.eventName)) {
      if (!isId(id)) return { skipped: 'no_user_id' }
      // Every token issued until now; a deleted user gets no new ones.
      await auth.revokeUser(id)
      return { action: 'user_revoked' }
    }
    return {}
  }
}

/** The marker of a delivery checked against a single webhook secret: any environment signs with it. */
const ANY = 'any' as const

function validSecrets(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.length > 0 && value.every((s) => typeof s === 'string' && s.length > 0)
}

/** `secrets`, keyed by id or by a name of `environments`, as lists of secrets by lower-case id. */
function resolveSecrets(
  secrets: Readonly<Record<string, string | readonly string[]>>,
  environments: RevocationTarget['environments'],
): Map<string, readonly string[]> {
  if (typeof secrets !== 'object' || secrets === null || Object.keys(secrets).length === 0)
    throw new TypeError(
      "dynamic-guard/webhooks: secrets must be an object of webhook secrets by environment: { live: '<live webhook secret>', sandbox: '<sandbox webhook secret>' } (names of auth's environments) or by environment id.",
    )
  const byId = new Map<string, readonly string[]>()
  for (const [key, value] of Object.entries(secrets)) {
    const list = typeof value === 'string' ? [value] : value
    if (!validSecrets(list))
      throw new TypeError(
        `dynamic-guard/webhooks: secrets.${key.slice(0, 64)} must be a webhook secret or a list of them.`,
      )
    const known = environments?.find((env) => env.name === key || env.id.toLowerCase() === key.toLowerCase())
    const id = known?.id.toLowerCase() ?? (/^[0-9a-f-]{36}$/i.test(key) ? key.toLowerCase() : undefined)
    if (id === undefined)
      throw new TypeError(
        `dynamic-guard/webhooks: secrets has ${JSON.stringify(key.slice(0, 64))}, which is neither an environment id nor the name of one of auth's environments (${(environments ?? []).map((env) => env.name ?? env.id).join(', ') || 'no auth given'}).`,
      )
    if (byId.has(id)) throw new TypeError(`dynamic-guard/webhooks: secrets names environment ${id} twice.`)
    byId.set(id, [...list])
  }
  return byId
}

function isEvent(value: unknown): value is DynamicWebhookEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const event = value as { messageId?: unknown; eventName?: unknown }
  return isId(event.messageId) && typeof event.eventName === 'string'
}

function signatureMissing(): WebhookResult {
  return refused(
    401,
    'signature_missing',
    'The x-dynamic-signature-256 header is missing; only messages signed by Dynamic are accepted.',
  )
}

export function tooLarge(limit: number): WebhookResult {
  return refused(413, 'body_too_large', `The body is larger than ${limit} bytes.`)
}

export function methodNotAllowed(): WebhookResult {
  return refused(405, 'method_not_allowed', 'Dynamic delivers webhooks with POST.')
}
