/**
 * Dynamic's real, unmodified client (`@dynamic-labs-sdk/client`, pinned) in Node against the
 * emulator served by `createTestIssuer().listen()`: email-code sign-in, the token verified by
 * `createDynamicAuth` against the emulator's JWKS, the information form (`userDataForm` →
 * `user:basic`), refresh keeping `originalSid`, logout → `session_revoked` in an app fed by the
 * emulator's signed webhooks through `dynamic-guard/webhooks`, MFA pending, fixed codes.
 * Everything on 127.0.0.1.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  createDynamicClient,
  initializeClient,
  isUserMissingMfaAuth,
  logout,
  refreshAuth,
  sendEmailOTP,
  updateUser,
  verifyOTP,
} from '@dynamic-labs-sdk/client'
import { createDynamicAuth, type DynamicAuth } from '../../src/index.js'
import { createTestIssuer, dynamicClientConfig, type TestIssuerServer } from '../../src/testing/index.js'
import { createDynamicWebhooks, type DynamicWebhookEvent } from '../../src/webhooks/index.js'

const SECRET = 'dyn_emulator_test_secret'
const issuer = createTestIssuer()

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'))
}

async function readCode(server: TestIssuerServer, email: string): Promise<string> {
  const response = await fetch(`${server.otpUrl}?email=${encodeURIComponent(email)}`)
  assert.equal(response.status, 200)
  const body = (await response.json()) as { code: string }
  return body.code
}

/** An app: a verifier pointed at the emulator's JWKS, fed by its webhooks (set up once the emulator runs). */
interface App {
  auth: DynamicAuth
  events: DynamicWebhookEvent[]
  webhookUrl: string
  server: Server
}

async function startApp(): Promise<App & { connect(jwksUrl: string): void }> {
  const events: DynamicWebhookEvent[] = []
  let handle: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined
  const server = createServer((req, res) => void (handle ? handle(req, res) : res.writeHead(503).end()))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const app = {
    auth: undefined as unknown as DynamicAuth,
    events,
    server,
    webhookUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/dynamic`,
    connect(jwksUrl: string) {
      app.auth = createDynamicAuth({ environmentId: issuer.environmentId, jwks: { url: jwksUrl } })
      const webhooks = createDynamicWebhooks({
        secret: SECRET,
        auth: app.auth,
        onEvent: (event) => void events.push(event),
      })
      handle = webhooks.express
    },
  }
  return app
}

type Client = ReturnType<typeof createDynamicClient>
const clients: Array<{ client: Client; idle(): Promise<void> }> = []

/** Dynamic's client, configured for the emulator by `dynamicClientConfig`. */
function newClient(server: TestIssuerServer): Client {
  const config = dynamicClientConfig(server)
  const client = createDynamicClient(config)
  clients.push({ client, idle: config.idle })
  return client
}

/**
 * Before a server closes: log every client out (a signed-in client keeps a timer until its session
 * expires) and wait until none has a request in flight (after a logout the client fetches the
 * settings again on its own), so that none meets a closed port.
 */
async function settleClients(): Promise<void> {
  for (const { client, idle } of clients.splice(0)) {
    if (client.user) await logout(client)
    await idle()
  }
}

test('the pinned client version is the one the emulator was checked with', () => {
  const require = createRequire(import.meta.url)
  assert.equal((require('@dynamic-labs-sdk/client/package.json') as { version: string }).version, '1.27.1')
})

describe("email sign-in, information form, refresh and logout through Dynamic's client", () => {
  let app: Awaited<ReturnType<typeof startApp>>
  let server: TestIssuerServer
  const otps: string[] = []

  before(async () => {
    app = await startApp()
    server = await issuer.listen({
      requiredFields: ['firstName', 'lastName'],
      webhook: { url: app.webhookUrl, secret: SECRET },
      onOtp: ({ email }) => void otps.push(email),
    })
    app.connect(server.jwksUrl)
  })

  after(async () => {
    await settleClients()
    await server.close()
    app.server.closeAllConnections()
    await new Promise<void>((resolve) => app.server.close(() => resolve()))
  })

  test('signs in, fills the form, refreshes and logs out; the app sees the session revoked', async () => {
    const client = newClient(server)
    await initializeClient(client)
    assert.equal(client.initStatus, 'finished')
    assert.equal(
      client.projectSettings?.kyc.find((field: { name: string }) => field.name === 'firstName')?.required,
      true,
    )

    // Email code: sent (nowhere), read from the emulator, verified.
    const otp = await sendEmailOTP({ email: 'ada@example.com' }, client)
    assert.deepEqual(otps, ['ada@example.com'])
    const signedIn = await verifyOTP(
      { otpVerification: otp, verificationToken: await readCode(server, 'ada@example.com') },
      client,
    )
    assert.ok(client.token)
    assert.equal(client.token, signedIn.minifiedJwt, 'client.token is the minified JWT')
    assert.equal(client.user?.scope, 'userDataForm')
    assert.deepEqual(
      client.user?.missingFields?.map((field: { name: string }) => field.name),
      ['firstName', 'lastName'],
    )

    // Both tokens: RS256 under the emulator's RSA-4096 key, one session, the claim models.
    const access = claimsOf(client.token)
    const id = claimsOf(signedIn.jwt!)
    const header = JSON.parse(Buffer.from(client.token.split('.')[0]!, 'base64url').toString('utf8'))
    assert.equal(header.alg, 'RS256')
    assert.equal(header.kid, issuer.kid)
    assert.equal(Buffer.from(client.token.split('.')[2]!, 'base64url').length, 512, 'a 4096-bit signature')
    assert.equal(access.sub, client.user?.id)
    assert.equal(access.sid, id.sid)
    assert.equal(access.originalSid, access.sid)
    assert.equal(access.environment_id, issuer.environmentId)
    assert.equal(access.scope, 'userDataForm')
    assert.ok(!('verified_credentials' in access), 'the minified token carries only hashes')
    assert.deepEqual(
      (id.missing_fields as Array<{ name: string }>).map((field) => field.name),
      ['firstName', 'lastName'],
    )
    assert.equal((id.verified_credentials as Array<{ email?: string }>)[0]?.email, 'ada@example.com')
    assert.equal(id.email, 'ada@example.com')

    // The app refuses the form-pending token, whatever the pending-step wording.
    await assert.rejects(app.auth.verifyToken(client.token), { code: 'insufficient_scope' })

    // PUT users supplies the fields: user:basic.
    await updateUser({ userFields: { firstName: 'Ada', lastName: 'Lovelace' } }, client)
    assert.equal(client.user?.scope, 'user:basic')
    assert.deepEqual(client.user?.missingFields, [])
    const basic = client.token!
    const session = await app.auth.verifyToken(basic)
    assert.equal(session.userId, client.user?.id)
    assert.equal(session.sessionId, access.sid)

    // Refresh: a new token and sid, the same originalSid; the full token has the names.
    const refreshed = await refreshAuth(client)
    assert.notEqual(client.token, basic)
    const next = claimsOf(client.token!)
    assert.notEqual(next.sid, access.sid)
    assert.equal(next.originalSid, access.sid)
    assert.equal(claimsOf(refreshed.jwt!).given_name, 'Ada')
    assert.equal(claimsOf(refreshed.jwt!).family_name, 'Lovelace')
    assert.ok(await app.auth.verifyToken(client.token!))
    assert.ok(await app.auth.verifyToken(refreshed.jwt!), 'the full token verifies too')
    const sessionUrl = `${server.apiBaseUrl}/sdk/${issuer.environmentId}/session`
    const latest = client.token!
    assert.equal((await fetch(sessionUrl, { headers: { authorization: `Bearer ${latest}` } })).status, 204)

    // Logout: the emulator revokes the session and tells the app, before answering the client.
    await logout(client)
    assert.equal(client.token, null)
    assert.equal((await fetch(sessionUrl, { headers: { authorization: `Bearer ${latest}` } })).status, 401)
    await assert.rejects(app.auth.verifyToken(latest), { code: 'session_revoked' })
    await assert.rejects(
      app.auth.verifyToken(basic),
      { code: 'session_revoked' },
      'every token of the session, before and after the refresh',
    )

    const names = app.events.map((event) => event.eventName)
    assert.deepEqual(names, ['user.created', 'user.session.created', 'user.updated', 'user.session.revoked'])
    assert.equal(app.events[0]!.data?.id, session.userId, 'user.created: data is the user')
    assert.equal(app.events[2]!.data?.firstName, 'Ada', 'user.updated: data is the user as updated')
    assert.equal(app.events[3]!.data?.id, access.sid, 'data.id is the session id')
    assert.ok(app.events[3]!.data?.revokedAt)
    assert.deepEqual(
      server.emulator.webhookDeliveries.map((delivery) => [delivery.eventName, delivery.status]),
      [
        ['user.created', 200],
        ['user.session.created', 200],
        ['user.updated', 200],
        ['user.session.revoked', 200],
      ],
    )

    // Signing in again: the same user, not new any more, a new session.
    const again = await verifyOTP(
      {
        otpVerification: await sendEmailOTP({ email: 'ADA@example.com' }, client),
        verificationToken: await readCode(server, 'ada@example.com'),
      },
      client,
    )
    assert.equal(again.user.id, session.userId)
    assert.equal(again.user.newUser, false)
    assert.equal(again.user.firstName, 'Ada')
    assert.notEqual(claimsOf(again.minifiedJwt!).sid, access.sid)
    assert.equal(claimsOf(again.minifiedJwt!).scope, 'user:basic')
  })

  test("deleting a user on demand: user.deleted, and the app refuses the user's tokens", async () => {
    const client = newClient(server)
    await initializeClient(client)
    await verifyOTP(
      {
        otpVerification: await sendEmailOTP({ email: 'grace@example.com' }, client),
        verificationToken: await readCode(server, 'grace@example.com'),
      },
      client,
    )
    await updateUser({ userFields: { firstName: 'Grace', lastName: 'Hopper' } }, client)
    const token = client.token!
    const userId = client.user!.id
    assert.ok(await app.auth.verifyToken(token))
    const before = app.events.length
    const response = await fetch(`${server.origin}/emulator/users/${userId}`, { method: 'DELETE' })
    assert.equal(response.status, 200)
    const deleted = app.events.slice(before)
    assert.deepEqual(
      deleted.map((event) => event.eventName),
      ['user.deleted'],
    )
    assert.equal(deleted[0]!.data?.id, userId)
    await assert.rejects(app.auth.verifyToken(token), { code: 'session_revoked' })
    assert.equal(
      (
        await fetch(`${server.apiBaseUrl}/sdk/${issuer.environmentId}/users`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).status,
      401,
    )
    await logout(client)
    assert.equal(app.events.length, before + 1, 'logging out of an ended session sends nothing more')
  })

  test("a wrong code is Dynamic's APIError with a 4xx", async () => {
    const client = newClient(server)
    await initializeClient(client)
    const otp = await sendEmailOTP({ email: 'wrong@example.com' }, client)
    const right = await readCode(server, 'wrong@example.com')
    const wrong = right === '000000' ? '111111' : '000000'
    await assert.rejects(
      verifyOTP({ otpVerification: otp, verificationToken: wrong }, client),
      (error: { code?: string; status?: number }) => {
        assert.equal(error.code, 'invalid_verification_code')
        assert.equal(error.status, 400)
        return true
      },
    )
    assert.equal(client.token, null)
    assert.ok(await verifyOTP({ otpVerification: otp, verificationToken: right }, client), 'the right code still works')
  })
})

describe('MFA pending and fixed codes', () => {
  let server: TestIssuerServer
  let auth: DynamicAuth

  before(async () => {
    server = await issuer.listen({ requireMfa: true, otpCode: '246810' })
    auth = createDynamicAuth({ environmentId: issuer.environmentId, jwks: { url: server.jwksUrl } })
  })
  after(async () => {
    await settleClients()
    await server.close()
  })

  test('tokens carry requiresAdditionalAuth until the emulator call completes MFA; then refresh gives user:basic', async () => {
    const client = newClient(server)
    await initializeClient(client)
    const otp = await sendEmailOTP({ email: 'mfa@example.com' }, client)
    assert.equal(await readCode(server, 'mfa@example.com'), '246810', 'every code is the fixed one')
    await verifyOTP({ otpVerification: otp, verificationToken: '246810' }, client)
    assert.equal(client.user?.scope, 'requiresAdditionalAuth')
    assert.equal(isUserMissingMfaAuth(client), true)
    assert.equal(client.projectSettings?.security.mfa?.required, true)
    await assert.rejects(auth.verifyToken(client.token!), { code: 'insufficient_scope' })

    // Refreshing does not complete it.
    await refreshAuth(client)
    assert.equal(claimsOf(client.token!).scope, 'requiresAdditionalAuth')

    const done = await fetch(`${server.origin}/emulator/mfa/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sessionId: claimsOf(client.token!).sid }),
    })
    assert.equal(done.status, 200)
    assert.deepEqual(await done.json(), { completed: [claimsOf(client.token!).originalSid] })
    await refreshAuth(client)
    assert.equal(client.user?.scope, 'user:basic')
    assert.equal(isUserMissingMfaAuth(client), false)
    assert.ok(await auth.verifyToken(client.token!))
  })
})
