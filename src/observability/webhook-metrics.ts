/**
 * Webhook metrics: every delivery counted by event name and outcome. The event name is read only
 * from a delivery whose signature was verified (an unsigned body could name anything and blow up
 * the attribute's cardinality), and only when it looks like one of Dynamic's names.
 */
import type { WebhookProcessor, WebhookResult } from '../webhooks/handler.js'
import { ATTRIBUTES, METRICS } from './names.js'
import { resolveTelemetry, type TelemetrySetting } from './telemetry.js'

const EVENT_NAME = /^[a-z][a-z0-9_.]{0,63}$/

function outcomeOf(result: WebhookResult): string {
  const body = result.body as { error?: unknown; duplicate?: unknown; ignored?: unknown }
  if (typeof body.error === 'string') return body.error
  if (body.duplicate === true) return 'duplicate'
  if (typeof body.ignored === 'string') return 'ignored'
  return result.status === 200 ? 'processed' : `http_${result.status}`
}

/** A signed delivery's event name, or `unknown`. */
function eventNameOf(rawBody: string | Uint8Array, result: WebhookResult): string {
  // 401 (signature), 413 (size) and 400 (not an event) are answered before the name is trusted.
  if (result.status === 401 || result.status === 413 || result.status === 400 || result.status === 405) return 'unknown'
  try {
    const text = typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody)
    const name = (JSON.parse(text) as { eventName?: unknown }).eventName
    return typeof name === 'string' && EVENT_NAME.test(name) ? name : 'other'
  } catch {
    return 'unknown'
  }
}

/** Counts the deliveries of a webhook endpoint when a meter provider is registered or given. */
export function instrumentWebhooks(processor: WebhookProcessor, setting: TelemetrySetting | undefined): WebhookProcessor {
  const { meter } = resolveTelemetry(setting)
  if (meter === undefined) return processor
  const received = meter.createCounter(METRICS.webhooksReceived, { description: 'Webhook deliveries, by event name and outcome.', unit: '{webhook}' })
  const handle = processor.handle.bind(processor)
  processor.handle = async (rawBody, signature) => {
    const result = await handle(rawBody, signature)
    received.add(1, { [ATTRIBUTES.webhookEvent]: eventNameOf(rawBody, result), [ATTRIBUTES.webhookOutcome]: outcomeOf(result) })
    return result
  }
  return processor
}
