import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createDynamicAuth, isAccessTokenClaims, isIdTokenClaims, type DynamicAuthError } from '../../src/index.js'
import {
  createTestIssuer,
  DEFAULT_TEST_KEY_BITS,
  OTHER_ENVIRONMENT_ID,
  TEST_ENVIRONMENT_ID,
  TEST_USER_ID,
  type TestIssuerServer,
} from '../../src/testing/index.js'
import { KEY_POOL_SIZE } from '../../src/testing/key-pool.js'
import { assertModel } from '../emulator/models.js'

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'))
}

async function refusal(promise: Promise<unknown>): Promise<DynamicAuthError> {
  try {
    await promise
  } catch (error) {
    return error as DynamicAuthError
  }
  assert.fail('expected a refusal')
}

describe('test issuer, in-process (no port)', () => {
  const issuer = createTestIssuer()
  const auth = createDynamicAuth(issuer.authOptions())

  test("an access token shaped like Dynamic's minified JWT verifies", async () => {
    const token = issuer.mint()
    const claims = claimsOf(token)
    assert.equal(claims.iss, `app.dynamicauth.com/${TEST_ENVIRONMENT_ID}`)
    assert.equal(claims.environment_id, TEST_ENVIRONMENT_ID)
    assert.equal(claims.kid, issuer.kid)
    assert.equal(claims.scope, 'user:basic')
    assert.equal((claims.exp as number) - (claims.iat as number), 7200)
    assert.equal(claims.verified_credentials, undefined, 'access tokens carry only hashes')
    assert.deepEqual(Object.keys(claims.verifiedCredentialsHashes as object), ['blockchain', 'email'])
    const session = await auth.verifyToken(token)
    assert.equal(session.userId, TEST_USER_ID)
    assert.equal(session.tokenKind, 'access')
  })

  test('an ID token carries the profile and the credentials: a wallet and an email by default', async () => {
    const session = await auth.verifyToken(issuer.mint({ kind: 'id' }))
    assert.equal(session.tokenKind, 'id')
    assert.equal(session.email, 'ada@example.com')
    assert.deepEqual(session.walletAddresses, ['0x71C7656EC7ab88b098defB751B7401B5f6d8976F'])
    assert.equal(session.claims.given_name, 'Ada')
    assert.equal(session.givenName, 'Ada')
    assert.equal(session.familyName, 'Lovelace')
    const grace = claimsOf(
      issuer.mint({
        kind: 'id',
        profile: { email: 'grace@example.com', given_name: 'Grace', family_name: 'Hopper', username: 'grace' },
      }),
    )
    assert.equal(grace.email, 'grace@example.com')
    assert.equal(grace.given_name, 'Grace')
    assert.equal(grace.family_name, 'Hopper')
    assert.ok(!('first_name' in grace) && !('last_name' in grace), 'Dynamic has no first_name/last_name claim')
    const older = claimsOf(issuer.mint({ kind: 'id', profile: { first_name: 'Grace', last_name: 'Hopper' } }))
    assert.deepEqual(
      [older.given_name, older.family_name, 'first_name' in older],
      ['Grace', 'Hopper', false],
      'the older spelling is minted as given_name/family_name',
    )
    assert.equal(grace.alias, 'grace')
  })

  test('every claim can be set or removed', async () => {
    const claims = claimsOf(
      issuer.mint({
        sub: 'u-1',
        sid: 's-1',
        audience: ['https://a.example', 'https://b.example'],
        claims: { hashed_ip: 'abc', originalSid: undefined },
      }),
    )
    assert.equal(claims.sub, 'u-1')
    assert.equal(claims.sid, 's-1')
    assert.deepEqual(claims.aud, ['https://a.example', 'https://b.example'])
    assert.equal(claims.hashed_ip, 'abc')
    assert.ok(!('originalSid' in claims))
  })

  const variants: Array<[string, Parameters<typeof issuer.mint>[0], string]> = [
    ['expired', { expired: true }, 'token_expired'],
    ['MFA pending', { mfaPending: true }, 'insufficient_scope'],
    ['another environment', { otherEnvironment: true }, 'environment_mismatch'],
    ['tampered', { tampered: true }, 'signature_invalid'],
  ]
  for (const [name, options, code] of variants) {
    test(`the ${name} variant is one option away and refused with ${code}`, async () => {
      const error = await refusal(auth.verifyToken(issuer.mint(options)))
      assert.equal(error.code, code)
    })
  }

  test('MFA pending means requiresAdditionalAuth without user:basic', () => {
    assert.equal(claimsOf(issuer.mint({ mfaPending: true })).scope, 'requiresAdditionalAuth')
  })

  test('another environment: its id in iss and environment_id', () => {
    const claims = claimsOf(issuer.mint({ otherEnvironment: true }))
    assert.equal(claims.environment_id, OTHER_ENVIRONMENT_ID)
    assert.equal(claims.iss, `app.dynamicauth.com/${OTHER_ENVIRONMENT_ID}`)
  })

  test('extra scopes are appended', async () => {
    const session = await auth.verifyToken(issuer.mint({ scopes: ['wallet:export'] }), {
      requiredScopes: ['wallet:export'],
    })
    assert.deepEqual(session.scopes, ['user:basic', 'wallet:export'])
  })

  test('signIn hands over both tokens of one session, as Dynamic gives them to its SDK', async () => {
    const result = issuer.signIn({ profile: { email: 'grace@example.com', given_name: 'Grace' } })
    const id = claimsOf(result.jwt)
    const access = claimsOf(result.minifiedJwt)
    assert.equal(id.sid, access.sid)
    assert.equal(id.exp, access.exp)
    assert.equal(result.expiresAt, access.exp)
    assert.ok(Array.isArray(id.verified_credentials))
    assert.equal(access.verified_credentials, undefined)
    assert.equal(result.user.id, TEST_USER_ID)
    assert.equal(result.user.sessionId, access.sid)
    assert.equal(result.user.email, 'grace@example.com')
    assert.equal(result.user.firstName, 'Grace')
    assert.equal(result.user.verifiedCredentials[0]!.wallet_name, 'metamask') // the token's own member name, as Dynamic's model reads it
    assert.equal((await auth.verifyToken(result.jwt)).tokenKind, 'id')
    assert.equal((await auth.verifyToken(result.minifiedJwt)).tokenKind, 'access')
  })

  test('rotating the key is one call: new tokens carry the new kid, the old key stays published unless dropped', async () => {
    const local = createTestIssuer()
    const before = local.mint()
    const oldKid = local.kid
    const newKid = local.rotateKey()
    assert.notEqual(newKid, oldKid)
    assert.equal(claimsOf(local.mint()).kid, newKid)
    assert.deepEqual(
      local.jwks().keys.map((k) => k.kid),
      [oldKid, newKid],
    )
    const both = createDynamicAuth(local.authOptions())
    await both.verifyToken(before)
    await both.verifyToken(local.mint())
    local.rotateKey({ keepPrevious: false })
    const latest = createDynamicAuth(local.authOptions())
    assert.equal((await refusal(latest.verifyToken(before))).code, 'key_not_found')
  })
})

describe('test issuer over HTTP', () => {
  const issuer = createTestIssuer()
  let server: TestIssuerServer
  before(async () => {
    server = await issuer.listen()
  })
  after(() => server.close())

  const post = (url: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })

  test("serves the JWKS on 127.0.0.1 at Dynamic's paths, with and without .json", async () => {
    assert.match(server.origin, /^http:\/\/127\.0\.0\.1:\d+$/)
    assert.equal(server.jwksUrl, `${server.origin}/api/v0/sdk/${TEST_ENVIRONMENT_ID}/.well-known/jwks`)
    const before = server.jwksRequests
    for (const url of [server.jwksUrl, `${server.jwksUrl}.json`]) {
      const response = await fetch(url)
      assert.equal(response.status, 200)
      assert.match(response.headers.get('content-type')!, /application\/json/)
      assert.deepEqual(await response.json(), issuer.jwks())
    }
    assert.equal(server.jwksRequests, before + 2)
  })

  test('a verifier pointed at the JWKS URL verifies minted tokens', async () => {
    const auth = createDynamicAuth({ environmentId: TEST_ENVIRONMENT_ID, jwks: { url: server.jwksUrl } })
    assert.equal((await auth.verifyToken(issuer.mint())).userId, TEST_USER_ID)
  })

  test("the sign-in endpoint hands over the tokens and sets Dynamic's cookie to the access token", async () => {
    assert.equal(server.tokenUrl, `${server.origin}/api/v0/sdk/${TEST_ENVIRONMENT_ID}/verify`)
    const before = server.tokenRequests
    const response = await post(server.tokenUrl)
    assert.equal(response.status, 200)
    const body = await response.json()
    assert.deepEqual(Object.keys(body).sort(), ['expiresAt', 'jwt', 'minifiedJwt', 'user'])
    const cookie = response.headers.get('set-cookie')!
    assert.ok(cookie.startsWith(`DYNAMIC_JWT_TOKEN=${body.minifiedJwt};`))
    assert.match(cookie, /HttpOnly/)
    assert.match(cookie, /SameSite=Lax/)
    assert.equal(server.tokenRequests, before + 1)
    const auth = createDynamicAuth({ environmentId: TEST_ENVIRONMENT_ID, jwks: { url: server.jwksUrl } })
    await auth.verifyToken(body.jwt)
    await auth.verifyToken(body.minifiedJwt)
  })

  test('the sign-in body takes the variants', async () => {
    const auth = createDynamicAuth(issuer.authOptions())
    for (const [body, code] of [
      [{ expired: true }, 'token_expired'],
      [{ mfaPending: true }, 'insufficient_scope'],
      [{ otherEnvironment: true }, 'environment_mismatch'],
      [{ tampered: true }, 'signature_invalid'],
    ] as const) {
      const response = await post(server.tokenUrl, body)
      assert.equal(response.status, 200)
      const { minifiedJwt } = await response.json()
      assert.equal((await refusal(auth.verifyToken(minifiedJwt))).code, code, JSON.stringify(body))
    }
    const custom = await (
      await post(server.tokenUrl, {
        sub: 'user-7',
        scopes: ['wallet:export'],
        profile: { email: 'x@example.com' },
        claims: { hashed_ip: 'h' },
      })
    ).json()
    assert.equal(custom.user.id, 'user-7')
    assert.equal(custom.user.email, 'x@example.com')
    assert.equal(claimsOf(custom.minifiedJwt).scope, 'user:basic wallet:export')
    assert.equal(claimsOf(custom.minifiedJwt).hashed_ip, 'h')
  })

  test('a bad sign-in body is a 400 that says what is wrong', async () => {
    for (const [body, message] of [
      [{ mfaPendng: true }, /"mfaPendng" is not a sign-in option/],
      [{ expired: 'yes' }, /"expired" must be true or false/],
      [{ expiresIn: 1e12 }, /"expiresIn" must be a whole number/],
      [{ environmentId: 'prod' }, /"environmentId" must be a UUID/],
      [{ profile: { age: 3 } }, /"profile.age" is not a profile member/],
      [[1, 2], /must be a JSON object/],
    ] as const) {
      const response = await post(server.tokenUrl, body)
      assert.equal(response.status, 400, JSON.stringify(body))
      const answer = await response.json()
      assert.equal(answer.error, 'invalid_request')
      assert.match(answer.message, message)
    }
    const notJson = await fetch(server.tokenUrl, { method: 'POST', body: '{nope' })
    assert.equal(notJson.status, 400)
    assert.match((await notJson.json()).message, /not JSON/)
    const huge = await fetch(server.tokenUrl, { method: 'POST', body: 'x'.repeat(70000) })
    assert.equal(huge.status, 413)
  })

  test('wrong methods, unknown paths and other environments get 405 and 404', async () => {
    assert.equal((await fetch(server.tokenUrl)).status, 405)
    assert.equal((await post(server.jwksUrl)).status, 405)
    assert.equal((await fetch(`${server.origin}/api/v0/sdk/${OTHER_ENVIRONMENT_ID}/.well-known/jwks`)).status, 404)
    const missing = await fetch(`${server.origin}/nope`)
    assert.equal(missing.status, 404)
    assert.match((await missing.json()).message, /\.well-known\/jwks/)
  })

  test('browsers may call it: CORS preflight and credentials for the calling origin', async () => {
    const preflight = await fetch(server.tokenUrl, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' },
    })
    assert.equal(preflight.status, 204)
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'http://localhost:3000')
    assert.equal(preflight.headers.get('access-control-allow-credentials'), 'true')
    const jwks = await fetch(server.jwksUrl, { headers: { origin: 'http://localhost:3000' } })
    assert.equal(jwks.headers.get('access-control-allow-origin'), '*')
  })

  test('sign-out clears the cookie', async () => {
    const response = await post(`${server.origin}/api/v0/sdk/${TEST_ENVIRONMENT_ID}/logout`)
    assert.equal(response.status, 204)
    assert.match(response.headers.get('set-cookie')!, /^DYNAMIC_JWT_TOKEN=; Path=\/; Max-Age=0/)
  })

  test('the key rotates over HTTP; a verifier follows the new kid through the JWKS', async () => {
    const local = createTestIssuer()
    const emulatorServer = await local.listen()
    try {
      const auth = createDynamicAuth({
        environmentId: TEST_ENVIRONMENT_ID,
        jwks: { url: emulatorServer.jwksUrl, cooldown: 0 },
      })
      const before = local.mint()
      await auth.verifyToken(before)
      const response = await post(emulatorServer.rotateKeyUrl, {})
      assert.equal(response.status, 200)
      const { kid, kids } = await response.json()
      assert.equal(kid, local.kid)
      assert.equal(kids.length, 2)
      assert.equal((await auth.verifyToken(local.mint())).userId, TEST_USER_ID)
      await auth.verifyToken(before)
      const dropped = await (await post(emulatorServer.rotateKeyUrl, { keepPrevious: false })).json()
      assert.deepEqual(dropped.kids, [dropped.kid])
      assert.equal((await post(emulatorServer.rotateKeyUrl, { keepPrevious: 'no' })).status, 400)
    } finally {
      await emulatorServer.close()
    }
  })

  test('the root describes the emulator', async () => {
    const info = await (await fetch(`${server.origin}/`)).json()
    assert.equal(info.environmentId, TEST_ENVIRONMENT_ID)
    assert.equal(info.jwksUrl, server.jwksUrl)
    assert.equal(info.tokenUrl, server.tokenUrl)
  })

  test('cookieName false sets no cookie; another name is used as given', async () => {
    const quiet = await issuer.listen({ cookieName: false })
    const named = await issuer.listen({ cookieName: 'session' })
    try {
      assert.equal((await post(quiet.tokenUrl)).headers.get('set-cookie'), null)
      assert.match((await post(named.tokenUrl)).headers.get('set-cookie')!, /^session=/)
    } finally {
      await Promise.all([quiet.close(), named.close()])
    }
  })
})

describe('test issuer keys: RSA-4096 by default, reused within a process without ever confusing two issuers', () => {
  const modulusBytes = (jwk: Record<string, unknown>) => Buffer.from(String(jwk.n), 'base64url').length
  const signatureBytes = (token: string) => Buffer.from(token.split('.')[2]!, 'base64url').length

  test('4096 bits by default, like Dynamic: a 512-byte modulus and 512-byte signatures', () => {
    const issuer = createTestIssuer()
    assert.equal(issuer.modulusLength, 4096)
    assert.equal(DEFAULT_TEST_KEY_BITS, 4096)
    assert.equal(modulusBytes(issuer.jwks().keys[0]!), 512)
    assert.equal(signatureBytes(issuer.mint()), 512)
  })

  test('an issuer never signs with one of its earlier keys again, however often it rotates', () => {
    const issuer = createTestIssuer()
    for (let i = 0; i <= KEY_POOL_SIZE; i++) issuer.rotateKey()
    const keys = issuer.jwks().keys
    assert.equal(keys.length, KEY_POOL_SIZE + 2)
    assert.equal(
      new Set(keys.map((k) => k.n)).size,
      keys.length,
      'every rotation gets a distinct key, beyond the pool size too',
    )
    assert.equal(new Set(keys.map((k) => k.kid)).size, keys.length)
    assert.ok(keys.every((k) => modulusBytes(k) === 512))
  })

  test('keys are reused across issuers (at most KEY_POOL_SIZE generated per size), each with its own kid', async () => {
    // The pool works the same at every size. 2048 bits (for test speed only), because no other
    // test of this file draws 2048-bit keys, so the count of distinct keys is exact here.
    const issuers = Array.from({ length: 2 * KEY_POOL_SIZE + 1 }, () => createTestIssuer({ modulusLength: 2048 }))
    assert.ok(issuers.every((i) => i.modulusLength === 2048 && modulusBytes(i.jwks().keys[0]!) === 256))
    const moduli = issuers.map((i) => i.jwks().keys[0]!.n)
    assert.equal(
      new Set(moduli.slice(0, KEY_POOL_SIZE)).size,
      KEY_POOL_SIZE,
      'the first draws of a process are distinct',
    )
    assert.equal(new Set(moduli).size, KEY_POOL_SIZE, 'then the pool is handed out again')
    assert.equal(new Set(issuers.map((i) => i.kid)).size, issuers.length, 'a kid is never shared')

    // Two issuers sharing key material are still two signers to a verifier selecting by kid.
    const [a, b] = [issuers[0]!, issuers[KEY_POOL_SIZE]!]
    assert.equal(a.jwks().keys[0]!.n, b.jwks().keys[0]!.n)
    const auth = createDynamicAuth(a.authOptions())
    assert.ok(await auth.verifyToken(a.mint()))
    assert.equal((await refusal(auth.verifyToken(b.mint()))).code, 'key_not_found')
    // Rotating b never draws a key b already held, even with the pool full.
    b.rotateKey()
    assert.notEqual(b.jwks().keys[1]!.n, b.jwks().keys[0]!.n)
  })

  test('freshKeys: a key of its own, never pooled, so another signer presenting your kid is refused', async () => {
    const pooled = Array.from({ length: KEY_POOL_SIZE }, () => createTestIssuer())
    const attacker = createTestIssuer({ freshKeys: true })
    attacker.rotateKey()
    const pooledModuli = new Set(pooled.map((i) => i.jwks().keys[0]!.n))
    for (const key of attacker.jwks().keys) assert.ok(!pooledModuli.has(key.n as string))
    const later = createTestIssuer()
    assert.ok(
      !attacker.jwks().keys.some((k) => k.n === later.jwks().keys[0]!.n),
      'a fresh key is not handed out afterwards either',
    )
    for (const victim of [...pooled, later]) {
      const auth = createDynamicAuth(victim.authOptions())
      assert.equal(
        (await refusal(auth.verifyToken(attacker.mint({ header: { kid: victim.kid } })))).code,
        'signature_invalid',
      )
    }
  })
})

describe("the kit mints both tokens with the members of Dynamic's models", () => {
  // The wire names of MinifiedDynamicJwt and DynamicJwt (@dynamic-labs/sdk-api-core), and their required members.
  const ACCESS = [
    'kid',
    'aud',
    'iss',
    'sub',
    'sid',
    'exp',
    'iat',
    'environment_id',
    'last_verified_credential_id',
    'signin_credential_id',
    'session_public_key',
    'scope',
    'verifiedCredentialsHashes',
    'email',
    'username',
    'server_auth',
    'hashed_ip',
    'originalSid',
    'refreshExp',
    'sdkVersion',
    'deviceRegistrationId',
    'roles',
  ]
  const ACCESS_REQUIRED = ['kid', 'aud', 'iss', 'sub', 'sid', 'environment_id', 'last_verified_credential_id']
  const ID = [
    ...ACCESS,
    'missing_fields',
    'verified_credentials',
    'alias',
    'blockchain_accounts',
    'country',
    'family_name',
    'given_name',
    'job_title',
    'last_authenticated_account_id',
    'lists',
    'phone_number',
    't_shirt_size',
    'team',
    'policies_consent',
    'verified_account',
    'first_visit',
    'last_visit',
    'new_user',
    'btc_wallet',
    'kda_wallet',
    'ltc_wallet',
    'ckb_wallet',
    'kas_wallet',
    'doge_wallet',
    'email_notification',
    'discord_notification',
    'newsletter_notification',
    'metadata',
    'info',
  ]
  const ID_REQUIRED = [...ACCESS_REQUIRED, 'missing_fields', 'verified_credentials']
  const CREDENTIAL = [
    'id',
    'format',
    'signInEnabled',
    'address',
    'chain',
    'refId',
    'signerRefId',
    'email',
    'name_service',
    'public_identifier',
    'wallet_name',
    'wallet_provider',
    'wallet_properties',
    'business_account_properties',
    'oauth_provider',
    'oauth_username',
    'oauth_display_name',
    'oauth_account_id',
    'oauth_account_photos',
    'oauth_emails',
    'oauth_metadata',
    'phoneNumber',
    'phoneCountryCode',
    'isoCountryCode',
    'previous_users',
    'embedded_wallet_id',
    'wallet_additional_addresses',
    'lastSelectedAt',
    'verifiedAt',
  ]
  const issuer = createTestIssuer()
  const auth = createDynamicAuth(issuer.authOptions())
  const { jwt, minifiedJwt } = issuer.signIn()
  const id = claimsOf(jwt)
  const access = claimsOf(minifiedJwt)

  test('the access token: the minified set, credential hashes and no credentials', () => {
    assert.deepEqual(
      Object.keys(access).filter((k) => !ACCESS.includes(k)),
      [],
    )
    assert.deepEqual(
      ACCESS_REQUIRED.filter((k) => !(k in access)),
      [],
    )
    assert.equal(access.verified_credentials, undefined)
    assert.equal(access.missing_fields, undefined)
    assert.equal(access.email, 'ada@example.com')
    const hashes = access.verifiedCredentialsHashes as Record<string, string>
    assert.deepEqual(Object.keys(hashes).sort(), ['blockchain', 'email'])
    assert.ok(Object.values(hashes).every((h) => /^[0-9a-f]{64}$/.test(h)))
  })

  test('the ID token: the full set, credentials with their wire members, missing_fields: []', () => {
    assert.deepEqual(
      Object.keys(id).filter((k) => !ID.includes(k)),
      [],
    )
    assert.deepEqual(
      ID_REQUIRED.filter((k) => !(k in id)),
      [],
    )
    assert.deepEqual(id.missing_fields, [])
    assert.deepEqual([id.given_name, id.family_name, id.username], ['Ada', 'Lovelace', 'ada'])
    assert.ok(!Number.isNaN(Date.parse(String(id.first_visit))) && !Number.isNaN(Date.parse(String(id.last_visit))))
    for (const credential of id.verified_credentials as Array<Record<string, unknown>>) {
      assert.deepEqual(
        Object.keys(credential).filter((k) => !CREDENTIAL.includes(k)),
        [],
      )
      assert.equal(credential.signInEnabled, true)
    }
    assert.deepEqual(id.verifiedCredentialsHashes, access.verifiedCredentialsHashes, 'the same hashes in both')
  })

  test('typed reading: the guards check the required members; the session helpers read the claims', async () => {
    const full = await auth.verifyToken(jwt)
    const minified = await auth.verifyToken(minifiedJwt)
    assert.ok(isIdTokenClaims(full.claims) && !isAccessTokenClaims(full.claims))
    assert.ok(isAccessTokenClaims(minified.claims) && !isIdTokenClaims(minified.claims))
    if (isIdTokenClaims(full.claims))
      assert.equal(full.claims.verified_credentials[0]!.wallet_provider, 'browserExtension')
    assert.deepEqual([full.tokenKind, minified.tokenKind], ['id', 'access'])
    assert.deepEqual(full.chains, ['eip155'])
    assert.deepEqual(full.wallets[0], {
      id: 'c3a0a6f2-4b7e-4a55-9a8e-0d2f1c6b9e01',
      address: '0x71C7656EC7ab88b098defB751B7401B5f6d8976F',
      chain: 'eip155',
      walletName: 'metamask',
      walletProvider: 'browserExtension',
    })
    assert.deepEqual([minified.wallets, minified.chains], [[], []], 'an access token has no credentials to read')
    assert.deepEqual(
      [full.givenName, full.familyName, full.username, minified.givenName],
      ['Ada', 'Lovelace', 'ada', undefined],
    )
    // A token lacking a member Dynamic's model requires is still verified, but is not narrowed.
    const partial = await auth.verifyToken(issuer.mint({ kind: 'id', claims: { missing_fields: undefined } }))
    assert.equal(isIdTokenClaims(partial.claims), false)
  })

  test("unknown members stay readable; the email falls back to an email credential's public_identifier", async () => {
    const session = await auth.verifyToken(
      issuer.mint({
        kind: 'id',
        credentials: [
          { id: 'p1', format: 'email', public_identifier: 'pat@example.com', signInEnabled: true },
          {
            id: 'w1',
            format: 'blockchain',
            address: 'bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh',
            chain: 'bip122',
            wallet_name: 'xverse',
            wallet_provider: 'browserExtension',
            signInEnabled: true,
            futureMember: { x: 1 },
          },
          { id: 't1', format: 'totp', signInEnabled: false },
        ],
        claims: { email: undefined, someNewClaim: 'kept' },
      }),
    )
    assert.equal(session.email, 'pat@example.com')
    assert.equal(session.claims.someNewClaim, 'kept')
    assert.deepEqual(session.credentials[1]!.futureMember, { x: 1 })
    assert.deepEqual(session.chains, ['bip122'])
    assert.equal(session.credentials[2]!.format, 'totp')
  })
})

describe("the emulator's sign-in answer reads as Dynamic's VerifyResponse", () => {
  test('in-process (signIn) and over HTTP (POST verify): every credential member under its wire name', async () => {
    const issuer = createTestIssuer({ modulusLength: 2048 })
    const inProcess = issuer.signIn()
    const read = assertModel('VerifyResponse', inProcess) as {
      user: { verifiedCredentials: Array<Record<string, unknown>> }
    }
    const wallet = read.user.verifiedCredentials.find((c) => c.format === 'blockchain')
    assert.ok(wallet, 'the default user has a wallet credential')
    // What Dynamic's client sees once its reader has run: the members it knows, not undefined.
    assert.equal(typeof wallet.walletName, 'string')
    assert.equal(typeof wallet.walletProvider, 'string')
    assert.equal(typeof wallet.publicIdentifier, 'string')
    const server = await issuer.listen()
    try {
      const response = await fetch(server.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      })
      assert.equal(response.status, 200)
      assertModel('VerifyResponse', await response.json())
    } finally {
      await server.close()
    }
  })
})
