/**
 * The emulated admin API, as a backend calls it: a user by id and a session's revocation behind
 * the `dyn_` token the emulator issues; the revocation's `admin.user.session.revoked` webhook,
 * whose `userId` is the acting admin and whose `data` is the session; Dynamic's client, revoked by
 * the admin, refused when it tries to add an email, then signing in afresh. Everything on 127.0.0.1.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createDynamicClient, initializeClient, logout, sendEmailOTP, verifyOTP } from '@dynamic-labs-sdk/client'
import { createDynamicAuth, type DynamicAuth } from '../../src/index.js'
import { createTestIssuer, dynamicClientConfig, type TestIssuerServer } from '../../src/testing/index.js'
import { createDynamicWebhooks, type DynamicWebhookEvent } from '../../src/webhooks/index.js'
import { assertModel } from './models.js'

const SECRET = 'dyn_admin_test_secret'
const issuer = createTestIssuer()
const env = issuer.environmentId

const claimsOf = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'))

describe('the admin API', () => {
  let server: TestIssuerServer
  let hooks: Server
  let auth: DynamicAuth
  const events: DynamicWebhookEvent[] = []
  const admin = (path: string, init: RequestInit = {}, token = server.emulator.adminToken) =>
    fetch(`${server.apiBaseUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string> | undefined) },
    })

  before(async () => {
    let handle: ((req: never, res: never) => void) | undefined
    hooks = createServer((req, res) => (handle ? handle(req as never, res as never) : void res.writeHead(503).end()))
    await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve))
    server = await issuer.listen({
      webhook: { url: `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/`, secret: SECRET },
    })
    auth = createDynamicAuth({ environmentId: env, jwks: { url: server.jwksUrl } })
    handle = createDynamicWebhooks({ secret: SECRET, auth, onEvent: (event) => void events.push(event) })
      .express as never
  })
  after(async () => {
    await server.close()
    hooks.closeAllConnections()
    await new Promise<void>((resolve) => hooks.close(() => resolve()))
  })

  test("the token is the emulator's dyn_ token; others are refused with a code that says so", async () => {
    assert.match(server.emulator.adminToken, /^dyn_[A-Za-z0-9_-]{16,}$/)
    const missing = await fetch(`${server.apiBaseUrl}/environments/${env}/users/x`)
    assert.equal(missing.status, 401)
    assert.deepEqual(await missing.json(), {
      error:
        "The admin API needs Authorization: Bearer dyn_… (the local Dynamic's token is server.emulator.adminToken).",
      code: 'unauthorized',
    })
    const wrong = await admin(`/environments/${env}/users/x`, {}, `dyn_${'x'.repeat(32)}`)
    assert.equal(wrong.status, 401)
    assert.equal(((await wrong.json()) as { code: string }).code, 'invalid_api_token')
    const userToken = await admin(`/environments/${env}/users/x`, {}, issuer.mint())
    assert.equal(userToken.status, 401, "a user's JWT is not an admin token")
    const elsewhere = await admin('/environments/00000000-0000-4000-8000-000000000000/users/x')
    assert.equal(((await elsewhere.json()) as { code: string }).code, 'environment_not_found')
    const unserved = await admin(`/environments/${env}/users`)
    assert.equal(unserved.status, 404)
    assert.equal(((await unserved.json()) as { code: string }).code, 'not_emulated')
  })

  test('a user by id; a session revoked by the admin: admin.user.session.revoked names the admin', async () => {
    const config = dynamicClientConfig(server)
    const client = createDynamicClient(config)
    await initializeClient(client)
    await verifyOTP(
      {
        otpVerification: await sendEmailOTP({ email: 'admin-case@example.com' }, client),
        verificationToken: server.emulator.lastCode('admin-case@example.com')!,
      },
      client,
    )
    const userId = client.user!.id
    const sid = String(claimsOf(client.token!).sid)

    const found = await admin(`/environments/${env}/users/${userId}`)
    assert.equal(found.status, 200)
    const { user } = (await found.json()) as { user: Record<string, unknown> }
    assert.equal(user.id, userId)
    assert.equal(user.email, 'admin-case@example.com')
    assert.ok(user.createdAt)
    const { createdAt: _, ...sdkMembers } = user
    assertModel('SdkUser', sdkMembers)
    assert.equal((await admin(`/environments/${env}/users/nobody`)).status, 404)

    const before = events.length
    const revoked = await admin(`/sessions/${sid}/revoke`, { method: 'PUT' })
    assert.equal(revoked.status, 200)
    const session = (await revoked.json()) as Record<string, unknown>
    assert.deepEqual(
      Object.keys(session).sort(),
      ['createdAt', 'id', 'ipAddress', 'revokedAt', 'userAgent'],
      "Dynamic's Session object",
    )
    assert.equal(session.id, sid)
    assert.ok(session.revokedAt)
    const [event] = events.slice(before)
    assert.equal(event?.eventName, 'admin.user.session.revoked')
    assert.equal(event?.userId, server.emulator.adminUserId, 'userId is the admin who acted, not the user')
    assert.notEqual(event?.userId, userId)
    assert.equal(event?.data?.id, sid, 'data is the session')
    await assert.rejects(auth.verifyToken(client.token!), { code: 'session_revoked' })
    assert.equal((await admin(`/sessions/nope/revoke`, { method: 'PUT' })).status, 404)

    // The revoked client still thinks it is signed in: its next code goes to emailVerifications/verify,
    // which refuses the revoked session (401); after logging out, the same code flow signs in afresh.
    const otp = await sendEmailOTP({ email: 'admin-case@example.com' }, client)
    await assert.rejects(
      verifyOTP(
        { otpVerification: otp, verificationToken: server.emulator.lastCode('admin-case@example.com')! },
        client,
      ),
      { status: 401, code: 'session_revoked' },
    )
    await logout(client)
    await verifyOTP(
      {
        otpVerification: await sendEmailOTP({ email: 'admin-case@example.com' }, client),
        verificationToken: server.emulator.lastCode('admin-case@example.com')!,
      },
      client,
    )
    assert.equal(client.user!.id, userId)
    assert.notEqual(claimsOf(client.token!).sid, sid)
    assert.ok(await auth.verifyToken(client.token!))
    await logout(client)
    await config.idle()
  })

  test('the emulator call that revokes "as an admin would" sends the admin event too', async () => {
    const created = (await (
      await fetch(`${server.apiBaseUrl}/sdk/${env}/emailVerifications/create`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'call@example.com' }),
      })
    ).json()) as { verificationUUID: string }
    const signedIn = (await (
      await fetch(`${server.apiBaseUrl}/sdk/${env}/emailVerifications/signin`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          verificationUUID: created.verificationUUID,
          verificationToken: server.emulator.lastCode('call@example.com'),
        }),
      })
    ).json()) as { minifiedJwt: string }
    const before = events.length
    await server.emulator.revokeSession(String(claimsOf(signedIn.minifiedJwt).sid))
    assert.deepEqual(
      events.slice(before).map((event) => [event.eventName, event.userId]),
      [['admin.user.session.revoked', server.emulator.adminUserId]],
    )
  })
})
