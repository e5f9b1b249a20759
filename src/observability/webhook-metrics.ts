/**
 * Webhook metrics: every delivery counted by event name and outcome. The event name is read only
 * from a delivery whose signature was verified (an unsigned body could name anything and blow up
 * the attribute's cardinality), and only when it looks like one of Dynamic's names.
 */
import type { WebhookObserver, WebhookResult } from '../webhooks/handler.js'
import { ATTRIBUTES, METRICS } from './names.js'
import type { TelemetrySetting } from '../options.js'
import { resolveTelemetry } from './telemetry.js'

const EVENT_NAME = /^[a-z][a-z0-9_.]{0,63}$/

function outcomeOf(result: WebhookResult): string {
  const body = result.body as { error?: unknown; duplicate?: unknown; ignored?: unknown }
  if (typeof body.error === 'string') return body.error
  if (body.duplicate === true) return 'duplicate'
  if (typeof body.ignored === 'string') return 'ignored'
  return result.status === 200 ? 'processed' : `http_${result.status}`
}

/**
 * The observer that counts a webhook endpoint's deliveries, when a meter provider is registered
 * or given; otherwise none.
 */
export function webhookMetrics(
  setting: TelemetrySetting | undefined,
  environmentId: string | undefined,
): WebhookObserver | undefined {
  const { meter } = resolveTelemetry(setting)
  if (meter === undefined) return undefined
  const received = meter.createCounter(METRICS.webhooksReceived, {
    description: 'Webhook deliveries, by event name and outcome.',
    unit: '{webhook}',
  })
  // The environment the endpoint accepts, as configured (never one an event claims).
  const base = environmentId === undefined ? {} : { [ATTRIBUTES.environmentId]: environmentId }
  return (result, eventName) => {
    const event = eventName === undefined ? 'unknown' : EVENT_NAME.test(eventName) ? eventName : 'other'
    received.add(1, { ...base, [ATTRIBUTES.webhookEvent]: event, [ATTRIBUTES.webhookOutcome]: outcomeOf(result) })
  }
}
