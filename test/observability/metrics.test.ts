/**
 * Metrics with the real OpenTelemetry SDK (a MeterProvider with a pull reader): every outcome and
 * every refusal code is counted with its token kind and path, the cache and JWKS instruments
 * move, and no attribute ever carries a token, a user id or a session id.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  createDynamicAuth,
  ERROR_CODES,
  type DynamicAuth,
  type DynamicAuthOptions,
  type DynamicSession,
} from '../../src/index.js'
import { webCryptoBackend, type RevocationStore } from '../../src/extend.js'
import { METRIC_NAMES, TELEMETRY_ATTRIBUTES } from '../../src/telemetry.js'
import { createTestIssuer, TEST_SESSION_KEY, type TestIssuer, type TestIssuerServer } from '../../src/testing/index.js'
import { authenticate, verifySessionSignature } from '../../src/http/index.js'
import { generateSessionKeyPair, jwkSessionSigner, signRequest } from '../../src/session-key/client.js'
import { metricsHarness, total, type MetricsHarness, type Point } from './otel.js'
import { withOptions } from '../support/options.js'

const AUDIENCE = 'http://localhost:3000'
/** Every attribute a metric may carry. */
const ALLOWED_ATTRIBUTES = new Set<string>(Object.values(TELEMETRY_ATTRIBUTES))

describe('metrics', () => {
  let issuer: TestIssuer
  let server: TestIssuerServer
  let harness: MetricsHarness
  const secrets: string[] = []

  const make = (extra: Partial<DynamicAuthOptions> = {}): DynamicAuth =>
    createDynamicAuth(
      withOptions(
        {
          environmentId: issuer.environmentId,
          jwks: { url: server.jwksUrl },
          audience: AUDIENCE,
          telemetry: { meterProvider: harness.provider },
        },
        extra,
      ),
    )
  const refusal = async (promise: Promise<unknown>): Promise<string> => {
    try {
      await promise
    } catch (error) {
      return (error as { code: string }).code
    }
    throw new Error('expected a refusal')
  }
  const mint = (...args: Parameters<TestIssuer['mint']>): string => {
    const token = issuer.mint(...args)
    secrets.push(token)
    return token
  }

  before(async () => {
    issuer = createTestIssuer()
    server = await issuer.listen()
    harness = metricsHarness()
  })
  after(async () => {
    await harness.shutdown()
    await server.close()
  })

  it('counts every outcome and every refusal code, with token kind and path', async () => {
    const auth = make()
    const access = mint({ sid: 'session-kept' })
    await auth.verifyToken(access)
    await auth.verifyToken(access) // cached
    await auth.verifyToken(mint({ kind: 'id' }))
    const codes = new Map<string, string>()
    const expect = async (code: string, promise: Promise<unknown>) => codes.set(code, await refusal(promise))

    await expect('token_malformed', auth.verifyToken('not-a-token'))
    await expect('algorithm_not_allowed', auth.verifyToken(issuer.sign({ alg: 'HS256', kid: issuer.kid }, {})))
    await expect('key_not_found', auth.verifyToken(mint({ header: { kid: 'no-such-kid' } })))
    await expect('signature_invalid', auth.verifyToken(mint({ tampered: true })))
    await expect('token_expired', auth.verifyToken(mint({ expired: true })))
    await expect('token_not_active', auth.verifyToken(mint({ claims: { nbf: Math.floor(Date.now() / 1000) + 3600 } })))
    await expect('issuer_mismatch', auth.verifyToken(mint({ claims: { iss: 'app.dynamicauth.com/not-this-one' } })))
    await expect(
      'environment_mismatch',
      auth.verifyToken(mint({ claims: { environment_id: '5a1f0c3e-9d8b-4f6a-b2c1-7e6d5c4b3a29' } })),
    )
    await expect('audience_mismatch', auth.verifyToken(mint({ audience: 'https://elsewhere.example' })))
    await expect('insufficient_scope', auth.verifyToken(mint({ mfaPending: true })))
    const revoked = mint({ sid: 'session-revoked' })
    await auth.verifyToken(revoked)
    await auth.revokeSession('session-revoked')
    await expect('session_revoked', auth.verifyToken(revoked)) // refused on the cached path
    await expect('admin_token_not_accepted', auth.verifyToken(`dyn_${'a'.repeat(56)}`))
    // Refused on the session once verified (from the cache): a user's token where agents only are accepted,
    // and a token of an environment the call does not accept.
    await expect('actor_not_allowed', auth.verifyToken(access, { actor: 'agent' }))
    await expect(
      'environment_not_allowed',
      auth.verifyToken(access, { allowedEnvironments: '5a1f0c3e-9d8b-4f6a-b2c1-7e6d5c4b3a29' }),
    )
    // Refusals of the HTTP layer, before verification.
    await expect('token_missing', authenticate(auth, new Request('http://api.test/me')))
    await expect(
      'invalid_request',
      authenticate(
        auth,
        new Request(`http://api.test/me?access_token=${access}`, { headers: { authorization: `Bearer ${access}` } }),
        { queryParam: 'access_token' },
      ),
    )
    await expect(
      'origin_not_allowed',
      authenticate(
        auth,
        new Request('http://api.test/transfer', {
          method: 'POST',
          headers: { cookie: `DYNAMIC_JWT_TOKEN=${access}`, origin: 'https://evil.example' },
        }),
      ),
    )
    // Faults of the server side, on verifiers of their own (same meter provider, same environment).
    await expect(
      'jwks_unavailable',
      make({ jwks: { url: `${server.origin}/nothing-here`, maxBackoff: 0 } }).verifyToken(mint()),
    )
    const unusable = {
      ...webCryptoBackend,
      importRsaPublicKey: () => Promise.reject(new Error('this runtime cannot import RSA keys')),
    }
    await expect(
      'key_unusable',
      createDynamicAuth({
        ...issuer.authOptions(),
        advanced: { signatureBackend: unusable },
        telemetry: { meterProvider: harness.provider },
      }).verifyToken(mint()),
    )
    const cutOff: RevocationStore = {
      check: () => 'unavailable',
      add: () => Promise.resolve(),
      status: () => ({ kind: 'test', entries: 0, connected: false, stale: true, since: 0 }),
    }
    await expect('revocation_unavailable', make({ revocation: cutOff }).verifyToken(mint()))
    // Refusals of elevated access tokens (step-up), counted by code too. The session comes from a
    // verifier that records nothing, so that the counts of session tokens above stay as they are.
    const quiet = createDynamicAuth({ ...issuer.authOptions(), audience: AUDIENCE, telemetry: false })
    const session = await quiet.verifyToken(access)
    const wallet = { scopes: ['wallet:export'] }
    const elevated = (options: Partial<Parameters<TestIssuer['mintElevated']>[0]> = {}) => {
      const token = issuer.mintElevated({
        scopes: ['wallet:export'],
        sid: 'session-kept',
        audience: AUDIENCE,
        ...options,
      })
      secrets.push(token)
      return token
    }
    await expect('elevated_token_missing', auth.verifyElevatedToken(undefined, session, wallet))
    await expect('elevated_token_invalid', auth.verifyElevatedToken(elevated({ expired: true }), session, wallet))
    await expect(
      'elevated_token_mismatch',
      auth.verifyElevatedToken(elevated({ sub: 'someone-else' }), session, wallet),
    )
    const once = elevated()
    await auth.verifyElevatedToken(once, session, wallet)
    await expect('elevated_token_reused', auth.verifyElevatedToken(once, session, wallet))
    const failing = createDynamicAuth({
      ...issuer.authOptions(),
      audience: AUDIENCE,
      telemetry: { meterProvider: harness.provider },
      oneTimeStore: { claim: () => Promise.reject(new Error('down')) },
    })
    await expect('one_time_store_unavailable', failing.verifyElevatedToken(elevated(), session, wallet))
    // Refusals of the session-key proof (requireSessionSignature), counted by code as well. The
    // test kit's tokens carry the public half of TEST_SESSION_KEY.
    const signer = await jwkSessionSigner(TEST_SESSION_KEY.privateKeyJwk)
    const request = (headers: Record<string, string> = {}) => ({ method: 'GET', url: '/transfers', headers })
    const signed = async (options: { now?: number } = {}) =>
      request(await signRequest({ method: 'GET', url: 'http://localhost/transfers' }, signer, options))
    const prove = (headers: ReturnType<typeof request>, proven: DynamicSession = session) =>
      verifySessionSignature(auth, proven, headers, null)
    await expect('session_signature_missing', prove(request()))
    await expect('session_signature_malformed', prove(request({ 'x-session-signature': 'v=2' })))
    await expect(
      'session_key_missing',
      prove(await signed(), await quiet.verifyToken(issuer.mint({ sessionPublicKey: null }))),
    )
    await expect(
      'session_key_malformed',
      prove(await signed(), await quiet.verifyToken(issuer.mint({ claims: { session_public_key: 'not-a-key' } }))),
    )
    await expect('session_signature_expired', prove(await signed({ now: Math.floor(Date.now() / 1000) - 3600 })))
    const stranger = await jwkSessionSigner((await generateSessionKeyPair()).privateKeyJwk)
    await expect(
      'session_signature_invalid',
      prove(request(await signRequest({ method: 'GET', url: 'http://localhost/transfers' }, stranger))),
    )
    const replayed = await signed()
    await prove(replayed)
    await expect('session_signature_replayed', prove(replayed))

    for (const [code, got] of codes) assert.equal(got, code, `the case meant to produce ${code} produced ${got}`)
    assert.deepEqual(
      [...ERROR_CODES].filter((code) => !codes.has(code)),
      [],
      'every refusal code is exercised',
    )

    const points = await harness.collect()
    const V = METRIC_NAMES.verifications
    const A = TELEMETRY_ATTRIBUTES
    for (const code of ERROR_CODES) {
      assert.equal(
        total(points, V, { [A.outcome]: 'refused', [A.errorType]: code }),
        1,
        `${code} counted once: ${JSON.stringify(points.filter((p) => p.attributes[A.errorType] === code))}`,
      )
    }
    assert.equal(total(points, V, { [A.outcome]: 'verified', [A.tokenKind]: 'access', [A.path]: 'cold' }), 2)
    // The repeat, the two calls refused on their session (actor, environment), and the cookie
    // request whose token verified before its origin was refused.
    assert.equal(total(points, V, { [A.outcome]: 'verified', [A.tokenKind]: 'access', [A.path]: 'cached' }), 4)
    assert.equal(total(points, V, { [A.outcome]: 'verified', [A.tokenKind]: 'id' }), 1)
    assert.equal(total(points, V, { [A.errorType]: 'session_revoked', [A.path]: 'cached' }), 1)
    assert.equal(total(points, METRIC_NAMES.revocationsMade, { [A.revocationType]: 'session' }), 1)
    assert.ok(total(points, METRIC_NAMES.cacheLookups, { [A.cacheResult]: 'hit' }) >= 2)
    assert.ok(total(points, METRIC_NAMES.cacheLookups, { [A.cacheResult]: 'miss' }) >= 10)
    assert.ok(
      total(points, METRIC_NAMES.verificationDuration, { [A.path]: 'cold' }) >= 10,
      'every cold verification is timed',
    )
    const fetches = total(points, METRIC_NAMES.jwksFetches, { [A.jwksResult]: 'ok' })
    assert.equal(fetches, 3, 'the first fetch, the refetch for the unknown kid, and the revocation case')
    assert.equal(total(points, METRIC_NAMES.jwksKeys), 1 * 1, 'keys in use')
    assertNothingIdentifying(points, secrets)
  })

  it('counts cache evictions', async () => {
    const auth = make({ advanced: { tokenCacheSize: 2 } })
    for (let i = 0; i < 5; i++) await auth.verifyToken(mint({ sub: `evict-${i}` }))
    const points = await harness.collect()
    assert.ok(total(points, METRIC_NAMES.cacheEvictions) >= 3)
  })

  it('records nothing with telemetry: false, and nothing without a provider', async () => {
    const before = await harness.collect()
    const off = make({ telemetry: false })
    const none = createDynamicAuth({ environmentId: issuer.environmentId, jwks: { url: server.jwksUrl } })
    await off.verifyToken(mint())
    await refusal(off.verifyToken('x'))
    await none.verifyToken(mint())
    const after = await harness.collect()
    assert.equal(total(after, METRIC_NAMES.verifications), total(before, METRIC_NAMES.verifications))
  })

  it('rejects a telemetry option that is not one', () => {
    assert.throws(() => make({ telemetry: 'on' as never }), { name: 'DynamicAuthConfigError' })
    assert.throws(() => make({ telemetry: { meterProvider: {} as never } }), { name: 'DynamicAuthConfigError' })
  })
})

/** No attribute outside the documented set, and no value that is (part of) a token or a user or session id. */
function assertNothingIdentifying(points: readonly Point[], secrets: readonly string[]): void {
  for (const point of points) {
    for (const [key, value] of Object.entries(point.attributes)) {
      assert.ok(ALLOWED_ATTRIBUTES.has(key), `${point.name} carries an undocumented attribute ${key}`)
      const text = String(value)
      assert.doesNotMatch(text, /eyJ|session-|evict-|8f2b1a6e/, `${point.name}.${key} = ${text}`)
      for (const secret of secrets)
        assert.ok(
          !secret.includes(text) || text.length < 8 || text === point.attributes[TELEMETRY_ATTRIBUTES.environmentId],
          `${point.name}.${key} is part of a token`,
        )
    }
  }
}
