/**
 * Wallet sign-in through Dynamic's real, unmodified client (`@dynamic-labs-sdk/client`, pinned) in
 * Node against the emulator: a test wallet (a local secp256k1 key) behind the client's wallet
 * provider interface; the client fetches nonces, writes the EIP-4361 message, the wallet signs it,
 * the emulator recovers the signer and checks domain, chain id, nonce and age; the tokens carry the
 * wallet credential as Dynamic's models describe it; a protected Express route accepts them.
 * Then a second wallet and an email are linked and a wallet unlinked (each in the next token),
 * with the webhooks Dynamic sends; Solana wallets and SMS codes the same way; and every answer is
 * read with Dynamic's own model readers. Everything on 127.0.0.1.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import {
  connectAndVerifyWithWalletProvider,
  createDynamicClient,
  getWalletAccounts,
  initializeClient,
  logout,
  refreshAuth,
  removeWalletAccount,
  sendEmailOTP,
  sendSmsOTP,
  verifyOTP,
} from '@dynamic-labs-sdk/client'
import {
  formatSignInMessage,
  getCore,
  getWalletProviderRegistry,
  WalletProviderPriority,
} from '@dynamic-labs-sdk/client/core'
import { createDynamicAuth, type DynamicAuth } from '../../src/index.js'
import { dynamicAuth } from '../../src/adapters/express.js'
import {
  createTestIssuer,
  createTestSolanaWallet,
  createTestWallet,
  dynamicClientConfig,
  eip1193WalletProvider,
  solanaWalletProvider,
  type SignInCredential,
  type TestIssuerServer,
  type TestWallet,
} from '../../src/testing/index.js'
import { createDynamicWebhooks, type DynamicWebhookEvent } from '../../src/webhooks/index.js'
import { assertModel } from './models.js'

const SECRET = 'dyn_wallet_test_secret'
const APP_ORIGIN = 'http://localhost:3000'
const issuer = createTestIssuer()
const env = issuer.environmentId

const claimsOf = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'))

type Client = ReturnType<typeof createDynamicClient>

/** An app: a protected Express route and Dynamic's webhooks, verified against the emulator. */
interface App {
  auth: DynamicAuth
  events: DynamicWebhookEvent[]
  url: string
  server: Server
  connect(jwksUrl: string): void
}

async function startApp(): Promise<App> {
  const events: DynamicWebhookEvent[] = []
  let handle: ((req: IncomingMessage, res: ServerResponse) => void) | undefined
  const server = createServer((req, res) => (handle ? handle(req, res) : void res.writeHead(503).end()))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const app: App = {
    auth: undefined as unknown as DynamicAuth,
    events,
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connect(jwksUrl) {
      app.auth = createDynamicAuth({ environmentId: env, jwks: { url: jwksUrl } })
      const router = express()
      router.post(
        '/webhooks/dynamic',
        createDynamicWebhooks({ secret: SECRET, auth: app.auth, onEvent: (event) => void events.push(event) }).express,
      )
      router.get('/api/me', dynamicAuth(app.auth), (req, res) => {
        res.json({
          userId: req.auth!.userId,
          tokenKind: req.auth!.tokenKind,
          wallets: req.auth!.wallets,
          email: req.auth!.email,
        })
      })
      handle = router
    },
  }
  return app
}

const clients: Array<{ client: Client; idle(): Promise<void> }> = []

/** Dynamic's client for an app on APP_ORIGIN, with `wallets` registered as its wallet providers. */
async function newClient(
  server: TestIssuerServer,
  ...wallets: Array<{ wallet: TestWallet; name: string }>
): Promise<{ client: Client; keys: string[] }> {
  const config = dynamicClientConfig(server, { appOrigin: APP_ORIGIN })
  const client = createDynamicClient(config)
  clients.push({ client, idle: config.idle })
  await initializeClient(client)
  const keys = wallets.map(({ wallet, name }) => {
    const walletProvider = eip1193WalletProvider(wallet.eip1193(), { displayName: name })
    getWalletProviderRegistry(client).register({
      priority: WalletProviderPriority.WALLET_SDK,
      walletProvider: walletProvider as never,
    })
    return walletProvider.key
  })
  return { client, keys }
}

async function settleClients(): Promise<void> {
  for (const { client, idle } of clients.splice(0)) {
    if (client.user) await logout(client)
    await idle()
  }
}

/** The full token (`jwt`) the client holds besides `client.token` (the minified one). */
const fullToken = (client: Client): string => getCore(client).state.get().legacyToken!

async function me(app: App, token: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${app.url}/api/me`, { headers: { authorization: `Bearer ${token}` } })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

/** A credential as Dynamic's API and its tokens list it (the emulator's sign-in answer has the same). */
type Credential = SignInCredential

describe("wallet sign-in, linking and unlinking through Dynamic's client", () => {
  let app: App
  let server: TestIssuerServer

  before(async () => {
    app = await startApp()
    server = await issuer.listen({ webhook: { url: `${app.url}/webhooks/dynamic`, secret: SECRET } })
    app.connect(server.jwksUrl)
  })
  after(async () => {
    await settleClients()
    await server.close()
    app.server.closeAllConnections()
    await new Promise<void>((resolve) => app.server.close(() => resolve()))
  })

  test("the settings list the chains a wallet signs in on, as Dynamic's ProjectSettings", async () => {
    const settings = (await (await fetch(`${server.apiBaseUrl}/sdk/${env}/settings`)).json()) as Record<string, unknown>
    const read = assertModel('ProjectSettings', settings)
    const chains = read.chains as Array<{
      name: string
      enabled: boolean
      networks: Array<{ networkId: number; chainName: string }>
    }>
    assert.deepEqual(
      chains.map((chain) => [
        chain.name,
        chain.enabled,
        chain.networks.map((network) => [network.networkId, network.chainName]),
      ]),
      [
        [
          'evm',
          true,
          [
            [1, 'Ethereum'],
            [11155111, 'Sepolia'],
          ],
        ],
        ['solana', true, [[101, 'Solana Mainnet']]],
      ],
    )
    const networks = settings.networks as Array<{ chainName: string; networks: unknown[] }>
    assert.deepEqual(
      networks.map((network) => network.chainName),
      ['evm', 'solana'],
    )
    for (const network of networks.flatMap((entry) => entry.networks)) assertModel('NetworkConfiguration', network)
  })

  test('signs in with the test wallet; the tokens carry its credential; a protected route accepts them', async () => {
    const wallet = createTestWallet()
    const { client, keys } = await newClient(server, { wallet, name: 'Test Wallet' })
    assert.equal(keys[0], 'testwalletevm:browserExtension')
    assert.deepEqual(
      client.projectSettings?.chains.map((chain: { name: string }) => chain.name),
      ['evm', 'solana'],
    )

    const account = await connectAndVerifyWithWalletProvider({ walletProviderKey: keys[0]! }, client)
    assert.equal(account.address, wallet.address)
    assert.ok(client.token, 'signed in')
    const [verified] = getWalletAccounts(client)
    assert.equal(verified?.address, wallet.address)
    assert.ok(verified?.verifiedCredentialId, 'the client sees the wallet as verified')

    // The full token: the wallet credential with Dynamic's wire names, last_verified_credential_id pointing at it.
    const id = claimsOf(fullToken(client))
    const credentials = id.verified_credentials as Credential[]
    assert.equal(credentials.length, 1)
    const [credential] = credentials
    assert.deepEqual(
      {
        format: credential!.format,
        address: credential!.address,
        chain: credential!.chain,
        wallet_name: credential!.wallet_name,
        wallet_provider: credential!.wallet_provider,
        public_identifier: credential!.public_identifier,
      },
      {
        format: 'blockchain',
        address: wallet.address,
        chain: 'eip155',
        wallet_name: 'testwalletevm',
        wallet_provider: 'browserExtension',
        public_identifier: wallet.address,
      },
    )
    assert.equal(credential!.id, verified!.verifiedCredentialId)
    assert.equal(id.last_verified_credential_id, credential!.id)
    assert.equal(id.signin_credential_id, credential!.id)
    assert.equal(id.aud, APP_ORIGIN, 'the audience is the app that signed in')
    assert.ok(!('email' in id), 'a wallet-only user has no email claim')
    const readId = assertModel('DynamicJwt', id)
    const readCredential = (readId.verifiedCredentials as Array<Record<string, unknown>>)[0]!
    assert.equal(readCredential.walletName, 'testwalletevm')
    assert.equal(readCredential.walletProvider, 'browserExtension')
    assert.equal(readCredential.chain, 'eip155')
    assert.equal(readCredential.format, 'blockchain')

    // The access token: no credentials, their hashes, and the same last verified credential.
    const access = claimsOf(client.token!)
    assert.equal(access.last_verified_credential_id, credential!.id)
    assert.ok(!('verified_credentials' in access))
    assert.equal(typeof (access.verifiedCredentialsHashes as Record<string, string>).blockchain, 'string')
    assertModel('MinifiedDynamicJwt', access)
    assertModel(
      'SdkUser',
      await (
        await fetch(`${server.apiBaseUrl}/sdk/${env}/users`, { headers: { authorization: `Bearer ${client.token}` } })
      ).json(),
    )

    // The protected route: the access token opens it; the full token brings the wallet.
    const minified = await me(app, client.token!)
    assert.equal(minified.status, 200)
    assert.equal(minified.body.userId, client.user!.id)
    const full = await me(app, fullToken(client))
    assert.equal(full.status, 200)
    assert.deepEqual(
      (full.body.wallets as Array<{ address: string; chain: string }>).map((w) => [w.address, w.chain]),
      [[wallet.address, 'eip155']],
    )

    // Signing in again with the same wallet: the same user, not new any more.
    const userId = client.user!.id
    await logout(client)
    await connectAndVerifyWithWalletProvider({ walletProviderKey: keys[0]! }, client)
    assert.equal(client.user!.id, userId)
    assert.equal(client.user!.newUser, false)

    const mine = app.events.filter((event) => event.userId === userId)
    assert.deepEqual(
      mine.map((event) => event.eventName),
      ['user.created', 'user.session.created', 'user.session.revoked', 'user.session.created'],
    )
    assertModel('SdkUser', mine[0]!.data)
    assert.equal(
      (mine[0]!.data as { verifiedCredentials: Credential[] }).verifiedCredentials[0]!.address,
      wallet.address,
    )
    for (const credential of (mine[1]!.data as { verifiedCredentials: unknown[] }).verifiedCredentials)
      assertModel('JwtVerifiedCredential', credential)
  })

  test('links a second wallet and an email, then unlinks the wallet: each shows in the next token', async () => {
    const first = createTestWallet()
    const second = createTestWallet({ chainId: 11155111 })
    const { client, keys } = await newClient(
      server,
      { wallet: first, name: 'First Wallet' },
      { wallet: second, name: 'Second Wallet' },
    )
    await connectAndVerifyWithWalletProvider({ walletProviderKey: keys[0]! }, client)
    const userId = client.user!.id
    const before = app.events.length

    // A second wallet, signed in the same way while signed in: POST verify/link.
    const linked = await connectAndVerifyWithWalletProvider({ walletProviderKey: keys[1]! }, client)
    assert.equal(client.user!.id, userId, 'the same user')
    let id = claimsOf(fullToken(client))
    let credentials = id.verified_credentials as Credential[]
    assert.deepEqual(
      credentials.map((c) => c.address),
      [first.address, second.address],
    )
    assert.equal(credentials[1]!.wallet_name, 'secondwalletevm')
    assert.equal(
      id.last_verified_credential_id,
      credentials[1]!.id,
      'the linked wallet is the last verified credential',
    )
    assert.equal(id.signin_credential_id, credentials[0]!.id, 'the session was opened with the first')
    assertModel('DynamicJwt', id)
    const linkedEvent = app.events.slice(before).find((event) => event.eventName === 'wallet.linked')
    assert.ok(linkedEvent, 'wallet.linked sent')
    assert.equal(linkedEvent.userId, userId)
    assert.equal(linkedEvent.data?.publicKey, second.address)
    assert.equal(linkedEvent.data?.id, credentials[1]!.id)

    // An email, by code, while signed in: POST emailVerifications/verify.
    const otp = await sendEmailOTP({ email: 'linked@example.com' }, client)
    await verifyOTP(
      { otpVerification: otp, verificationToken: server.emulator.lastCode('linked@example.com')! },
      client,
    )
    id = claimsOf(fullToken(client))
    credentials = id.verified_credentials as Credential[]
    assert.deepEqual(
      credentials.map((c) => c.format),
      ['blockchain', 'blockchain', 'email'],
    )
    assert.equal(credentials[2]!.email, 'linked@example.com')
    assert.equal(id.email, 'linked@example.com')
    assert.equal(id.last_verified_credential_id, credentials[2]!.id)
    assert.equal(claimsOf(client.token!).email, 'linked@example.com')
    assert.equal((await me(app, fullToken(client))).body.email, 'linked@example.com')

    // Unlink the second wallet: POST verify/unlink.
    await removeWalletAccount(
      {
        walletAccount: getWalletAccounts(client).find(
          (account: { address: string }) => account.address === linked.address,
        )!,
      },
      client,
    )
    id = claimsOf(fullToken(client))
    credentials = id.verified_credentials as Credential[]
    assert.deepEqual(
      credentials.map((c) => c.address ?? c.email),
      [first.address, 'linked@example.com'],
    )
    assert.deepEqual(
      getWalletAccounts(client).map((account: { address: string }) => account.address),
      [first.address],
    )
    const full = await me(app, fullToken(client))
    assert.deepEqual(
      (full.body.wallets as Array<{ address: string }>).map((w) => w.address),
      [first.address],
    )

    // The next refresh keeps it so.
    await refreshAuth(client)
    assert.deepEqual(
      (claimsOf(fullToken(client)).verified_credentials as Credential[]).map((c) => c.format),
      ['blockchain', 'email'],
    )

    const sent = app.events.slice(before)
    assert.deepEqual(
      sent.map((event) => event.eventName),
      ['wallet.linked', 'user.updated', 'user.updated', 'wallet.unlinked', 'user.updated'],
    )
    for (const event of sent.filter((e) => e.eventName === 'user.updated')) assertModel('SdkUser', event.data)
    assert.equal(sent[3]!.data?.publicKey, second.address)
  })

  test('a Solana wallet signs in the same way (ed25519, base58), and links to an EVM user', async () => {
    const solana = createTestSolanaWallet()
    const { client } = await newClient(server)
    const provider = solanaWalletProvider(solana, { displayName: 'Test Wallet' })
    assert.equal(provider.key, 'testwalletsol:browserExtension')
    getWalletProviderRegistry(client).register({
      priority: WalletProviderPriority.WALLET_SDK,
      walletProvider: provider as never,
    })
    const account = await connectAndVerifyWithWalletProvider({ walletProviderKey: provider.key }, client)
    assert.equal(account.address, solana.address)
    const id = claimsOf(fullToken(client))
    const [credential] = id.verified_credentials as Credential[]
    assert.deepEqual(
      [
        credential!.format,
        credential!.address,
        credential!.chain,
        credential!.wallet_name,
        credential!.wallet_provider,
      ],
      ['blockchain', solana.address, 'solana', 'testwalletsol', 'browserExtension'],
    )
    assert.equal(id.last_verified_credential_id, credential!.id)
    assertModel('DynamicJwt', id)
    const session = await app.auth.verifyToken(fullToken(client))
    assert.deepEqual(
      session.wallets.map((w) => [w.address, w.chain]),
      [[solana.address, 'solana']],
    )
    assert.deepEqual(
      getWalletAccounts(client).map((a: { chain: string }) => a.chain),
      ['SOL'],
    )

    // An EVM user links a Solana wallet.
    const evm = createTestWallet()
    const other = await newClient(server, { wallet: evm, name: 'Evm' })
    await connectAndVerifyWithWalletProvider({ walletProviderKey: other.keys[0]! }, other.client)
    const second = solanaWalletProvider(createTestSolanaWallet(), { displayName: 'Phantom' })
    getWalletProviderRegistry(other.client).register({
      priority: WalletProviderPriority.WALLET_SDK,
      walletProvider: second as never,
    })
    await connectAndVerifyWithWalletProvider({ walletProviderKey: second.key }, other.client)
    assert.deepEqual(
      (claimsOf(fullToken(other.client)).verified_credentials as Credential[]).map((c) => c.chain),
      ['eip155', 'solana'],
    )
    const linked = app.events.filter((event) => event.eventName === 'wallet.linked').at(-1)
    assert.equal(linked?.data?.chain, 'SOL')

    // A Solana signature by another key is refused.
    const impostor = createTestSolanaWallet()
    const forged = {
      ...solanaWalletProvider(solana, { displayName: 'Forged' }),
      signMessage: async ({ message }: { message: string }) => ({ signature: impostor.signMessage(message) }),
    }
    const third = (await newClient(server)).client
    getWalletProviderRegistry(third).register({
      priority: WalletProviderPriority.WALLET_SDK,
      walletProvider: forged as never,
    })
    await assert.rejects(connectAndVerifyWithWalletProvider({ walletProviderKey: forged.key }, third), {
      code: 'invalid_signature',
      status: 400,
    })
  })

  test("a wallet linked to another user is refused with Dynamic's code; the last credential cannot go", async () => {
    const shared = createTestWallet()
    const owner = await newClient(server, { wallet: shared, name: 'Shared' })
    await connectAndVerifyWithWalletProvider({ walletProviderKey: owner.keys[0]! }, owner.client)
    const other = createTestWallet()
    const { client, keys } = await newClient(
      server,
      { wallet: other, name: 'Other' },
      { wallet: shared, name: 'Shared' },
    )
    await connectAndVerifyWithWalletProvider({ walletProviderKey: keys[0]! }, client)
    await assert.rejects(
      connectAndVerifyWithWalletProvider({ walletProviderKey: keys[1]! }, client),
      (error: Error) => {
        assert.equal(error.name, 'WalletAlreadyLinkedToAnotherUserError')
        return true
      },
    )
    const [only] = getWalletAccounts(client).filter(
      (account: { verifiedCredentialId?: string | null }) => account.verifiedCredentialId,
    )
    await assert.rejects(removeWalletAccount({ walletAccount: only! }, client), {
      code: 'last_credential',
      status: 422,
    })
  })

  test("a wallet whose signature is not its own is refused with Dynamic's error shape", async () => {
    const wallet = createTestWallet()
    const impostor = createTestWallet()
    const { client } = await newClient(server)
    // A provider that claims the wallet's address but signs with another key.
    const provider = eip1193WalletProvider(
      {
        request: async ({ method, params }) =>
          method === 'personal_sign'
            ? impostor.eip1193().request({ method, params: [(params as unknown[])[0], impostor.address] })
            : wallet.eip1193().request({ method, ...(params ? { params } : {}) }),
      },
      { displayName: 'Impostor' },
    )
    getWalletProviderRegistry(client).register({
      priority: WalletProviderPriority.WALLET_SDK,
      walletProvider: provider as never,
    })
    await assert.rejects(
      connectAndVerifyWithWalletProvider({ walletProviderKey: provider.key }, client),
      (error: { code?: string; status?: number }) => {
        assert.equal(error.code, 'invalid_signature')
        assert.equal(error.status, 400)
        return true
      },
    )
    assert.equal(client.token, null)
  })
})

describe('wallet sign-in over HTTP: what is refused', () => {
  let server: TestIssuerServer
  const sdk = () => `${server.apiBaseUrl}/sdk/${env}`

  before(async () => {
    server = await issuer.listen()
  })
  after(() => server.close())

  async function nonce(): Promise<string> {
    const { nonces } = (await (await fetch(`${sdk()}/nonces?count=1`)).json()) as { nonces: string[] }
    return nonces[0]!
  }

  /** The message Dynamic's client writes (its own formatter), with changes. */
  async function message(
    wallet: TestWallet,
    changes: Partial<Parameters<typeof formatSignInMessage>[0]> = {},
  ): Promise<string> {
    return formatSignInMessage({
      domain: 'localhost:3000',
      blockchainName: 'Ethereum',
      address: wallet.address,
      uri: `${APP_ORIGIN}/`,
      chainId: '1',
      nonce: await nonce(),
      issuedAt: new Date().toISOString(),
      requestId: env,
      statement: 'Welcome to the app.',
      ...changes,
    })
  }

  async function signIn(
    wallet: TestWallet,
    messageToSign: string,
    options: { signature?: string; origin?: string | null } = {},
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const origin = options.origin === undefined ? APP_ORIGIN : options.origin
    const response = await fetch(`${sdk()}/wallets/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) },
      body: JSON.stringify({
        chain: 'EVM',
        publicWalletAddress: wallet.address,
        walletName: 'testwalletevm',
        walletProvider: 'browserExtension',
        network: '1',
        messageToSign,
        signedMessage: options.signature ?? wallet.signMessage(messageToSign),
      }),
    })
    return { status: response.status, body: (await response.json()) as Record<string, unknown> }
  }

  function refused(answer: { status: number; body: Record<string, unknown> }, code: string): void {
    assert.equal(answer.status, 400, JSON.stringify(answer.body))
    assert.deepEqual(Object.keys(answer.body).sort(), ['code', 'error'], "Dynamic's error shape")
    assert.equal(answer.body.code, code)
    assert.equal(typeof answer.body.error, 'string')
  }

  test('a good message signs in once; its replay is refused (the nonce is used)', async () => {
    const wallet = createTestWallet()
    const text = await message(wallet)
    const first = await signIn(wallet, text)
    assert.equal(first.status, 200, JSON.stringify(first.body))
    const read = assertModel('VerifyResponse', first.body)
    assertModel('SdkUser', first.body.user)
    for (const credential of (first.body.user as { verifiedCredentials: unknown[] }).verifiedCredentials)
      assertModel('JwtVerifiedCredential', credential)
    assert.equal(
      (read.user as { verifiedCredentials: Array<{ address: string }> }).verifiedCredentials[0]!.address,
      wallet.address,
    )
    refused(await signIn(wallet, text), 'invalid_nonce')
  })

  test("every answer of the sign-in, link, email and unlink routes reads as Dynamic's models", async () => {
    const wallet = createTestWallet()
    const second = createTestWallet()
    const signedIn = await signIn(wallet, await message(wallet))
    assert.equal(signedIn.status, 200)
    assertModel('VerifyResponse', signedIn.body)
    const bearer = {
      'content-type': 'application/json',
      origin: APP_ORIGIN,
      authorization: `Bearer ${signedIn.body.minifiedJwt as string}`,
    }
    const post = async (route: string, body: unknown) => {
      const response = await fetch(`${sdk()}/${route}`, { method: 'POST', headers: bearer, body: JSON.stringify(body) })
      return { status: response.status, body: (await response.json()) as Record<string, unknown> }
    }
    const text = await message(second)
    const linked = await post('verify/link', {
      chain: 'EVM',
      publicWalletAddress: second.address,
      walletName: 'secondevm',
      walletProvider: 'browserExtension',
      network: '1',
      messageToSign: text,
      signedMessage: second.signMessage(text),
    })
    assert.equal(linked.status, 200, JSON.stringify(linked.body))
    assertModel('VerifyResponse', linked.body)
    const created = await post('emailVerifications/create', { email: 'models@example.com' })
    assertModel('EmailVerificationCreateResponse', created.body)
    const verified = await post('emailVerifications/verify', {
      verificationUUID: created.body.verificationUUID,
      verificationToken: server.emulator.lastCode('models@example.com'),
    })
    assert.equal(verified.status, 200, JSON.stringify(verified.body))
    const read = assertModel('VerifyResponse', verified.body)
    const user = read.user as {
      verifiedCredentials: Array<{ id: string; format: string; address?: string }>
      lastVerifiedCredentialId: string
    }
    assert.deepEqual(
      user.verifiedCredentials.map((c) => c.format),
      ['blockchain', 'blockchain', 'email'],
    )
    for (const credential of (verified.body.user as { verifiedCredentials: unknown[] }).verifiedCredentials)
      assertModel('JwtVerifiedCredential', credential)
    assertModel('DynamicJwt', claimsOf(verified.body.jwt as string))
    assertModel('MinifiedDynamicJwt', claimsOf(verified.body.minifiedJwt as string))
    const unlinked = await post('verify/unlink', { walletId: user.verifiedCredentials[1]!.id })
    assert.equal(unlinked.status, 200, JSON.stringify(unlinked.body))
    assertModel('VerifyResponse', unlinked.body)
    assert.deepEqual(
      (
        unlinked.body.user as { verifiedCredentials: Array<{ address?: string; email?: string }> }
      ).verifiedCredentials.map((c) => c.address ?? c.email),
      [wallet.address, 'models@example.com'],
    )
    assert.equal((await post('verify/unlink', { walletId: 'nope' })).body.code, 'credential_not_found')
    assert.equal((await post('verify/unlink', {})).body.code, 'invalid_request')
  })

  test('a wrong signature, another domain, an expired message, another chain, a made-up nonce: refused', async () => {
    const wallet = createTestWallet()
    const other = createTestWallet()
    const text = await message(wallet)
    refused(await signIn(wallet, text, { signature: other.signMessage(text) }), 'invalid_signature')
    refused(
      await signIn(wallet, text, { signature: `${wallet.signMessage(text).slice(0, -2)}1d` }),
      'invalid_signature',
    )
    refused(await signIn(wallet, text, { signature: '0x1234' }), 'invalid_signature')
    // A message for another site, sent from this app, or from nowhere.
    refused(
      await signIn(wallet, await message(wallet, { domain: 'evil.example', uri: 'https://evil.example/' })),
      'invalid_domain',
    )
    refused(
      await signIn(wallet, await message(wallet, { domain: 'evil.example', uri: 'https://evil.example/' }), {
        origin: null,
      }),
      'invalid_domain',
    )
    refused(await signIn(wallet, await message(wallet, { uri: 'https://evil.example/' })), 'invalid_domain')
    // Old, or past its expiration time.
    refused(
      await signIn(wallet, await message(wallet, { issuedAt: new Date(Date.now() - 3600_000).toISOString() })),
      'expired_message',
    )
    const expiring = (await message(wallet)).replace(
      '\nNonce:',
      `\nExpiration Time: ${new Date(Date.now() - 1000).toISOString()}\nNonce:`,
    )
    refused(await signIn(wallet, expiring), 'expired_message')
    refused(await signIn(wallet, await message(wallet, { chainId: '5' })), 'invalid_chain_id')
    refused(
      await signIn(wallet, await message(wallet, { requestId: '00000000-0000-4000-8000-000000000000' })),
      'invalid_message',
    )
    refused(await signIn(wallet, await message(wallet, { nonce: 'f'.repeat(32) })), 'invalid_nonce')
    refused(await signIn(wallet, 'not a sign-in message'), 'invalid_message')
    // The message names another address than the one signing in.
    refused(await signIn(wallet, await message(other)), 'invalid_message')
    // None of these signed anyone in: the good message still works (its nonce was not used).
    assert.equal((await signIn(wallet, text)).status, 200)
  })
})

describe("SMS codes through Dynamic's client", () => {
  let server: TestIssuerServer
  const texts: string[] = []
  before(async () => {
    server = await issuer.listen({ onSmsOtp: ({ phone }) => void texts.push(phone) })
  })
  after(async () => {
    await settleClients()
    await server.close()
  })

  test('signs in by SMS code; a wallet user adds a phone number; the tokens carry the phoneNumber credential', async () => {
    const config = dynamicClientConfig(server)
    const client = createDynamicClient(config)
    clients.push({ client, idle: config.idle })
    await initializeClient(client)
    const otp = await sendSmsOTP({ isoCountryCode: 'US', phoneNumber: '5555550123' }, client)
    assert.deepEqual(texts, ['+15555550123'])
    const code = (
      (await (await fetch(`${server.otpUrl}?phone=${encodeURIComponent('+15555550123')}`)).json()) as { code: string }
    ).code
    const signedIn = await verifyOTP({ otpVerification: otp, verificationToken: code }, client)
    const id = claimsOf(signedIn.jwt!)
    const [credential] = id.verified_credentials as Array<
      Credential & { phoneNumber?: string; phoneCountryCode?: string; isoCountryCode?: string }
    >
    assert.deepEqual(
      [
        credential!.format,
        credential!.phoneNumber,
        credential!.phoneCountryCode,
        credential!.isoCountryCode,
        credential!.public_identifier,
      ],
      ['phoneNumber', '5555550123', '1', 'US', '+15555550123'],
    )
    assert.equal(id.phone_number, '+15555550123')
    assert.equal(id.last_verified_credential_id, credential!.id)
    assertModel('DynamicJwt', id)
    assert.equal(
      typeof (claimsOf(client.token!).verifiedCredentialsHashes as Record<string, string>).phoneNumber,
      'string',
    )

    // A wallet user adds a number: smsVerifications/verify.
    const wallet = createTestWallet()
    const { client: walletClient, keys } = await newClient(server, { wallet, name: 'Phone Wallet' })
    await connectAndVerifyWithWalletProvider({ walletProviderKey: keys[0]! }, walletClient)
    const added = await sendSmsOTP({ isoCountryCode: 'GB', phoneNumber: '7700900123' }, walletClient)
    const linked = await verifyOTP(
      { otpVerification: added, verificationToken: server.emulator.lastCode('+447700900123')! },
      walletClient,
    )
    assert.deepEqual(
      (claimsOf(linked.jwt!).verified_credentials as Credential[]).map((c) => c.format),
      ['blockchain', 'phoneNumber'],
    )
    // The first user's number belongs to them.
    const taken = await sendSmsOTP({ isoCountryCode: 'US', phoneNumber: '5555550123' }, walletClient)
    await assert.rejects(
      verifyOTP({ otpVerification: taken, verificationToken: server.emulator.lastCode('+15555550123')! }, walletClient),
      { code: 'phone_number_already_exists', status: 409 },
    )
  })

  test('an SMS code does not open an email sign-in, and a bad number is refused', async () => {
    const sdk = `${server.apiBaseUrl}/sdk/${env}`
    const post = (route: string, body: unknown) =>
      fetch(`${sdk}/${route}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    const created = (await (
      await post('smsVerifications/create', { phoneNumber: '5555550199', phoneCountryCode: '1', isoCountryCode: 'US' })
    ).json()) as Record<string, unknown>
    assertModel('SmsVerificationCreateResponse', created)
    const wrongChannel = await post('emailVerifications/signin', {
      verificationUUID: created.verificationUUID,
      verificationToken: server.emulator.lastCode('+15555550199'),
    })
    assert.equal(((await wrongChannel.json()) as { code: string }).code, 'unknown_verification')
    const bad = await post('smsVerifications/create', {
      phoneNumber: 'call me',
      phoneCountryCode: '1',
      isoCountryCode: 'US',
    })
    assert.equal(bad.status, 400)
    assert.equal(((await bad.json()) as { code: string }).code, 'invalid_phone_number')
  })
})
