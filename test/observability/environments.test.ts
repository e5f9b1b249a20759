/**
 * Metrics of a verifier over several environments, with the real OpenTelemetry SDK: each
 * environment's verifications, key gauges and JWKS fetches carry its own environment id.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createDynamicAuth } from '../../src/index.js'
import { METRIC_NAMES, SPAN_NAMES, TELEMETRY_ATTRIBUTES } from '../../src/telemetry.js'
import { createTestEnvironments, type TestEnvironmentsServer } from '../../src/testing/environments.js'
import { metricsHarness, total, tracesHarness, type MetricsHarness } from './otel.js'

describe('metrics over two environments', () => {
  const project = createTestEnvironments()
  const live = project.environment('live')
  const sandbox = project.environment('sandbox')
  let server: TestEnvironmentsServer
  let harness: MetricsHarness

  before(async () => {
    server = await project.listen()
    harness = metricsHarness()
  })
  after(async () => {
    await harness.shutdown()
    await server.close()
  })

  it('counts each verification and JWKS fetch under its own environment', async () => {
    const auth = createDynamicAuth({
      environments: [
        { id: live.environmentId, name: 'live', jwks: { url: server.environment('live').jwksUrl } },
        { id: sandbox.environmentId, name: 'sandbox', jwks: { url: server.environment('sandbox').jwksUrl } },
      ],
      telemetry: { meterProvider: harness.provider },
    })
    for (let i = 0; i < 3; i++) await auth.verifyToken(live.mint({ sub: `live-${i}` }))
    await auth.verifyToken(sandbox.mint())
    await auth.verifyToken(sandbox.mint({ expired: true })).catch(() => undefined)
    const points = await harness.collect()
    const A = TELEMETRY_ATTRIBUTES
    const V = METRIC_NAMES.verifications
    const env = (id: string) => ({ [A.environmentId]: id })
    assert.equal(total(points, V, { ...env(live.environmentId), [A.outcome]: 'verified' }), 3)
    assert.equal(total(points, V, { ...env(sandbox.environmentId), [A.outcome]: 'verified' }), 1)
    assert.equal(total(points, V, { ...env(sandbox.environmentId), [A.errorType]: 'token_expired' }), 1)
    assert.equal(total(points, METRIC_NAMES.jwksFetches, { ...env(live.environmentId), [A.jwksResult]: 'ok' }), 1)
    assert.equal(total(points, METRIC_NAMES.jwksFetches, { ...env(sandbox.environmentId), [A.jwksResult]: 'ok' }), 1)
    assert.equal(total(points, METRIC_NAMES.jwksKeys, env(live.environmentId)), 1)
    assert.equal(total(points, METRIC_NAMES.jwksKeys, env(sandbox.environmentId)), 1)
  })

  it('a call restricted by actor or environment is one span, refused with its code', async () => {
    const traces = tracesHarness()
    try {
      const auth = createDynamicAuth({
        environments: [
          { id: live.environmentId, name: 'live', staticKeys: { jwks: live.jwks() } },
          { id: sandbox.environmentId, name: 'sandbox', staticKeys: { jwks: sandbox.jwks() } },
        ],
        telemetry: { tracerProvider: traces.provider },
      })
      await assert.rejects(auth.verifyToken(live.mint({ agent: true }), { actor: 'user' }), {
        code: 'actor_not_allowed',
      })
      await assert.rejects(auth.verifyToken(sandbox.mint(), { allowedEnvironments: 'live' }), {
        code: 'environment_not_allowed',
      })
      const verify = traces.spans().filter((s) => s.name === SPAN_NAMES.verify)
      assert.equal(verify.length, 2, 'one span per call')
      assert.deepEqual(
        verify.map((s) => s.status.code),
        [2, 2],
        'each span ends as an error',
      )
    } finally {
      await traces.shutdown()
    }
  })
})
