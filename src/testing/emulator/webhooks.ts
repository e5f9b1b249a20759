/**
 * Dynamic's webhooks, sent by the emulator: the envelope Dynamic documents (`messageId`, `eventId`,
 * `webhookId`, `eventName`, `environmentId`, `environmentName`, `timestamp`, `userId`, `data`),
 * compact JSON, signed with `x-dynamic-signature-256: sha256=<hex HMAC-SHA256 of the raw body>`.
 * The first attempt is awaited (5 s at most) before the call that caused it is answered, so a test
 * can check its effect as soon as the SDK call returns. A failed attempt (no answer, or one
 * outside 2xx) is retried as Dynamic retries in a sandbox, the same message byte for byte: twice,
 * the last about a minute after the first, on a schedule a test can compress
 * (`webhook.retryDelaysMs`). A failure is logged, never thrown.
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

/** The outcome of one delivery attempt. */
export interface WebhookDelivery {
  /** The event sent. */
  readonly eventName: EmulatorEventName
  /** The message id: the same on each attempt of one message. */
  readonly messageId: string
  /** 1 for the first attempt, 2 and 3 for the retries. */
  readonly attempt: number
  /** The endpoint's HTTP status, or undefined when it could not be reached. */
  readonly status: number | undefined
  /** Why the endpoint could not be reached, if it could not. */
  readonly error?: string
}

const TIMEOUT_MS = 5000
/** The waits before each retry: Dynamic's sandbox makes 3 attempts, the last about a minute after the first. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [10_000, 50_000]

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

  /** Retries waiting for their time. */
  private readonly pending = new Set<{
    timer: ReturnType<typeof setTimeout>
    done: () => void
    finished: Promise<void>
  }>()
  private closed = false

  /**
   * Sends one event; resolves when its first attempt is delivered, refused or given up on (the
   * retries, if any, run on). `userId` is whoever caused the event (the user, or the admin who
   * acted), as in Dynamic's envelope.
   */
  async send(
    eventName: EmulatorEventName,
    userId: string,
    data: Record<string, unknown>,
  ): Promise<WebhookDelivery | undefined> {
    if (!this.webhook || this.closed) return undefined
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
    const first = await this.attempt(eventName, messageId, body, 1)
    if (!this.accepted(first)) this.retry(eventName, messageId, body, 2)
    return first
  }

  /** Resolves when no retry is waiting (each has been delivered or given up on). */
  async idle(): Promise<void> {
    // A retry that fails schedules the next one before it finishes: look again until none waits.
    while (this.pending.size > 0) await Promise.all([...this.pending].map((entry) => entry.finished))
  }

  /** Drops the retries still waiting (the server is closing). */
  close(): void {
    this.closed = true
    for (const entry of this.pending) {
      clearTimeout(entry.timer)
      entry.done()
    }
    this.pending.clear()
  }

  private accepted(delivery: WebhookDelivery): boolean {
    return delivery.status !== undefined && delivery.status >= 200 && delivery.status < 300
  }

  private retry(eventName: EmulatorEventName, messageId: string, body: string, attempt: number): void {
    const delays = this.webhook?.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS
    const delay = delays[attempt - 2]
    if (delay === undefined || this.closed) return
    let finish = () => {}
    const entry = {
      finished: new Promise<void>((resolve) => (finish = resolve)),
      done: () => {
        this.pending.delete(entry)
        finish()
      },
      timer: setTimeout(() => {
        void this.attempt(eventName, messageId, body, attempt).then((delivery) => {
          // The next retry waits before this one is done, so that idle() keeps waiting.
          if (!this.accepted(delivery)) this.retry(eventName, messageId, body, attempt + 1)
          entry.done()
        })
      }, delay),
    }
    // A waiting retry does not keep the process alive.
    entry.timer.unref?.()
    this.pending.add(entry)
  }

  private async attempt(
    eventName: EmulatorEventName,
    messageId: string,
    body: string,
    attempt: number,
  ): Promise<WebhookDelivery> {
    let delivery: WebhookDelivery
    const what = `webhook ${eventName}${attempt > 1 ? ` (retry ${attempt - 1})` : ''}`
    try {
      const response = await fetch(this.webhook!.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signWebhookBody(this.webhook!.secret, body),
          'user-agent': 'dynamic-guard-emulator',
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      })
      await response.arrayBuffer().catch(() => undefined)
      delivery = { eventName, messageId, attempt, status: response.status }
      this.log(`${what} → ${response.status}${response.ok ? '' : ' (not accepted)'}`)
    } catch (error) {
      const reason =
        error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)
      delivery = { eventName, messageId, attempt, status: undefined, error: reason }
      this.log(`${what} not delivered: ${reason}`)
    }
    this.deliveries.push(delivery)
    if (this.deliveries.length > 100) this.deliveries.shift()
    return delivery
  }
}
