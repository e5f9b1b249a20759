/**
 * Where the mistake is the caller's or the configuration's, the refusal names the fix: each case a
 * user meets in the first hour, pinned to its message. The troubleshooting guide lists the same
 * cases ("Messages and their fixes").
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createPublicKey } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createDynamicAuth, DynamicAuthConfigError } from '../../src/index.js'
import { createTestIssuer, type TestIssuer } from '../../src/testing/index.js'
import { rejectsWith, startJwksServer, type JwksServer } from '../support/jwks-server.js'
import { withOptions } from '../support/options.js'

/** The PEM of an issuer's signing key, as a dashboard would show it. */
function pemOf(issuer: TestIssuer): string {
  const jwk = issuer.jwks().keys[0] as { kty: string; n: string; e: string }
  return createPublicKey({ key: { kty: jwk.kty, n: jwk.n, e: jwk.e }, format: 'jwk' })
    .export({ type: 'spki', format: 'pem' })
    .toString()
}

/** A logger that keeps what it is told. */
function recorder(): { warn(message: string): void; lines: string[] } {
  const lines: string[] = []
  return { lines, warn: (message: string) => void lines.push(message) }
}

describe('messages that name the fix', () => {
  let issuer: TestIssuer
  let jwks: JwksServer
  let token: string

  before(async () => {
    issuer = createTestIssuer({ modulusLength: 2048 })
    jwks = await startJwksServer(issuer)
    token = issuer.mint()
  })
  after(() => jwks.close())

  const auth = (extra: Record<string, unknown> = {}) =>
    createDynamicAuth(
      withOptions({ environmentId: issuer.environmentId, jwks: { url: jwks.url }, logger: false }, extra),
    )

  describe('a token with something around it is refused with what to remove, nothing stripped', () => {
    const cases: Array<[string, (token: string) => string, RegExp]> = [
      ['a Bearer prefix', (t) => `Bearer ${t}`, /starts with "Bearer ": pass the token alone/],
      ['a bearer prefix in lower case', (t) => `bearer  ${t}`, /starts with "Bearer "/],
      [
        'JSON quotes (localStorage)',
        (t) => JSON.stringify(t),
        /is in quotes .*without the quotes \(JSON\.parse the stored value\)/,
      ],
      ['single quotes', (t) => `'${t}'`, /is in quotes/],
      ['a trailing newline', (t) => `${t}\n`, /whitespace or a line break before or after it .*trim it/],
      ['leading spaces', (t) => `  ${t}`, /whitespace or a line break before or after it/],
    ]
    for (const [label, wrap, message] of cases) {
      it(label, async () => {
        const error = await rejectsWith(auth().verifyToken(wrap(token)), 'token_malformed')
        assert.match(error.message, message)
      })
    }
    it('a token that is malformed inside keeps the precise message', async () => {
      const error = await rejectsWith(auth().verifyToken(`Bearer ${token.slice(0, 20)}`), 'token_malformed')
      assert.match(error.message, /three dot-separated parts/)
    })
  })

  describe('mismatches show both sides', () => {
    it('an audience that differs by a trailing slash says so', async () => {
      const withAud = issuer.mint({ claims: { aud: 'http://localhost:3000' } })
      const error = await rejectsWith(
        auth({ audience: 'http://localhost:3000/' }).verifyToken(withAud),
        'audience_mismatch',
      )
      assert.match(
        error.message,
        /audience \(aud\) is "http:\/\/localhost:3000"; this server accepts "http:\/\/localhost:3000\/"/,
      )
      assert.match(error.message, /differ only by a trailing slash/)
    })
    it('another audience is shown next to the configured one', async () => {
      const withAud = issuer.mint({ claims: { aud: 'https://other.example' } })
      const error = await rejectsWith(
        auth({ audience: 'https://app.example' }).verifyToken(withAud),
        'audience_mismatch',
      )
      assert.match(error.message, /"https:\/\/other\.example"; this server accepts "https:\/\/app\.example"/)
    })
    it("an issuer option with a scheme says that Dynamic's issuer has none", async () => {
      const iss = `app.dynamicauth.com/${issuer.environmentId}`
      const withIss = issuer.mint({ claims: { iss } })
      const error = await rejectsWith(auth({ issuer: `https://${iss}` }).verifyToken(withIss), 'issuer_mismatch')
      assert.match(error.message, /Dynamic's issuer has no scheme\. Set issuer to "app\.dynamicauth\.com\//)
    })
  })

  it('a static publicKey that is not the key points at the configured key, and the operator hears of it once', async () => {
    const other = createTestIssuer({ modulusLength: 2048 })
    const logger = recorder()
    const wrongKey = createDynamicAuth({
      environmentId: issuer.environmentId,
      staticKeys: { publicKey: pemOf(other) },
      logger,
    })
    for (let i = 0; i < 3; i++) {
      const error = await rejectsWith(wrongKey.verifyToken(issuer.mint()), 'signature_invalid')
      assert.match(
        error.message,
        /does not match the configured staticKeys\.publicKey\. If your front end's tokens are refused like this, staticKeys\.publicKey is not your environment's key/,
      )
    }
    assert.equal(logger.lines.length, 1, logger.lines.join('\n'))
    assert.match(
      logger.lines[0]!,
      /^dynamic-guard: a token signature did not match the configured staticKeys\.publicKey/,
    )
  })

  it('a JWKS URL that answers 404 is a configuration error: said so, logged once, retried rarely', async () => {
    let requests = 0
    const server: Server = createServer((_req, res) => {
      requests++
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not Found"}')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const logger = recorder()
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v0/sdk/${issuer.environmentId}/.well-known/jwks`
      const wrong = createDynamicAuth({ environmentId: issuer.environmentId, jwks: { url }, logger })
      const error = await rejectsWith(wrong.verifyToken(token), 'jwks_unavailable')
      assert.match(
        error.message,
        /answered HTTP 404: there is no JWKS for this server at that URL\. Check environmentId/,
      )
      assert.match(error.message, /this is the server's configuration, not the client's/)
      assert.ok((error.retryAfter ?? 0) >= 60, `Retry-After ${error.retryAfter}: not "in a second"`)
      for (let i = 0; i < 5; i++) await rejectsWith(wrong.verifyToken(token), 'jwks_unavailable')
      assert.equal(requests, 1, 'no retry before the long backoff')
      assert.equal(logger.lines.length, 1, logger.lines.join('\n'))
      assert.match(logger.lines[0]!, /^dynamic-guard: The JWKS at .* answered HTTP 404/)
    } finally {
      server.close()
    }
  })

  it('a JWKS that answers 500 is logged once, as sentences: what failed, then what it means for tokens', async () => {
    const server: Server = createServer((_req, res) => {
      res.writeHead(500).end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const logger = recorder()
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v0/sdk/${issuer.environmentId}/.well-known/jwks`
      const failing = createDynamicAuth({ environmentId: issuer.environmentId, jwks: { url }, logger })
      await rejectsWith(failing.verifyToken(token), 'jwks_unavailable')
      assert.equal(logger.lines.length, 1, logger.lines.join('\n'))
      assert.match(
        logger.lines[0]!,
        /^dynamic-guard: The JWKS at \S+ answered HTTP 500\. Tokens that need these keys are answered 503 jwks_unavailable meanwhile\.$/,
      )
    } finally {
      server.close()
    }
  })

  describe('silent mistakes are refused at start-up', () => {
    it('an unknown option, with a suggestion', () => {
      assert.throws(
        () => createDynamicAuth({ environmentId: issuer.environmentId, audiance: 'https://app.example' } as never),
        (error: Error) => {
          assert.ok(error instanceof DynamicAuthConfigError)
          assert.match(error.message, /unknown option "audiance"; did you mean audience\?/)
          return true
        },
      )
      // A misspelt option of 0.x is pointed to its new path.
      assert.throws(
        () => createDynamicAuth({ environmentId: issuer.environmentId, publickey: 'x' } as never),
        /unknown option "publickey"; did you mean staticKeys\.publicKey\?/,
      )
      assert.throws(
        () => createDynamicAuth({ environmentId: issuer.environmentId, staticKey: {} } as never),
        /unknown option "staticKey"; did you mean staticKeys\?/,
      )
      assert.throws(
        () => createDynamicAuth({ environmentId: issuer.environmentId, nothingLikeIt: 1 } as never),
        /unknown option "nothingLikeIt"\. The options are listed/,
      )
    })
    it('an unknown option inside a group, with the closest name of that group', () => {
      const refused = (options: object, message: RegExp): void => {
        assert.throws(
          () => createDynamicAuth({ environmentId: issuer.environmentId, ...options } as never),
          (error: Error) => error instanceof DynamicAuthConfigError && message.test(error.message),
        )
      }
      refused(
        { jwks: { cooldwn: 0 } },
        /^dynamic-guard: unknown option "jwks\.cooldwn"; did you mean jwks\.cooldown\? The options are listed/,
      )
      refused({ jwks: { URL: 'https://keys.example/jwks' } }, /unknown option "jwks\.URL"; did you mean jwks\.url\?/)
      refused(
        { advanced: { tokenCachSize: 0 } },
        /unknown option "advanced\.tokenCachSize"; did you mean advanced\.tokenCacheSize\?/,
      )
      refused(
        { staticKeys: { publickey: 'x' } },
        /unknown option "staticKeys\.publickey"; did you mean staticKeys\.publicKey\?/,
      )
      // A name of another group is pointed to the group it is in.
      refused({ jwks: { clock: () => 0 } }, /unknown option "jwks\.clock"; did you mean advanced\.clock\?/)
      refused({ advanced: { nothingLikeIt: 1 } }, /unknown option "advanced\.nothingLikeIt"\. The options are listed/)
      refused({ jwks: 'https://keys.example/jwks' }, /jwks must be an object of settings, e\.g\. \{ url, cooldown \}/)
      refused(
        { jwks: new URL('https://keys.example/jwks') },
        /jwks must be an object of settings, e\.g\. \{ url, cooldown \} \(a URL goes in jwks\.url\)/,
      )
      refused({ advanced: [] }, /advanced must be an object of settings/)
      refused({ staticKeys: {} }, /staticKeys needs one key source/)
      refused(
        { staticKeys: { jwks: issuer.jwks(), publicKey: 'x' } },
        /give only one of staticKeys\.jwks and staticKeys\.publicKey/,
      )
      refused(
        { jwks: { url: 'https://keys.example/jwks' }, staticKeys: { jwks: issuer.jwks() } },
        /give only one of jwks\.url and staticKeys/,
      )
    })
    it('an option of the flat 0.x layout says where it moved', () => {
      const moves: Array<[string, unknown, string]> = [
        ['jwksUrl', 'https://keys.example/jwks', 'jwks.url'],
        ['jwksCacheMaxAge', 1000, 'jwks.cacheMaxAge'],
        ['jwksCooldown', 0, 'jwks.cooldown'],
        ['jwksTimeout', 1000, 'jwks.timeout'],
        ['jwksStaleIfError', 0, 'jwks.staleIfError'],
        ['jwksMaxBackoff', 0, 'jwks.maxBackoff'],
        ['jwksMaxBytes', 4096, 'jwks.maxBytes'],
        ['allowInsecureJwksUrl', true, 'jwks.allowInsecureUrl'],
        ['fetch', fetch, 'jwks.fetch'],
        ['keyStore', () => undefined, 'jwks.keyStore'],
        ['onEvent', () => undefined, 'jwks.onEvent'],
        ['publicKey', 'x', 'staticKeys.publicKey'],
        ['tokenCacheSize', 0, 'advanced.tokenCacheSize'],
        ['maxTokenLength', 4096, 'advanced.maxTokenLength'],
        ['signatureBackend', {}, 'advanced.signatureBackend'],
        ['clock', Date.now, 'advanced.clock'],
      ]
      for (const [old, value, path] of moves) {
        const [group, key] = path.split('.')
        const expected = `dynamic-guard: ${old} moved to ${path}: write { ${group}: { ${key}: ... } }.`
        assert.throws(
          () => createDynamicAuth({ environmentId: issuer.environmentId, [old]: value } as never),
          (error: Error) => error instanceof DynamicAuthConfigError && error.message === expected,
          old,
        )
      }
      // A misspelt old name gets the new path too.
      assert.throws(
        () => createDynamicAuth({ environmentId: issuer.environmentId, jwksCooldwn: 0 } as never),
        /unknown option "jwksCooldwn"; did you mean jwks\.cooldown\?/,
      )
    })
    it('the JWKS document under jwks (its 0.x place) is told it moved to staticKeys', () => {
      assert.throws(
        () => createDynamicAuth({ environmentId: issuer.environmentId, jwks: issuer.jwks() } as never),
        (error: Error) =>
          error instanceof DynamicAuthConfigError &&
          error.message ===
            'dynamic-guard: the JWKS document moved from the jwks option to staticKeys: write { staticKeys: { jwks: { keys: [...] } } }. The jwks option now holds the settings of a remote JWKS (jwks.url, jwks.cooldown, ...).',
      )
    })
    for (const [group, name] of [
      ['staticKeys', 'publicKey'],
      ['staticKeys', 'jwks'],
      ['jwks', 'url'],
    ] as const) {
      it(`${group}.${name} given but undefined (an unset environment variable) is not taken as "fetch over the network"`, () => {
        assert.throws(
          () => createDynamicAuth({ environmentId: issuer.environmentId, [group]: { [name]: undefined } }),
          new RegExp(
            `dynamic-guard: ${group}\\.${name} is given but undefined \\(an environment variable that is not set\\?\\)`,
          ),
        )
      })
    }
    it('a logger without warn()', () => {
      assert.throws(
        () => createDynamicAuth({ environmentId: issuer.environmentId, logger: {} as never }),
        /logger must be an object with a warn\(message\) method/,
      )
    })
  })

  it('logger: false writes nothing; the default writes to console.warn', async () => {
    const other = createTestIssuer({ modulusLength: 2048 })
    const silent = createDynamicAuth({
      environmentId: issuer.environmentId,
      staticKeys: { publicKey: pemOf(other) },
      logger: false,
    })
    await rejectsWith(silent.verifyToken(token), 'signature_invalid')
    const original = console.warn
    const seen: string[] = []
    console.warn = (message: string) => void seen.push(message)
    try {
      const loud = createDynamicAuth({ environmentId: issuer.environmentId, staticKeys: { publicKey: pemOf(other) } })
      await rejectsWith(loud.verifyToken(token), 'signature_invalid')
    } finally {
      console.warn = original
    }
    assert.equal(seen.length, 1)
    assert.doesNotMatch(seen[0]!, /eyJ/, 'no token in a log line')
  })
})

describe('an adapter given options instead of a verifier', () => {
  it('refuses a misspelt adapter option with the adapter option as its suggestion', async () => {
    const { dynamicAuth } = await import('../../src/adapters/express.js')
    const issuer = createTestIssuer({ modulusLength: 2048 })
    assert.throws(
      () => dynamicAuth({ ...issuer.authOptions(), optinal: true } as never),
      /unknown option "optinal"; did you mean optional\?/,
    )
    assert.throws(() => dynamicAuth({ ...issuer.authOptions(), audiance: 'x' } as never), /did you mean audience\?/)
  })
})
