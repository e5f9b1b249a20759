/** Webhook deliveries counted by event name and outcome, with the real metrics SDK. */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createDynamicAuth } from '../../src/index.js'
import { METRIC_NAMES, TELEMETRY_ATTRIBUTES as A } from '../../src/telemetry.js'
import { createDynamicWebhooks, signWebhookBody } from '../../src/webhooks/index.js'
import { createTestIssuer } from '../../src/testing/index.js'
import { metricsHarness, total } from './otel.js'

const SECRET = 'whsec-test-secret'

describe('webhook metrics', () => {
  it('counts every delivery (raw, parsed, refused before reading) by event name and outcome; unsigned ones never name an event', async () => {
    const harness = metricsHarness()
    try {
      const auth = createDynamicAuth({ ...createTestIssuer().authOptions(), telemetry: false })
      const webhooks = createDynamicWebhooks({
        secret: SECRET,
        auth,
        onEvent: (event) => {
          if (event.eventName === 'user.deleted') throw new Error('the app failed')
        },
        telemetry: { meterProvider: harness.provider },
      })
      const body = (messageId: string, eventName: string, data: object = {}) =>
        JSON.stringify({ messageId, eventName, environmentId: auth.environmentId, data })
      const send = (raw: string, signature = signWebhookBody(SECRET, raw)) => webhooks.handle(raw, signature)

      assert.equal((await send(body('m1', 'user.session.revoked', { sessionId: 'session-x' }))).status, 200)
      assert.equal((await send(body('m1', 'user.session.revoked', { sessionId: 'session-x' }))).status, 200) // redelivery
      assert.equal((await send(body('m2', 'user.created'))).status, 200)
      assert.equal((await send(body('m3', 'user.deleted'))).status, 503) // the app's handler failed
      assert.equal((await send(body('m4', 'attacker.named.this'), 'sha256=00')).status, 401)
      assert.equal((await send('not json')).status, 400)
      // A body a framework already parsed, and answers given before the body is read: counted too.
      const parsed = JSON.parse(body('m5', 'user.session.revoked', { id: 'session-y' })) as object
      assert.equal((await webhooks.handleParsed(parsed, signWebhookBody(SECRET, JSON.stringify(parsed)))).status, 200)
      assert.equal(
        (await webhooks.fetch(new Request('http://127.0.0.1/webhooks/dynamic', { method: 'GET' }))).status,
        405,
      )
      assert.equal((await send(body('m6', 'Not A Dynamic Name!'))).status, 200)

      const points = await harness.collect()
      const count = (event: string, outcome: string) =>
        total(points, METRIC_NAMES.webhooksReceived, { [A.webhookEvent]: event, [A.webhookOutcome]: outcome })
      assert.equal(count('user.session.revoked', 'processed'), 2)
      assert.equal(count('user.session.revoked', 'duplicate'), 1)
      assert.equal(count('user.created', 'processed'), 1)
      assert.equal(count('user.deleted', 'processing_failed'), 1)
      assert.equal(count('unknown', 'signature_invalid'), 1)
      assert.equal(count('unknown', 'invalid_body'), 1)
      assert.equal(count('unknown', 'method_not_allowed'), 1)
      assert.equal(count('other', 'processed'), 1) // signed, but not shaped like Dynamic's event names
      assert.equal(total(points, METRIC_NAMES.webhooksReceived), 9)
      assert.ok(!points.some((p) => Object.values(p.attributes).includes('attacker.named.this')))
      // Like every metric, it carries the environment the endpoint accepts.
      const deliveries = points.filter((p) => p.name === METRIC_NAMES.webhooksReceived)
      assert.ok(
        deliveries.length > 0 && deliveries.every((p) => p.attributes[A.environmentId] === auth.environmentId),
        'every delivery counted with the environment id',
      )
    } finally {
      await harness.shutdown()
    }
  })
})
