/**
 * Traces with the real SDK (BasicTracerProvider, InMemorySpanExporter): one span per verification
 * and per request refused before verification, the outcome and code as attributes, the JWKS fetch
 * as a child span, and on every span no attribute but the documented ones: never the token, a
 * claim, a user id or a session id. Also: providers registered globally are found without the
 * option, and `telemetry: false` / `traces: false` turn spans off.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { context, trace } from '@opentelemetry/api'
import { createDynamicAuth, type DynamicAuth } from '../../src/index.js'
import { METRIC_NAMES, SPAN_NAMES, TELEMETRY_ATTRIBUTES as A } from '../../src/telemetry.js'
import { createTestIssuer, TEST_USER_ID, type TestIssuer, type TestIssuerServer } from '../../src/testing/index.js'
import { authenticate } from '../../src/http/index.js'
import { AlsContextManager, metricsHarness, registerGlobals, total, tracesHarness } from './otel.js'
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base'

const SPAN_ATTRIBUTES = new Set<string>([...Object.values(A), 'http.request.method'])

describe('traces', () => {
  let issuer: TestIssuer
  let server: TestIssuerServer
  const tokens: string[] = []
  const mint = (...args: Parameters<TestIssuer['mint']>): string => {
    const token = issuer.mint(...args)
    tokens.push(token)
    return token
  }

  before(async () => {
    issuer = createTestIssuer()
    server = await issuer.listen()
  })
  after(() => server.close())

  /** Every attribute of every span is documented, and none is a token, a user id, a session id or a claim value. */
  function assertClean(spans: readonly ReadableSpan[], auth: DynamicAuth): void {
    assert.ok(spans.length > 0)
    for (const span of spans) {
      for (const [key, value] of Object.entries(span.attributes)) {
        assert.ok(SPAN_ATTRIBUTES.has(key), `${span.name} carries an undocumented attribute ${key}`)
        const text = String(value)
        if (key === A.environmentId) assert.equal(text, auth.environmentId)
        assert.doesNotMatch(text, /eyJ|session-|@|0x/i, `${span.name}.${key} = ${text}`)
        assert.ok(!text.includes(TEST_USER_ID), `${span.name}.${key} carries the user id`)
        for (const token of tokens)
          assert.ok(
            !token.includes(text) || text.length < 16 || text === auth.environmentId,
            `${span.name}.${key} is part of a token`,
          )
      }
      assert.ok(!(span.status.message ?? '').includes('eyJ'))
      assert.equal(span.events.length, 0, 'no events (an exception event would carry a message)')
    }
  }

  it('one span per verification with outcome and code; the JWKS fetch is a child span; nothing identifying', async () => {
    const traces = tracesHarness()
    try {
      const auth = createDynamicAuth({
        environmentId: issuer.environmentId,
        jwks: { url: server.jwksUrl },
        telemetry: { tracerProvider: traces.provider },
      })
      const token = mint({ sid: 'session-1', kind: 'id' })
      await auth.verifyToken(token)
      await auth.verifyToken(token)
      await assert.rejects(auth.verifyToken(mint({ expired: true, sid: 'session-2' })))
      await assert.rejects(authenticate(auth, new Request('http://api.test/')))
      const spans = traces.spans()
      const verify = spans.filter((s) => s.name === SPAN_NAMES.verify)
      assert.equal(verify.length, 3)
      assert.deepEqual(
        verify.map((s) => [s.attributes[A.outcome], s.attributes[A.errorType], s.attributes[A.tokenKind]]),
        [
          ['verified', undefined, 'id'],
          ['verified', undefined, 'id'],
          ['refused', 'token_expired', undefined],
        ],
      )
      assert.equal(verify[2]!.status.code, 2)
      const fetch = spans.filter((s) => s.name === SPAN_NAMES.jwksFetch)
      assert.equal(fetch.length, 1, 'one JWKS fetch')
      assert.equal(
        fetch[0]!.parentSpanContext?.spanId,
        verify[0]!.spanContext().spanId,
        'the fetch is a child of the verification that caused it',
      )
      assert.equal(fetch[0]!.attributes[A.jwksResult], 'ok')
      assert.equal(fetch[0]!.attributes[A.httpStatus], 200)
      const request = spans.filter((s) => s.name === SPAN_NAMES.authenticate)
      assert.equal(request.length, 1)
      assert.equal(request[0]!.attributes[A.errorType], 'token_missing')
      assertClean(spans, auth)
    } finally {
      await traces.shutdown()
    }
  })

  it('finds providers registered globally with @opentelemetry/api, and nests under the active span', async () => {
    const traces = tracesHarness()
    const metrics = metricsHarness()
    const manager = new AlsContextManager()
    context.setGlobalContextManager(manager)
    const unregister = registerGlobals({ meterProvider: metrics.provider, tracerProvider: traces.provider })
    try {
      const auth = createDynamicAuth({ environmentId: issuer.environmentId, jwks: { url: server.jwksUrl } })
      const parent = trace.getTracer('app').startSpan('GET /me')
      await context.with(trace.setSpan(context.active(), parent), () => auth.verifyToken(mint()))
      parent.end()
      const spans = traces.spans()
      const verify = spans.find((s) => s.name === SPAN_NAMES.verify)!
      assert.equal(
        verify.parentSpanContext?.spanId,
        parent.spanContext().spanId,
        'the verification nests under the request span',
      )
      const fetch = spans.find((s) => s.name === SPAN_NAMES.jwksFetch)!
      assert.equal(fetch.parentSpanContext?.spanId, verify.spanContext().spanId)
      assert.equal(total(await metrics.collect(), METRIC_NAMES.verifications, { [A.outcome]: 'verified' }), 1)

      // Switched off: nothing more recorded, although the globals are there.
      const before = traces.spans().length
      const off = createDynamicAuth({
        environmentId: issuer.environmentId,
        jwks: { url: server.jwksUrl },
        telemetry: false,
      })
      await off.verifyToken(mint())
      const noTraces = createDynamicAuth({
        environmentId: issuer.environmentId,
        jwks: { url: server.jwksUrl },
        telemetry: { traces: false },
      })
      await noTraces.verifyToken(mint())
      assert.equal(traces.spans().length, before)
      assert.equal(
        total(await metrics.collect(), METRIC_NAMES.verifications, { [A.outcome]: 'verified' }),
        2,
        'only the metrics-on verifier counted',
      )
    } finally {
      unregister()
      await traces.shutdown()
      await metrics.shutdown()
    }
  })
})
