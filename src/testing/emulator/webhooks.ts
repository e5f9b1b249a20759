/**
 * Dynamic's webhooks, sent by the emulator: the envelope Dynamic documents (`messageId`, `eventId`,
 * `webhookId`, `eventName`, `environmentId`, `environmentName`, `timestamp`, `userId`, `data`),
 * compact JSON, signed with `x-dynamic-signature-256: sha256=<hex HMAC-SHA256 of the raw body>`.
 * Each delivery is awaited (5 s at most) before the call that caused it is answered, so a test can
 * check its effect as soon as the SDK call returns. A failed delivery is logged, never thrown.
 */
import { randomUUID } from 'node:crypto'
import { SIGNATURE_HEADER, signWebhookBody } from '../../webhooks/signature.js'
import type { EmulatorWebhookOptions } from './options.js'

/** The events the emulator sends (Dynamic's names). */
export type EmulatorEventName =
  | 'user.created'
  | 'user.updated'
  | 'user.deleted'
  | 'user.session.created'
  | 'user.session.revoked'
  | 'admin.user.session.revoked'
  | 'wallet.linked'
  | 'wallet.unlinked'

/** The outcome of one delivery. */
export interface WebhookDelivery {
  readonly eventName: EmulatorEventName
  readonly messageId: string
  /** The endpoint's HTTP status, or undefined when it could not be reached. */
  readonly status: number | undefined
  readonly error?: string
}

const TIMEOUT_MS = 5000

/** Sends the emulator's webhooks (or nothing, without a webhook configured). */
export class WebhookSender {
  private readonly webhookId = randomUUID()
  /** Every delivery, oldest first (the last 100). */
  readonly deliveries: WebhookDelivery[] = []

  constructor(
    private readonly webhook: EmulatorWebhookOptions | undefined,
    private readonly environment: { id: string; name: string },
    private readonly log: (line: string) => void,
  ) {}

  /**
   * Sends one event; resolves when it is delivered, refused or given up on. `userId` is whoever
   * caused the event (the user, or the admin who acted), as in Dynamic's envelope.
   */
  async send(eventName: EmulatorEventName, userId: string, data: Record<string, unknown>): Promise<WebhookDelivery | undefined> {
    if (!this.webhook) return undefined
    const messageId = randomUUID()
    const body = JSON.stringify({
      messageId,
      eventId: randomUUID(),
      webhookId: this.webhookId,
      eventName,
      environmentId: this.environment.id,
      environmentName: this.environment.name,
      timestamp: new Date().toISOString(),
      userId,
      redelivery: false,
      data,
    })
    let delivery: WebhookDelivery
    try {
      const response = await fetch(this.webhook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signWebhookBody(this.webhook.secret, body), 'user-agent': 'dynamic-guard-emulator' },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      })
      await response.arrayBuffer().catch(() => undefined)
      delivery = { eventName, messageId, status: response.status }
      this.log(`webhook ${eventName} → ${response.status}${response.ok ? '' : ' (not accepted)'}`)
    } catch (error) {
      const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)
      delivery = { eventName, messageId, status: undefined, error: reason }
      this.log(`webhook ${eventName} not delivered: ${reason}`)
    }
    this.deliveries.push(delivery)
    if (this.deliveries.length > 100) this.deliveries.shift()
    return delivery
  }
}
