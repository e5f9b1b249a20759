/**
 * The local Dynamic's step-up, agent sign-in and session keys, over real HTTP on 127.0.0.1:
 * `stepUp/check`, the `requestedScopes` of email, SMS and wallet verifications answering elevated
 * access tokens (single use 300 s for wallet scopes, time-bound 600 s for the others, signed by the
 * environment's key), the client's `x-dyn-session-public-key` bound into the tokens, and an agent's
 * headless sign-in (the key in the body) marked `server_auth`, whose key then signs a request that
 * the session-key module verifies. Then the same step-up driven by Dynamic's real client in Node,
 * by email code and by wallet (`verifyWalletAccount({ requestedScopes })`).
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createPublicKey, verify as rsaVerify } from 'node:crypto'
import {
  checkStepUpAuth,
  connectAndVerifyWithWalletProvider,
  createDynamicClient,
  getElevatedAccessToken,
  getWalletAccounts,
  initializeClient,
  logout,
  sendEmailOTP,
  TokenScope,
  verifyOTP,
  verifyWalletAccount,
} from '@dynamic-labs-sdk/client'
import {
  formatSignInMessage,
  getCore,
  getSessionKeys,
  getWalletProviderRegistry,
  WalletProviderPriority,
} from '@dynamic-labs-sdk/client/core'
import {
  createTestIssuer,
  createTestWallet,
  dynamicClientConfig,
  eip1193WalletProvider,
  type TestIssuerServer,
  type TestWallet,
} from '../../src/testing/index.js'
import {
  dynamicSessionSigner,
  generateSessionKeyPair,
  jwkSessionSigner,
  signRequest,
  verifySessionKeyProof,
  type ReplayCheck,
} from '../../src/session-key/index.js'

const OTP = '246810'
const APP_ORIGIN = 'http://localhost:3000'
const issuer = createTestIssuer()
const env = issuer.environmentId

const claimsOf = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'))

/** The claims of `token` once its RS256 signature verifies with a key of the emulator's JWKS (the kid it names). */
async function verifiedClaims(server: TestIssuerServer, token: string): Promise<Record<string, unknown>> {
  const [header, payload, signature] = token.split('.') as [string, string, string]
  const { kid, alg } = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { kid: string; alg: string }
  assert.equal(alg, 'RS256')
  const { keys } = (await (await fetch(server.jwksUrl)).json()) as { keys: Array<{ kid: string }> }
  const jwk = keys.find((key) => key.kid === kid)
  assert.ok(jwk, "signed by a key of the environment's JWKS")
  assert.ok(
    rsaVerify(
      'sha256',
      Buffer.from(`${header}.${payload}`),
      createPublicKey({ key: jwk as never, format: 'jwk' }),
      Buffer.from(signature, 'base64url'),
    ),
    'the signature verifies',
  )
  return claimsOf(token)
}

function memoryReplayCheck(): ReplayCheck {
  const used = new Set<string>()
  return {
    claim: (id) => {
      if (used.has(id)) return false
      used.add(id)
      return true
    },
  }
}

interface Answer {
  status: number
  body: Record<string, unknown>
}

describe('step-up, agents and session keys over HTTP', () => {
  let server: TestIssuerServer
  const sdk = (route: string) => `${server.apiBaseUrl}/sdk/${env}/${route}`

  before(async () => {
    server = await issuer.listen({
      otpCode: OTP,
      stepUp: {
        notRequired: ['credential:update'],
        tokens: { 'user:delete': { tokenBehavior: 'single_use', tokenExpirySeconds: 120 } },
      },
    })
  })
  after(() => server.close())

  async function post(route: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const response = await fetch(sdk(route), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    })
    const text = await response.text()
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }
  }

  async function emailCode(email: string, headers: Record<string, string> = {}): Promise<string> {
    const created = await post('emailVerifications/create', { email }, headers)
    assert.equal(created.status, 201, JSON.stringify(created.body))
    return created.body.verificationUUID as string
  }

  /** Signs in by email code; the request's extra headers and body members as given. */
  async function signIn(
    email: string,
    options: { headers?: Record<string, string>; body?: Record<string, unknown> } = {},
  ): Promise<Answer> {
    const verificationUUID = await emailCode(email)
    return post(
      'emailVerifications/signin',
      { verificationUUID, verificationToken: OTP, ...options.body },
      options.headers,
    )
  }

  /** Verifies `email` again, signed in as `token`, asking for `requestedScopes`. */
  async function stepUp(token: string, email: string, requestedScopes: unknown): Promise<Answer> {
    const bearer = { authorization: `Bearer ${token}` }
    const verificationUUID = await emailCode(email, bearer)
    return post('emailVerifications/verify', { verificationUUID, verificationToken: OTP, requestedScopes }, bearer)
  }

  test('binds the session key the client sends in x-dyn-session-public-key into both tokens; none sent, none minted', async () => {
    const { publicKeyHex } = await generateSessionKeyPair()
    const answer = await signIn('keyed@example.com', { headers: { 'x-dyn-session-public-key': publicKeyHex } })
    assert.equal(answer.status, 200, JSON.stringify(answer.body))
    for (const token of [answer.body.minifiedJwt, answer.body.jwt] as string[]) {
      const claims = await verifiedClaims(server, token)
      assert.equal(claims.session_public_key, publicKeyHex)
      assert.equal('server_auth' in claims, false, "a browser client's session is not server-side")
    }
    // A refresh keeps the key the session was opened with.
    const refreshed = await post(
      'refresh',
      {},
      { authorization: `Bearer ${answer.body.minifiedJwt}`, 'x-dyn-session-public-key': publicKeyHex },
    )
    assert.equal(claimsOf(refreshed.body.minifiedJwt as string).session_public_key, publicKeyHex)

    const keyless = await signIn('keyless@example.com')
    assert.equal('session_public_key' in claimsOf(keyless.body.minifiedJwt as string), false)

    const verificationUUID = await emailCode('bad-key@example.com')
    const bad = await post(
      'emailVerifications/signin',
      { verificationUUID, verificationToken: OTP },
      { 'x-dyn-session-public-key': publicKeyHex.toUpperCase() },
    )
    assert.equal(bad.status, 400)
    assert.equal(bad.body.code, 'invalid_session_public_key')
    // Refused before the code was spent: the same code signs in with a good key.
    const good = await post(
      'emailVerifications/signin',
      { verificationUUID, verificationToken: OTP },
      { 'x-dyn-session-public-key': publicKeyHex },
    )
    assert.equal(good.status, 200, JSON.stringify(good.body))
    assert.equal((good.body.user as { newUser: boolean }).newUser, true, 'the refused sign-in made no user')
  })

  test('stepUp/check answers whether a scope needs a step-up, and with which credentials', async () => {
    const session = await signIn('check@example.com')
    const token = session.body.minifiedJwt as string
    const bearer = { authorization: `Bearer ${token}` }
    const credentialId = (session.body.user as { verifiedCredentials: Array<{ id: string }> }).verifiedCredentials[0]!
      .id

    const required = await post('stepUp/check', { scope: 'wallet:export' }, bearer)
    assert.equal(required.status, 200)
    assert.deepEqual(required.body, {
      isRequired: true,
      credentials: [{ id: credentialId, format: 'email' }],
      defaultCredentialId: credentialId,
    })
    assert.deepEqual((await post('stepUp/check', { scope: 'credential:update' }, bearer)).body, {
      isRequired: false,
      credentials: [],
    })

    const unknown = await post('stepUp/check', { scope: 'wallet:steal' }, bearer)
    assert.equal(unknown.status, 400)
    assert.equal(unknown.body.code, 'invalid_scope')
    assert.equal((await post('stepUp/check', { scope: 'wallet:export' })).status, 401, 'signed-in users only')
  })

  test('a verification with requestedScopes answers an elevated token: single use and 300 s for wallet scopes, time-bound and 600 s otherwise', async () => {
    const session = await signIn('elevated@example.com')
    const token = session.body.minifiedJwt as string
    const sessionClaims = claimsOf(token)

    const wallet = await stepUp(token, 'elevated@example.com', ['wallet:export'])
    assert.equal(wallet.status, 200, JSON.stringify(wallet.body))
    assert.equal(
      typeof wallet.body.minifiedJwt,
      'string',
      "the session's tokens come with it, as Dynamic's VerifyResponse",
    )
    const exported = await verifiedClaims(server, wallet.body.elevatedAccessToken as string)
    assert.equal(exported.scope, 'wallet:export')
    assert.equal(exported.singleUse, true)
    assert.equal((exported.exp as number) - (exported.iat as number), 300)
    assert.equal(exported.sub, sessionClaims.sub)
    assert.equal(exported.sid, sessionClaims.sid)
    assert.equal(exported.originalSid, sessionClaims.originalSid)
    assert.equal(exported.environment_id, env)
    assert.equal(exported.iss, issuer.issuer)
    assert.match(exported.jti as string, /^[0-9a-f-]{36}$/)
    assert.ok(
      !(exported.scope as string).split(' ').includes('user:basic'),
      'an elevated token authorises an action, not a session',
    )

    const profile = await verifiedClaims(
      server,
      (await stepUp(token, 'elevated@example.com', ['user:update'])).body.elevatedAccessToken as string,
    )
    assert.deepEqual(
      [profile.scope, profile.singleUse, (profile.exp as number) - (profile.iat as number)],
      ['user:update', false, 600],
    )

    const mixed = claimsOf(
      (await stepUp(token, 'elevated@example.com', ['credential:link', 'wallet:sign'])).body
        .elevatedAccessToken as string,
    )
    assert.deepEqual(
      [mixed.scope, mixed.singleUse, (mixed.exp as number) - (mixed.iat as number)],
      ['credential:link wallet:sign', true, 300],
      'the stricter behaviour and the shorter lifetime win',
    )

    const configured = claimsOf(
      (await stepUp(token, 'elevated@example.com', ['user:delete'])).body.elevatedAccessToken as string,
    )
    assert.deepEqual(
      [configured.singleUse, (configured.exp as number) - (configured.iat as number)],
      [true, 120],
      'as the project sets it',
    )

    // After a refresh (new sid), a step-up names the new sid and the same session.
    const refreshed = await post('refresh', {}, { authorization: `Bearer ${token}` })
    const again = claimsOf(
      (await stepUp(refreshed.body.minifiedJwt as string, 'elevated@example.com', ['wallet:sign'])).body
        .elevatedAccessToken as string,
    )
    assert.equal(again.sid, claimsOf(refreshed.body.minifiedJwt as string).sid)
    assert.notEqual(again.sid, sessionClaims.sid)
    assert.equal(again.originalSid, sessionClaims.originalSid)

    // Without requestedScopes, no elevated token.
    const plain = await stepUp(token, 'elevated@example.com', undefined)
    assert.equal(plain.status, 200)
    assert.equal('elevatedAccessToken' in plain.body, false)
  })

  test('refuses a step-up with a credential the user does not have, and scopes that are not TokenScope values', async () => {
    const token = (await signIn('owner@example.com')).body.minifiedJwt as string
    const stranger = await stepUp(token, 'not-mine@example.com', ['wallet:export'])
    assert.equal(stranger.status, 422)
    assert.equal(stranger.body.code, 'step_up_credential_not_linked')
    const users = (await (await fetch(sdk('users'), { headers: { authorization: `Bearer ${token}` } })).json()) as {
      verifiedCredentials: unknown[]
    }
    assert.equal(users.verifiedCredentials.length, 1, 'nothing was linked')

    for (const bad of [['user:basic'], [], 'wallet:export', [42]]) {
      const refused = await stepUp(token, 'owner@example.com', bad)
      assert.equal(refused.status, 400, JSON.stringify(bad))
    }
  })

  test('a phone number steps up with an SMS code (smsVerifications/verify with requestedScopes)', async () => {
    const phone = { phoneNumber: '5555550142', phoneCountryCode: '1', isoCountryCode: 'US' }
    const text = async (headers: Record<string, string> = {}) =>
      (await post('smsVerifications/create', phone, headers)).body.verificationUUID as string
    const signedIn = await post('smsVerifications/signin', { verificationUUID: await text(), verificationToken: OTP })
    assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body))
    const bearer = { authorization: `Bearer ${signedIn.body.minifiedJwt}` }
    const stepped = await post(
      'smsVerifications/verify',
      { verificationUUID: await text(bearer), verificationToken: OTP, requestedScopes: ['user:update'] },
      bearer,
    )
    assert.equal(stepped.status, 200, JSON.stringify(stepped.body))
    const claims = await verifiedClaims(server, stepped.body.elevatedAccessToken as string)
    assert.deepEqual(
      [claims.scope, claims.singleUse, claims.sub],
      ['user:update', false, claimsOf(signedIn.body.minifiedJwt as string).sub],
    )
    const other = { ...phone, phoneNumber: '5555550143' }
    const otherUUID = (await post('smsVerifications/create', other, bearer)).body.verificationUUID as string
    const refused = await post(
      'smsVerifications/verify',
      { verificationUUID: otherUUID, verificationToken: OTP, requestedScopes: ['user:update'] },
      bearer,
    )
    assert.equal(refused.status, 422)
    assert.equal(refused.body.code, 'step_up_credential_not_linked')
  })

  test('allowNewMFALinking on sign-in answers a credential:link token (MFA optional, no MFA method yet)', async () => {
    const answer = await signIn('linking@example.com', { body: { allowNewMFALinking: true } })
    const claims = claimsOf(answer.body.elevatedAccessToken as string)
    assert.deepEqual([claims.scope, claims.singleUse], ['credential:link', false])
  })

  test('a wallet steps up by signing again (wallets/verify); a wallet the user does not hold is refused', async () => {
    const wallet = createTestWallet()
    const nonce = async () => ((await (await fetch(sdk('nonces?count=1'))).json()) as { nonces: string[] }).nonces[0]!
    const proof = async (signer: TestWallet) => {
      const messageToSign = await formatSignInMessage({
        domain: 'localhost:3000',
        blockchainName: 'Ethereum',
        address: signer.address,
        uri: `${APP_ORIGIN}/`,
        chainId: '1',
        nonce: await nonce(),
        issuedAt: new Date().toISOString(),
        requestId: env,
        statement: 'Welcome.',
      })
      return {
        chain: 'EVM',
        publicWalletAddress: signer.address,
        walletName: 'testwalletevm',
        walletProvider: 'browserExtension',
        network: '1',
        messageToSign,
        signedMessage: signer.signMessage(messageToSign),
      }
    }
    const signedIn = await post('wallets/signin', await proof(wallet), { origin: APP_ORIGIN })
    assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body))
    const bearer = { authorization: `Bearer ${signedIn.body.minifiedJwt}`, origin: APP_ORIGIN }

    const stepped = await post(
      'wallets/verify',
      { ...(await proof(wallet)), requestedScopes: ['wallet:export'] },
      bearer,
    )
    assert.equal(stepped.status, 200, JSON.stringify(stepped.body))
    assert.deepEqual(
      [
        claimsOf(stepped.body.elevatedAccessToken as string).scope,
        claimsOf(stepped.body.elevatedAccessToken as string).singleUse,
      ],
      ['wallet:export', true],
    )

    const other = await post(
      'wallets/verify',
      { ...(await proof(createTestWallet())), requestedScopes: ['wallet:export'] },
      bearer,
    )
    assert.equal(other.status, 422)
    assert.equal(other.body.code, 'step_up_credential_not_linked')
    assert.equal(
      (await post('wallets/verify', await proof(wallet), bearer)).status,
      400,
      'wallets/verify is for step-up only',
    )
  })

  test('an agent signs in headlessly with its key in the body: server_auth, its session_public_key, and requests it signs verify', async () => {
    const { publicKeyHex, privateKeyJwk } = await generateSessionKeyPair()
    // Dynamic's headless auth client posts from a server: no Origin, the key as sessionPublicKey.
    const answer = await signIn('agent@example.com', { body: { sessionPublicKey: publicKeyHex } })
    assert.equal(answer.status, 200, JSON.stringify(answer.body))
    const claims = await verifiedClaims(server, answer.body.minifiedJwt as string)
    assert.equal(claims.server_auth, true)
    assert.equal(claims.session_public_key, publicKeyHex)
    assert.ok((claims.scope as string).split(' ').includes('user:basic'))

    const signer = await jwkSessionSigner(privateKeyJwk)
    const body = JSON.stringify({ amount: '1' })
    const url = 'http://127.0.0.1:8080/api/transfers?from=agent'
    const headers = await signRequest({ method: 'POST', url, body }, signer)
    const verdict = await verifySessionKeyProof({
      method: 'POST',
      url,
      body,
      header: headers['x-session-signature'],
      sessionPublicKey: claims.session_public_key,
      replayCheck: memoryReplayCheck(),
    })
    assert.equal(verdict.ok, true, verdict.ok ? '' : verdict.message)

    // The same agent with a malformed key is refused at sign-in.
    const bad = await signIn('agent@example.com', { body: { sessionPublicKey: 'not-a-key' } })
    assert.equal(bad.status, 400)
    assert.equal(bad.body.code, 'invalid_session_public_key')
  })
})

describe("step-up through Dynamic's real client in Node", () => {
  let server: TestIssuerServer
  const settle: Array<() => Promise<void>> = []

  before(async () => {
    server = await issuer.listen({ otpCode: OTP })
  })
  after(async () => {
    for (const done of settle) await done()
    await server.close()
  })

  test('checkStepUpAuth, a verification with requestedScopes, getElevatedAccessToken consuming a single-use token; the session key signs for the backend', async () => {
    const config = dynamicClientConfig(server)
    const client = createDynamicClient(config)
    settle.push(async () => {
      if (client.user) await logout(client)
      await config.idle()
    })
    await initializeClient(client)
    const email = 'client-step-up@example.com'
    await verifyOTP({ otpVerification: await sendEmailOTP({ email }, client), verificationToken: OTP }, client)
    assert.ok(client.token)

    // The token carries the key the client made, as the client reports it.
    const publicKey = getSessionKeys(client)?.publicKey
    assert.match(publicKey ?? '', /^0[23][0-9a-f]{64}$/)
    assert.equal(claimsOf(client.token).session_public_key, publicKey)

    const check = await checkStepUpAuth({ scope: TokenScope.Walletexport }, client)
    assert.equal(check.isRequired, true)
    assert.deepEqual(
      check.credentials.map((credential: { format: string }) => credential.format),
      ['email'],
    )

    // The step-up: the same email verified again, with the scope requested.
    await verifyOTP(
      {
        otpVerification: await sendEmailOTP({ email }, client),
        verificationToken: OTP,
        requestedScopes: [TokenScope.Walletexport],
      },
      client,
    )
    assert.equal(
      (await checkStepUpAuth({ scope: TokenScope.Walletexport }, client)).isRequired,
      false,
      'the client holds a token for the scope',
    )
    const elevated = getElevatedAccessToken({ scope: TokenScope.Walletexport }, client)
    assert.ok(elevated)
    const claims = await verifiedClaims(server, elevated)
    assert.deepEqual([claims.scope, claims.singleUse, claims.sub], ['wallet:export', true, client.user!.id])
    assert.equal(
      getElevatedAccessToken({ scope: TokenScope.Walletexport }, client),
      undefined,
      'single use: the client consumed it',
    )

    // The client's own keychain signs a request to the backend; the token's key verifies it.
    const url = 'http://127.0.0.1:3000/api/export?wallet=main'
    const headers = await signRequest({ method: 'POST', url, body: '{}' }, dynamicSessionSigner(getCore(client)))
    const verdict = await verifySessionKeyProof({
      method: 'POST',
      url,
      body: '{}',
      header: headers['x-session-signature'],
      sessionPublicKey: claimsOf(client.token).session_public_key,
      replayCheck: memoryReplayCheck(),
    })
    assert.equal(verdict.ok, true, verdict.ok ? '' : verdict.message)
  })

  test('a wallet steps up through verifyWalletAccount({ requestedScopes }) (the client posts wallets/verify)', async () => {
    const config = dynamicClientConfig(server, { appOrigin: APP_ORIGIN })
    const client = createDynamicClient(config)
    settle.push(async () => {
      if (client.user) await logout(client)
      await config.idle()
    })
    await initializeClient(client)
    const wallet = createTestWallet()
    const provider = eip1193WalletProvider(wallet.eip1193(), { displayName: 'Test Wallet' })
    getWalletProviderRegistry(client).register({
      priority: WalletProviderPriority.WALLET_SDK,
      walletProvider: provider as never,
    })
    await connectAndVerifyWithWalletProvider({ walletProviderKey: provider.key }, client)
    const [walletAccount] = getWalletAccounts(client)
    assert.ok(walletAccount?.verifiedCredentialId)

    await verifyWalletAccount({ walletAccount, requestedScopes: [TokenScope.Walletsign] }, client)
    const elevated = getElevatedAccessToken({ scope: TokenScope.Walletsign, consume: false }, client)
    assert.ok(elevated, 'the client holds the elevated token')
    const claims = await verifiedClaims(server, elevated)
    assert.deepEqual(
      [claims.scope, claims.singleUse, claims.sub, claims.aud],
      ['wallet:sign', true, client.user!.id, APP_ORIGIN],
    )
  })
})
