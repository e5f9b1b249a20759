import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createPublicKey } from 'node:crypto'
import {
  createDynamicAuth,
  DynamicAuthConfigError,
  DynamicAuthError,
  ERROR_CODES,
  ERROR_STATUS,
  isDynamicAuthError,
  type DynamicAuth,
} from '../../src/index.js'
import { createTestIssuer, TEST_USER_ID, type TestIssuer, type TestIssuerServer } from '../../src/testing/index.js'
import { encodeBase64url } from '../../src/parse/base64url.js'
import { resolveOptions } from '../../src/options.js'
import { webCryptoBackend } from '../../src/extend.js'
import { rejectsWith } from '../support/jwks-server.js'

const OTHER_ENVIRONMENT = '11111111-2222-4333-8444-555555555555'

describe('createDynamicAuth over a real JWKS endpoint', () => {
  let issuer: TestIssuer
  let server: TestIssuerServer
  let auth: DynamicAuth

  before(async () => {
    issuer = createTestIssuer()
    server = await issuer.listen()
    auth = createDynamicAuth({ environmentId: issuer.environmentId, jwks: { url: server.jwksUrl } })
  })
  after(() => server.close())

  it('verifies an access token and exposes a typed session', async () => {
    const session = await auth.verifyToken(issuer.mint({ sid: 'session-1', scopes: ['wallet:sign'] }))
    assert.equal(session.userId, TEST_USER_ID)
    assert.equal(session.sessionId, 'session-1')
    assert.equal(session.environmentId, issuer.environmentId)
    assert.deepEqual(session.scopes, ['user:basic', 'wallet:sign'])
    assert.ok(session.hasScope('wallet:sign'))
    assert.ok(!session.hasScope('wallet'))
    assert.equal(session.tokenKind, 'access')
    assert.ok(session.expiresAt.getTime() > Date.now())
    assert.equal(typeof session.claims.verifiedCredentialsHashes?.blockchain, 'string')
    assert.deepEqual(session.walletAddresses, [], 'access tokens carry only hashes of the credentials')
    assert.ok(Object.isFrozen(session) && Object.isFrozen(session.claims))
    assert.equal(server.jwksRequests, 1)
  })

  it('takes the grouped options end to end: jwks settings and advanced, over this endpoint', async () => {
    let fetches = 0
    const events: string[] = []
    let now = Date.now()
    const grouped = createDynamicAuth({
      environmentId: issuer.environmentId,
      jwks: {
        url: server.jwksUrl,
        cacheMaxAge: 60_000,
        cooldown: 0,
        timeout: 2000,
        staleIfError: 60_000,
        maxBackoff: 1000,
        maxBytes: 8192,
        fetch: (input, init) => {
          fetches++
          return fetch(input, init)
        },
        onEvent: (event) => void events.push(event.type),
      },
      advanced: { tokenCacheSize: 0, maxTokenLength: 4096, signatureBackend: webCryptoBackend, clock: () => now },
    })
    const session = await grouped.verifyToken(issuer.mint())
    assert.equal(session.userId, TEST_USER_ID)
    assert.equal(fetches, 1, 'jwks.fetch made the request')
    assert.deepEqual(events, ['jwks_refreshed'], 'jwks.onEvent heard of it')
    const long = await rejectsWith(
      grouped.verifyToken(issuer.mint({ claims: { padding: 'x'.repeat(5000) } })),
      'token_malformed',
    )
    assert.match(long.message, /the limit is 4096 \(option advanced\.maxTokenLength\)/)
    now += 2 * 24 * 3600_000
    await rejectsWith(grouped.verifyToken(issuer.mint()), 'token_expired')
  })

  it('takes staticKeys end to end, and never fetches', async () => {
    const noFetch = (): Promise<Response> => Promise.reject(new Error('no fetch with staticKeys'))
    const fromDocument = createDynamicAuth({
      environmentId: issuer.environmentId,
      staticKeys: { jwks: issuer.jwks() },
      jwks: { fetch: noFetch },
    })
    assert.equal((await fromDocument.verifyToken(issuer.mint())).userId, TEST_USER_ID)
    assert.deepEqual(issuer.authOptions(), { environmentId: issuer.environmentId, staticKeys: { jwks: issuer.jwks() } })
    assert.equal(
      (await createDynamicAuth({ ...issuer.authOptions(), jwks: { fetch: noFetch } }).verifyToken(issuer.mint()))
        .userId,
      TEST_USER_ID,
    )
  })

  it('verifies an ID token and exposes wallets, chains and email', async () => {
    const session = await auth.verifyToken(issuer.mint({ kind: 'id' }))
    assert.equal(session.tokenKind, 'id')
    assert.deepEqual(session.walletAddresses, ['0x71C7656EC7ab88b098defB751B7401B5f6d8976F'])
    assert.deepEqual(session.chains, ['eip155'])
    assert.equal(session.wallets[0]?.walletName, 'metamask')
    assert.equal(session.email, 'ada@example.com')
    assert.equal(session.credentials.length, 2)
    const json = JSON.parse(JSON.stringify(session)) as Record<string, unknown>
    assert.equal(json.userId, TEST_USER_ID)
  })

  it('accepts the legacy scopes array when scope is absent', async () => {
    const session = await auth.verifyToken(issuer.mint({ claims: { scope: undefined, scopes: ['user:basic', 'x'] } }))
    assert.deepEqual(session.scopes, ['user:basic', 'x'])
  })

  it('refuses each failure with its code, status and a message that never holds the token', async () => {
    const cases: Array<[string, string, number]> = [
      [issuer.mint({ expired: true }), 'token_expired', 401],
      [issuer.mint({ claims: { nbf: Math.floor(Date.now() / 1000) + 3600 } }), 'token_not_active', 401],
      [issuer.mint({ claims: { iat: Math.floor(Date.now() / 1000) + 3600 } }), 'token_not_active', 401],
      [issuer.mint({ claims: { iss: `app.example.com/${issuer.environmentId}` } }), 'issuer_mismatch', 401],
      [issuer.mint({ environmentId: OTHER_ENVIRONMENT }), 'environment_mismatch', 401],
      [issuer.mint({ claims: { environment_id: OTHER_ENVIRONMENT } }), 'environment_mismatch', 401],
      [issuer.mint({ mfaPending: true }), 'insufficient_scope', 403],
      [issuer.mint({ scope: '' }), 'insufficient_scope', 403],
      [issuer.mint({ scope: 'user:basic2 xuser:basic USER:BASIC' }), 'insufficient_scope', 403],
      [issuer.mint({ tampered: true }), 'signature_invalid', 401],
      [issuer.mint({ header: { kid: 'f6a1e0b2-0000-4000-8000-000000000000' } }), 'key_not_found', 401],
      [issuer.mint({ header: { alg: 'HS256' } }), 'algorithm_not_allowed', 401],
      [issuer.mint({ claims: { exp: undefined } }), 'token_malformed', 401],
      [issuer.mint({ claims: { exp: '9999999999' } as never }), 'token_malformed', 401],
      [issuer.mint({ claims: { exp: Date.now() + 3600_000 } }), 'token_malformed', 401],
      [issuer.mint({ claims: { sub: undefined } }), 'token_malformed', 401],
      [issuer.mint({ claims: { scope: ['user:basic'] } as never }), 'token_malformed', 401],
      ['not-a-jwt', 'token_malformed', 401],
      ['', 'token_missing', 401],
    ]
    for (const [token, code, status] of cases) {
      const error = await rejectsWith(auth.verifyToken(token), code)
      assert.equal(error.status, status, code)
      assert.ok(error.message.length > 20, `${code} has an actionable message`)
      if (token.length > 20) {
        for (const part of token.split('.'))
          if (part.length > 8) assert.ok(!error.message.includes(part), `${code} message leaks the token`)
      }
    }
  })

  it('refuses every check after the signature with the same error whichever way the key and the signature check go', async () => {
    // The checks after the signature return their refusal for verifyToken to reject with (see
    // checkTimes): the synchronous path, an asynchronous signature check and a key fetched first
    // must all refuse with the same code, message and details.
    const seconds = Math.floor(Date.now() / 1000)
    const audience = ['https://app.example.com']
    const tokens: Array<[string, string[]?]> = [
      [issuer.mint({ expired: true })],
      [issuer.mint({ claims: { nbf: seconds + 3600 } })],
      [issuer.mint({ claims: { iat: seconds + 3600 } })],
      [issuer.mint({ claims: { exp: undefined } })],
      [issuer.mint({ claims: { exp: -1 } })],
      [issuer.mint({ claims: { exp: seconds * 1000 } })],
      [issuer.mint({ claims: { nbf: 'soon' } as never })],
      [issuer.mint({ claims: { iat: Number.NaN } as never })],
      [issuer.mint({ claims: { iss: `app.example.com/${issuer.environmentId}` } })],
      [issuer.mint({ claims: { iss: undefined } })],
      [issuer.mint({ claims: { environment_id: OTHER_ENVIRONMENT } })],
      [issuer.mint({ claims: { aud: 'https://other.example.com' } })],
      [issuer.mint({ claims: { aud: audience[0], sub: undefined } })],
      [issuer.mint({ mfaPending: true, claims: { aud: audience[0] } })],
      [issuer.mint({ scope: '', claims: { aud: audience[0] } })],
      [issuer.mint({ claims: { aud: audience[0] } }), ['wallet:sign']],
      [issuer.mint({ tampered: true, claims: { aud: audience[0] } })],
    ]
    const refusals = async (verifier: DynamicAuth): Promise<string[]> => {
      const out: string[] = []
      for (const [token, requiredScopes] of tokens) {
        const error = await verifier.verifyToken(token, requiredScopes && { requiredScopes }).then(
          () => assert.fail(`accepted: ${out.length}`),
          (e: unknown) => e,
        )
        assert.ok(error instanceof DynamicAuthError)
        out.push(
          `${error.code} ${error.status} ${error.missingScopes ?? ''} ${error.pendingStep ?? ''}: ${error.message}`,
        )
      }
      return out
    }
    const options = { environmentId: issuer.environmentId, jwks: { url: server.jwksUrl }, audience }
    await createDynamicAuth(options).warmUp()
    const expected = await refusals(createDynamicAuth({ ...options, advanced: { tokenCacheSize: 0 } }))
    assert.deepEqual(
      expected.map((line) => line.split(' ')[0]),
      [
        'token_expired',
        'token_not_active',
        'token_not_active',
        ...Array(5).fill('token_malformed'),
        'issuer_mismatch',
        'issuer_mismatch',
        'environment_mismatch',
        'audience_mismatch',
        'token_malformed',
        'insufficient_scope',
        'insufficient_scope',
        'insufficient_scope',
        'signature_invalid',
      ],
    )
    assert.match(expected[13]!, /^insufficient_scope 403 user:basic mfa: /)
    assert.match(expected[15]!, /^insufficient_scope 403 wallet:sign : /)
    const asyncCheck = createDynamicAuth({ ...options, advanced: { signatureBackend: webCryptoBackend } })
    assert.deepEqual(await refusals(asyncCheck), expected)
    for (const [index, [token, requiredScopes]] of tokens.entries()) {
      // A key not yet fetched: each verification waits for the JWKS.
      const fresh = createDynamicAuth({ environmentId: issuer.environmentId, jwks: { url: server.jwksUrl }, audience })
      const error = await fresh.verifyToken(token, requiredScopes && { requiredScopes }).then(
        () => assert.fail('accepted'),
        (e: unknown) => e as DynamicAuthError,
      )
      assert.equal(
        `${error.code} ${error.status} ${error.missingScopes ?? ''} ${error.pendingStep ?? ''}: ${error.message}`,
        expected[index],
      )
    }
  })

  it('keeps refusing and accepting rightly through long runs of each refusal', async () => {
    // Thousands of refusals in a row let V8 optimise the refusal path; accepted tokens after it
    // (and refusals after those) must come out as before.
    const verifier = createDynamicAuth({ ...issuer.authOptions(), advanced: { tokenCacheSize: 0 } })
    const valid = issuer.mint()
    const floods: Array<[string, string]> = [
      [issuer.mint({ expired: true }), 'token_expired'],
      [issuer.mint({ claims: { iss: `app.example.com/${issuer.environmentId}` } }), 'issuer_mismatch'],
      [issuer.mint({ mfaPending: true }), 'insufficient_scope'],
      [issuer.mint({ tampered: true }), 'signature_invalid'],
    ]
    for (let round = 0; round < 2; round++) {
      for (const [token, code] of floods) {
        for (let i = 0; i < 2000; i++) await rejectsWith(verifier.verifyToken(token), code)
        for (let i = 0; i < 200; i++) assert.equal((await verifier.verifyToken(valid)).userId, TEST_USER_ID)
      }
    }
    // The cached path's refusals: a per-call scope, then a revoked session, again and again.
    const cached = createDynamicAuth(issuer.authOptions())
    await cached.verifyToken(valid)
    for (let i = 0; i < 2000; i++)
      await rejectsWith(cached.verifyToken(valid, { requiredScopes: ['wallet:sign'] }), 'insufficient_scope')
    assert.equal((await cached.verifyToken(valid)).userId, TEST_USER_ID)
    await cached.revokeSession((await cached.verifyToken(valid)).sessionId!)
    for (let i = 0; i < 2000; i++) await rejectsWith(cached.verifyToken(valid), 'session_revoked')
    assert.equal((await cached.verifyToken(issuer.mint({ sid: 'another-session' }))).userId, TEST_USER_ID)
  })

  it('refuses non-string input with a typed error, never a TypeError', async () => {
    for (const input of [undefined, null]) await rejectsWith(auth.verifyToken(input as never), 'token_missing')
    for (const input of [42, {}, [], true, Symbol('t'), () => 'x', new String('a.b.c')]) {
      await rejectsWith(auth.verifyToken(input as never), 'token_malformed')
    }
  })

  it('checks per-call required scopes, also on a cached token', async () => {
    const token = issuer.mint({ scopes: ['wallet:sign'] })
    await auth.verifyToken(token, { requiredScopes: ['wallet:sign'] })
    const error = await rejectsWith(
      auth.verifyToken(token, { requiredScopes: ['wallet:export'] }),
      'insufficient_scope',
    )
    assert.deepEqual(error.missingScopes, ['wallet:export'])
    const fresh = issuer.mint()
    await rejectsWith(auth.verifyToken(fresh, { requiredScopes: ['wallet:export'] }), 'insufficient_scope')
    await auth.verifyToken(fresh) // the first refusal was per call: the token itself is fine
  })

  it('every error code has a status and is documented in the troubleshooting guide', async () => {
    const { readFile } = await import('node:fs/promises')
    const guide = await readFile(new URL('../../docs/guide/troubleshooting.md', import.meta.url), 'utf8')
    for (const code of ERROR_CODES) {
      assert.ok([400, 401, 403, 503].includes(ERROR_STATUS[code]), code)
      assert.ok(
        guide.includes(`| [\`${code}\`](#${code.replace(/_/g, '-')}) | ${ERROR_STATUS[code]} |`),
        `docs/guide/troubleshooting.md documents ${code} with its status`,
      )
      const error = new DynamicAuthError(code, 'x')
      assert.ok(isDynamicAuthError(error) && error.status === ERROR_STATUS[code])
      assert.deepEqual(Object.keys(error.toJSON()).sort(), ['code', 'message', 'name', 'status'])
    }
  })
})

describe('claims policy', () => {
  const issuer = createTestIssuer()
  const base = issuer.authOptions()

  it('pins the issuer to the environment by default, both Dynamic hosts, exactly', async () => {
    const auth = createDynamicAuth(base)
    await auth.verifyToken(issuer.mint({ claims: { iss: `app.dynamic.xyz/${issuer.environmentId}` } }))
    await auth.verifyToken(issuer.mint({ claims: { iss: `app.dynamicauth.com/${issuer.environmentId}` } }))
    for (const iss of [
      `https://app.dynamic.xyz/${issuer.environmentId}`,
      `app.dynamic.xyz/${issuer.environmentId}/`,
      `APP.DYNAMIC.XYZ/${issuer.environmentId}`,
      `app.dynamic.xyz/${issuer.environmentId.toUpperCase()}`,
      `app.dynamic.xyz.evil.com/${issuer.environmentId}`,
      [`app.dynamic.xyz/${issuer.environmentId}`],
    ]) {
      await rejectsWith(auth.verifyToken(issuer.mint({ claims: { iss } as never })), 'issuer_mismatch')
    }
  })

  it('replaces the default issuers with the issuer option', async () => {
    const auth = createDynamicAuth({ ...base, issuer: `app.dynamic.xyz/${issuer.environmentId}` })
    await auth.verifyToken(issuer.mint({ claims: { iss: `app.dynamic.xyz/${issuer.environmentId}` } }))
    await rejectsWith(auth.verifyToken(issuer.mint()), 'issuer_mismatch')
  })

  it('checks the audience only when configured, as string or array, exactly', async () => {
    const open = createDynamicAuth(base)
    await open.verifyToken(issuer.mint({ audience: 'https://anything.example' }))
    const auth = createDynamicAuth({ ...base, audience: ['https://app.example.com', 'https://admin.example.com'] })
    await auth.verifyToken(issuer.mint({ audience: 'https://app.example.com' }))
    await auth.verifyToken(issuer.mint({ audience: ['https://evil.example', 'https://admin.example.com'] }))
    for (const aud of [
      'https://app.example.com/',
      'https://app.example.com.evil.com',
      [],
      ['https://evil.example'],
      undefined,
    ]) {
      await rejectsWith(auth.verifyToken(issuer.mint({ claims: { aud } })), 'audience_mismatch')
    }
  })

  it('requires configured scopes on top of user:basic', async () => {
    const auth = createDynamicAuth({ ...base, requiredScopes: 'wallet:sign' })
    await auth.verifyToken(issuer.mint({ scopes: ['wallet:sign'] }))
    const error = await rejectsWith(auth.verifyToken(issuer.mint()), 'insufficient_scope')
    assert.deepEqual(error.missingScopes, ['wallet:sign'])
    const mfa = await rejectsWith(
      auth.verifyToken(issuer.mint({ mfaPending: true, scopes: ['wallet:sign'] })),
      'insufficient_scope',
    )
    assert.match(mfa.message, /MFA/)
  })

  it('honours clockTolerance for exp, nbf and iat', async () => {
    let now = Date.now()
    const auth = createDynamicAuth({ ...base, clockTolerance: 30, advanced: { tokenCacheSize: 0, clock: () => now } })
    const seconds = Math.floor(now / 1000)
    const token = issuer.mint({ now: seconds, expiresIn: 60 })
    await auth.verifyToken(token)
    now += 80_000 // 20 s past exp, inside the tolerance
    await auth.verifyToken(token)
    now += 20_000 // 40 s past exp
    await rejectsWith(auth.verifyToken(token), 'token_expired')
    now = seconds * 1000
    await auth.verifyToken(issuer.mint({ now: seconds, claims: { nbf: seconds + 20, iat: seconds + 20 } }))
    await rejectsWith(
      auth.verifyToken(issuer.mint({ now: seconds, claims: { nbf: seconds + 40 } })),
      'token_not_active',
    )
  })

  it('refuses tokens longer than advanced.maxTokenLength before decoding them', async () => {
    const auth = createDynamicAuth({ ...base, advanced: { maxTokenLength: 2000 } })
    const big = issuer.mint({ claims: { padding: 'x'.repeat(3000) } })
    const error = await rejectsWith(auth.verifyToken(big), 'token_malformed')
    assert.match(error.message, /option advanced\.maxTokenLength/)
  })

  it('verifies with a static PEM public key, whatever the kid', async () => {
    const jwk = issuer.jwks().keys[0] as { n: string; e: string }
    const pem = createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    }) as string
    const auth = createDynamicAuth({ environmentId: issuer.environmentId, staticKeys: { publicKey: pem } })
    await auth.warmUp()
    const session = await auth.verifyToken(issuer.mint({ header: { kid: 'anything' } }))
    assert.equal(session.userId, TEST_USER_ID)
    await rejectsWith(auth.verifyToken(issuer.mint({ tampered: true })), 'signature_invalid')
  })
})

describe('options are validated at start-up', () => {
  const ok = '2762a57b-faa4-41ce-9f16-abff9300e2c9'
  const bad: Array<[string, object]> = [
    ['missing environmentId', {}],
    ['empty environmentId', { environmentId: '' }],
    ['malformed environmentId', { environmentId: 'my-env' }],
    ['http jwks.url', { environmentId: ok, jwks: { url: 'http://keys.example.com/jwks' } }],
    ['not a URL', { environmentId: ok, jwks: { url: 'not a url' } }],
    ['file URL', { environmentId: ok, jwks: { url: 'file:///etc/passwd' } }],
    [
      'two key sources',
      {
        environmentId: ok,
        jwks: { url: 'https://x.example/jwks' },
        staticKeys: { publicKey: '-----BEGIN PUBLIC KEY-----' },
      },
    ],
    ['empty staticKeys.jwks', { environmentId: ok, staticKeys: { jwks: { keys: [] } } }],
    [
      'weak static key',
      {
        environmentId: ok,
        staticKeys: {
          jwks: { keys: [{ kty: 'RSA', kid: 'k', n: encodeBase64url(new Uint8Array(128).fill(255)), e: 'AQAB' }] },
        },
      },
    ],
    ['negative clockTolerance', { environmentId: ok, clockTolerance: -1 }],
    ['NaN cache size', { environmentId: ok, advanced: { tokenCacheSize: Number.NaN } }],
    ['empty audience list', { environmentId: ok, audience: [] }],
    ['scope with a space', { environmentId: ok, requiredScopes: ['a b'] }],
  ]
  for (const [name, options] of bad) {
    it(`refuses ${name}`, () => {
      assert.throws(
        () => createDynamicAuth(options as never),
        (error: unknown) => error instanceof DynamicAuthConfigError && /dynamic-guard:/.test((error as Error).message),
      )
    })
  }

  it("defaults the JWKS URL to Dynamic's endpoint for the environment and lowercases the id", () => {
    const auth = createDynamicAuth({ environmentId: ok.toUpperCase() })
    assert.equal(auth.environmentId, ok)
    assert.deepEqual(auth.requiredScopes, ['user:basic'])
    const config = resolveOptions({ environmentId: ok.toUpperCase() })
    assert.deepEqual(config.keySource, {
      kind: 'remote',
      url: `https://app.dynamic.xyz/api/v0/sdk/${ok}/.well-known/jwks`,
    })
    assert.deepEqual(config.issuers, [`app.dynamicauth.com/${ok}`, `app.dynamic.xyz/${ok}`])
  })

  it('allows plain http only on loopback, or loudly when explicitly allowed', (t) => {
    createDynamicAuth({ environmentId: ok, jwks: { url: 'http://127.0.0.1:1/jwks' } })
    createDynamicAuth({ environmentId: ok, jwks: { url: 'http://localhost:1/jwks' } })
    const warn = t.mock.method(console, 'warn', () => undefined)
    assert.throws(
      () => createDynamicAuth({ environmentId: ok, jwks: { url: 'http://keys.internal/jwks' } }),
      /jwks\.url must use https \(got http:\/\/keys\.internal\).*Set jwks\.allowInsecureUrl: true only for a trusted network\./,
    )
    createDynamicAuth({ environmentId: ok, jwks: { url: 'http://keys.internal/jwks', allowInsecureUrl: true } })
    assert.equal(warn.mock.callCount(), 1)
    assert.match(
      String(warn.mock.calls[0]?.arguments[0]),
      /SECURITY WARNING: fetching signing keys over plain http from http:\/\/keys\.internal \(jwks\.allowInsecureUrl\)/,
    )
  })
})

describe('signature path details', () => {
  it('refuses a signature whose length differs from the modulus, even if it decodes', async () => {
    const issuer = createTestIssuer()
    const auth = createDynamicAuth(issuer.authOptions())
    const token = issuer.mint()
    const [h, p] = token.split('.')
    const short = `${h}.${p}.${encodeBase64url(new Uint8Array(255).fill(1))}`
    await rejectsWith(auth.verifyToken(short), 'signature_invalid')
  })

  it('refuses tokens signed by another key under the real kid', async () => {
    const issuer = createTestIssuer()
    // freshKeys: pooled test issuers of one process may share key material (never a kid); an
    // attacker presenting the real kid must hold a key of its own for this test to mean anything.
    const attacker = createTestIssuer({ environmentId: issuer.environmentId, freshKeys: true })
    const auth = createDynamicAuth(issuer.authOptions())
    await rejectsWith(auth.verifyToken(attacker.mint({ header: { kid: issuer.kid } })), 'signature_invalid')
  })

  it('ignores nothing: key-pointing headers are refused outright', async () => {
    const issuer = createTestIssuer()
    const auth = createDynamicAuth(issuer.authOptions())
    for (const header of [
      { jku: 'https://evil.example/jwks' },
      { x5u: 'https://evil.example/c' },
      { jwk: { kty: 'RSA' } },
      { x5c: ['MII'] },
      { crit: ['exp'] },
    ]) {
      await rejectsWith(auth.verifyToken(issuer.mint({ header })), 'token_malformed')
    }
  })
})
