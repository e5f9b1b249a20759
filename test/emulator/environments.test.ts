/**
 * Several environments on one local Dynamic: a sandbox and a live environment, each with its own
 * id, RSA key and JWKS, served under Dynamic's paths on one origin over real HTTP on 127.0.0.1.
 * A verifier pinned to one environment accepts its tokens and refuses the other's; Dynamic's real
 * client signs in to each; users, codes and key rotations stay within their environment.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createDynamicClient, initializeClient, logout, sendEmailOTP, verifyOTP } from '@dynamic-labs-sdk/client'
import { createDynamicAuth, DynamicAuthError } from '../../src/index.js'
import { dynamicClientConfig, TEST_ENVIRONMENT_ID } from '../../src/testing/index.js'
import {
  createTestEnvironments,
  TEST_LIVE_ENVIRONMENT_ID,
  type TestEnvironmentsServer,
} from '../../src/testing/environments.js'

const claimsOf = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'))
const OTP = '135790'

describe('several environments on one local Dynamic', () => {
  const project = createTestEnvironments([
    { name: 'sandbox', modulusLength: 2048 },
    { name: 'live', modulusLength: 2048 },
  ])
  let server: TestEnvironmentsServer
  const settle: Array<() => Promise<void>> = []

  before(async () => {
    server = await project.listen({ otpCode: OTP })
  })
  after(async () => {
    for (const done of settle) await done()
    await server.close()
  })

  test("each environment has its own id, key and JWKS, under Dynamic's paths on one origin", async () => {
    const sandbox = project.environment('sandbox')
    const live = project.environment('live')
    assert.equal(sandbox.environmentId, TEST_ENVIRONMENT_ID)
    assert.equal(live.environmentId, TEST_LIVE_ENVIRONMENT_ID)
    assert.equal(project.environment(TEST_LIVE_ENVIRONMENT_ID), live)
    assert.throws(() => project.environment('staging'), /No environment "staging"/)

    const [sandboxJwks, liveJwks] = await Promise.all(
      server.environments.map(async (environment) => {
        assert.equal(environment.origin, server.origin)
        assert.equal(environment.jwksUrl, `${server.origin}/api/v0/sdk/${environment.environmentId}/.well-known/jwks`)
        return ((await (await fetch(environment.jwksUrl)).json()) as { keys: Array<{ kid: string; n: string }> }).keys
      }),
    )
    assert.deepEqual(
      sandboxJwks!.map((key) => key.kid),
      [sandbox.kid],
    )
    assert.deepEqual(
      liveJwks!.map((key) => key.kid),
      [live.kid],
    )
    assert.notEqual(sandboxJwks![0]!.n, liveJwks![0]!.n, 'no shared key material')

    const root = (await (await fetch(`${server.origin}/`)).json()) as {
      environments: Array<{ name: string; environmentId: string }>
    }
    assert.deepEqual(
      root.environments.map((environment) => [environment.name, environment.environmentId]),
      [
        ['sandbox', TEST_ENVIRONMENT_ID],
        ['live', TEST_LIVE_ENVIRONMENT_ID],
      ],
    )
    const unknown = await fetch(`${server.apiBaseUrl}/sdk/5a1f0c3e-9d8b-4f6a-b2c1-7e6d5c4b3a29/settings`)
    assert.equal(unknown.status, 404)
    assert.equal(((await unknown.json()) as { code: string }).code, 'environment_not_found')
  })

  test("a verifier pinned to one environment accepts its tokens and refuses the other environment's", async () => {
    const sandboxAuth = createDynamicAuth({
      environmentId: TEST_ENVIRONMENT_ID,
      jwks: { url: server.environment('sandbox').jwksUrl },
    })
    const liveAuth = createDynamicAuth({
      environmentId: TEST_LIVE_ENVIRONMENT_ID,
      jwks: { url: server.environment('live').jwksUrl },
    })
    const sandboxToken = project.environment('sandbox').mint()
    const liveToken = project.environment('live').mint()
    assert.equal((await sandboxAuth.verifyToken(sandboxToken)).environmentId, TEST_ENVIRONMENT_ID)
    assert.equal((await liveAuth.verifyToken(liveToken)).environmentId, TEST_LIVE_ENVIRONMENT_ID)
    await assert.rejects(sandboxAuth.verifyToken(liveToken), DynamicAuthError)
    await assert.rejects(liveAuth.verifyToken(sandboxToken), DynamicAuthError)
    // A live-shaped token signed with the sandbox key is refused by the live verifier.
    await assert.rejects(
      liveAuth.verifyToken(project.environment('sandbox').mint({ environmentId: TEST_LIVE_ENVIRONMENT_ID })),
      DynamicAuthError,
    )
  })

  test("Dynamic's real client signs in to each environment; the same email is a different user in each", async () => {
    const email = 'both@example.com'
    const users: Record<string, unknown> = {}
    for (const environment of server.environments) {
      const config = dynamicClientConfig(environment)
      const client = createDynamicClient(config)
      settle.push(async () => {
        if (client.user) await logout(client)
        await config.idle()
      })
      await initializeClient(client)
      assert.equal((client.projectSettings as { environmentName?: string }).environmentName, environment.name)
      await verifyOTP({ otpVerification: await sendEmailOTP({ email }, client), verificationToken: OTP }, client)
      const claims = claimsOf(client.token!)
      assert.equal(claims.environment_id, environment.environmentId)
      assert.equal(claims.iss, `app.dynamicauth.com/${environment.environmentId}`)
      assert.equal(
        JSON.parse(Buffer.from(client.token!.split('.')[0]!, 'base64url').toString('utf8')).kid,
        project.environment(environment.name).kid,
      )
      const auth = createDynamicAuth({ environmentId: environment.environmentId, jwks: { url: environment.jwksUrl } })
      assert.equal((await auth.verifyToken(client.token!)).userId, client.user!.id)
      users[environment.name] = client.user!.id
      assert.ok(environment.emulator.session(claims.sid as string), 'the session lives in its own environment')
    }
    assert.notEqual(users.sandbox, users.live)

    // The admin API: each environment's users, behind that environment's own dyn_ token.
    const live = server.environment('live')
    const sandbox = server.environment('sandbox')
    const read = (token: string) =>
      fetch(`${server.apiBaseUrl}/environments/${live.environmentId}/users/${users.live}`, {
        headers: { authorization: `Bearer ${token}` },
      })
    assert.equal(
      ((await (await read(live.emulator.adminToken)).json()) as { user: { id: string } }).user.id,
      users.live,
    )
    assert.equal(
      (await read(sandbox.emulator.adminToken)).status,
      401,
      "the sandbox's token is not the live environment's",
    )
    const sandboxUser = await fetch(`${server.apiBaseUrl}/environments/${sandbox.environmentId}/users/${users.live}`, {
      headers: { authorization: `Bearer ${sandbox.emulator.adminToken}` },
    })
    assert.equal(sandboxUser.status, 404, 'the live user is not a sandbox user')
  })

  test("the emulator's own calls find the environment by the session or address they name, or by ?environmentId=", async () => {
    const live = server.environment('live')
    const created = await fetch(`${live.apiBaseUrl}/sdk/${live.environmentId}/emailVerifications/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'live-only@example.com' }),
    })
    assert.equal(created.status, 201)
    assert.deepEqual(await (await fetch(`${live.otpUrl}?email=live-only@example.com`)).json(), { code: OTP })
    assert.equal(server.environment('sandbox').emulator.lastCode('live-only@example.com'), undefined)

    const before = project.environment('sandbox').kid
    const rotated = (await (await fetch(live.rotateKeyUrl, { method: 'POST' })).json()) as {
      kid: string
      kids: string[]
    }
    assert.equal(rotated.kid, project.environment('live').kid)
    assert.equal(project.environment('sandbox').kid, before, 'the other environment keeps its key')
    assert.equal(
      (await fetch(`${server.origin}/emulator/rotate-key?environmentId=nope`, { method: 'POST' })).status,
      404,
    )
  })

  test('refuses two environments with one id, and an unknown kind', () => {
    assert.throws(
      () => createTestEnvironments([{ name: 'sandbox' }, { name: 'live', environmentId: TEST_ENVIRONMENT_ID }]),
      /Two environments have the id/,
    )
    assert.throws(() => createTestEnvironments([{ name: 'staging' as 'live' }]), /"sandbox" or "live"/)
    assert.throws(() => createTestEnvironments([]), /at least one/)
  })
})
