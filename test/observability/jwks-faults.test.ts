/**
 * JWKS faults seen through the metrics and `health()`: a JWKS that is down, throttles with 429 and
 * Retry-After, answers garbage, fails with 5xx or hangs is counted by result, shows in the
 * refetch-wait gauge and in health; a healed JWKS is counted `ok` and health is `ok` again.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createDynamicAuth, type DynamicAuth } from '../../src/index.js'
import { METRIC_NAMES, TELEMETRY_ATTRIBUTES as A } from '../../src/telemetry.js'
import { createTestIssuer, type TestIssuer } from '../../src/testing/index.js'
import { failWith, hang, startJwksServer, type JwksServer } from '../support/jwks-server.js'
import { metricsHarness, total, type MetricsHarness } from './otel.js'

describe('JWKS faults in the metrics and health', () => {
  let issuer: TestIssuer
  let jwks: JwksServer
  let harness: MetricsHarness
  let now: number
  const clock = (): number => now

  before(async () => {
    issuer = createTestIssuer()
    jwks = await startJwksServer(issuer)
  })
  after(() => jwks.close())

  const make = (): DynamicAuth => {
    harness = metricsHarness()
    now = Date.now()
    return createDynamicAuth({
      environmentId: issuer.environmentId,
      jwks: { url: jwks.url, timeout: 1500, cacheMaxAge: 60_000, staleIfError: 60_000, maxBackoff: 60_000 },
      advanced: { clock },
      telemetry: { meterProvider: harness.provider },
    })
  }
  const fetches = async (result: string): Promise<number> =>
    total(await harness.collect(), METRIC_NAMES.jwksFetches, { [A.jwksResult]: result })
  const gauge = async (name: string): Promise<number> => total(await harness.collect(), name)

  it('down, 5xx, garbage and a hang: each counted by its result; health unavailable with the reason; then healed', async () => {
    const auth = make()
    try {
      jwks.behave((_req, res) => res.destroy())
      await assert.rejects(auth.verifyToken(issuer.mint()), { code: 'jwks_unavailable' })
      assert.equal(
        await fetches('network_error'),
        1,
        JSON.stringify((await harness.collect()).filter((p) => p.name === METRIC_NAMES.jwksFetches)),
      )
      let health = auth.health()
      assert.equal(health.status, 'unavailable')
      assert.equal(health.keys.state, 'unavailable')
      assert.match(health.keys.lastError ?? '', /request failed/)
      assert.ok((health.keys.retryInSeconds ?? 0) > 0, 'the backoff is reported')
      assert.ok((await gauge(METRIC_NAMES.jwksRefetchWait)) > 0)

      for (const [behaviour, result, status] of [
        [failWith(500), 'http_5xx', 500],
        [failWith(404), 'http_4xx', 404],
        [
          (_req: unknown, res: import('node:http').ServerResponse) =>
            res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys": nope'),
          'invalid_body',
          200,
        ],
        [
          (_req: unknown, res: import('node:http').ServerResponse) =>
            res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[{"kty":"EC"}]}'),
          'invalid_body',
          200,
        ],
        [hang, 'timeout', undefined],
      ] as const) {
        now += 120_000 // past any backoff
        jwks.behave(behaviour)
        await assert.rejects(auth.verifyToken(issuer.mint()), { code: 'jwks_unavailable' })
        const points = await harness.collect()
        assert.equal(
          total(points, METRIC_NAMES.jwksFetches, {
            [A.jwksResult]: result,
            ...(status === undefined ? {} : { [A.httpStatus]: status }),
          }) >= 1,
          true,
          `${result} counted`,
        )
        health = auth.health()
        assert.equal(health.status, 'unavailable')
        assert.ok(health.keys.consecutiveFailures >= 2)
      }

      now += 120_000
      jwks.serve()
      await auth.verifyToken(issuer.mint())
      assert.equal(await fetches('ok'), 1)
      health = auth.health()
      assert.equal(health.status, 'ok')
      assert.equal(health.keys.state, 'fresh')
      assert.equal(await gauge(METRIC_NAMES.jwksRefetchWait), 0)
      assert.equal(await gauge(METRIC_NAMES.jwksKeys), issuer.jwks().keys.length)
    } finally {
      jwks.serve()
      await harness.shutdown()
    }
  })

  it('429 with Retry-After: counted as rate_limited, the wait shows in the gauge and in health; stale keys are degraded, not down', async () => {
    const auth = make()
    try {
      await auth.verifyToken(issuer.mint())
      assert.equal(await fetches('ok'), 1)
      now += 61_000 // past max age: the next use refetches
      jwks.behave(failWith(429, { 'retry-after': '120' }))
      await auth.verifyToken(issuer.mint()) // served from the stale keys
      const points = await harness.collect()
      assert.equal(total(points, METRIC_NAMES.jwksFetches, { [A.jwksResult]: 'rate_limited', [A.httpStatus]: 429 }), 1)
      const wait = total(points, METRIC_NAMES.jwksRefetchWait)
      assert.ok(wait > 100 && wait <= 120, `refetch wait ${wait} s follows Retry-After`)
      assert.ok(total(points, METRIC_NAMES.jwksAge) >= 61)
      const health = auth.health()
      assert.equal(health.status, 'degraded')
      assert.equal(health.keys.state, 'stale')
      assert.match(health.keys.reason ?? '', /stale-if-error/)
      assert.match(health.keys.lastError ?? '', /429/)
      assert.ok((health.keys.retryInSeconds ?? 0) > 100)
      // Past max age + stale-if-error, with the hold still on: unavailable.
      now += 60_000
      jwks.behave(failWith(429, { 'retry-after': '3600' }))
      assert.equal(auth.health().status, 'unavailable')
    } finally {
      jwks.serve()
      await harness.shutdown()
    }
  })
})
