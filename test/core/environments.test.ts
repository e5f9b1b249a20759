/**
 * Several Dynamic environments in one verifier, with real parts: two environments with their own
 * keys and JWKS served over HTTP by the local Dynamic (`createTestEnvironments().listen()`).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createDynamicAuth, DynamicAuthConfigError, ERROR_STATUS, type DynamicAuth } from '../../src/index.js'
import { setupAdapter } from '../../src/http/setup.js'
import { healthCheck } from '../../src/http/health.js'
import { createTestIssuer } from '../../src/testing/index.js'
import {
  createTestEnvironments,
  type TestEnvironments,
  type TestEnvironmentsServer,
} from '../../src/testing/environments.js'
import { rejectsWith } from '../support/jwks-server.js'

const OTHER_ENVIRONMENT = '11111111-2222-4333-8444-555555555555'

describe('createDynamicAuth({ environments }) over two environments served over HTTP', () => {
  let project: TestEnvironments
  let server: TestEnvironmentsServer
  let auth: DynamicAuth
  const live = () => project.environment('live')
  const sandbox = () => project.environment('sandbox')

  before(async () => {
    project = createTestEnvironments()
    server = await project.listen()
    auth = createDynamicAuth({
      environments: [
        { id: live().environmentId, name: 'live', jwks: { url: server.environment('live').jwksUrl } },
        { id: sandbox().environmentId, name: 'sandbox', jwks: { url: server.environment('sandbox').jwksUrl } },
      ],
      telemetry: false,
    })
  })
  after(() => server.close())

  it('reports every environment before any key is loaded: unavailable', () => {
    const health = auth.health()
    assert.equal(health.status, 'unavailable')
    assert.deepEqual(
      health.environments?.map((env) => [env.name, env.status, env.keys.state]),
      [
        ['live', 'unavailable', 'not_loaded'],
        ['sandbox', 'unavailable', 'not_loaded'],
      ],
    )
    assert.equal(auth.environmentId, live().environmentId, 'environmentId is the first environment')
    assert.deepEqual(auth.environments, [
      { id: live().environmentId, name: 'live' },
      { id: sandbox().environmentId, name: 'sandbox' },
    ])
  })

  it("accepts each environment's tokens, with the environment and its name on the session", async () => {
    const liveSession = await auth.verifyToken(live().mint({ sid: 'live-session' }))
    assert.equal(liveSession.environmentId, live().environmentId)
    assert.equal(liveSession.environmentName, 'live')
    // Only the live JWKS is fetched so far: the instance still verifies, degraded.
    assert.equal(server.environment('sandbox').jwksRequests, 0)
    const partly = auth.health()
    assert.equal(partly.status, 'degraded')
    assert.equal(partly.keys.state, 'not_loaded', "the top-level keys are the worst environment's")
    const sandboxSession = await auth.verifyToken(sandbox().mint())
    assert.equal(sandboxSession.environmentId, sandbox().environmentId)
    assert.equal(sandboxSession.environmentName, 'sandbox')
    assert.equal(
      (sandboxSession as unknown as { toJSON(): Record<string, unknown> }).toJSON().environmentName,
      'sandbox',
    )
  })

  it('fetches each JWKS once, from its own URL, however many tokens of each', async () => {
    for (let i = 0; i < 5; i++) {
      await auth.verifyToken(live().mint({ sub: `live-user-${i}` }))
      await auth.verifyToken(sandbox().mint({ sub: `sandbox-user-${i}` }))
    }
    assert.equal(server.environment('live').jwksRequests, 1)
    assert.equal(server.environment('sandbox').jwksRequests, 1)
    const health = auth.health()
    assert.equal(health.status, 'ok')
    assert.deepEqual(
      health.environments?.map((env) => [env.id, env.name, env.status, env.keys.state, env.keys.keys]),
      [
        [live().environmentId, 'live', 'ok', 'fresh', 1],
        [sandbox().environmentId, 'sandbox', 'ok', 'fresh', 1],
      ],
    )
  })

  it("refuses a token signed by the sandbox key that claims the live environment: only live's keys are tried", async () => {
    const sandboxRequests = server.environment('sandbox').jwksRequests
    const forged = sandbox().mint({ environmentId: live().environmentId })
    const error = await rejectsWith(auth.verifyToken(forged), 'key_not_found')
    assert.doesNotMatch(error.message, /sandbox/)
    assert.equal(server.environment('sandbox').jwksRequests, sandboxRequests, "the sandbox's keys are never consulted")
    // The same kid and key, but claiming live through iss only (no environment_id): refused too.
    const issOnly = sandbox().mint({ environmentId: live().environmentId, claims: { environment_id: undefined } })
    await rejectsWith(auth.verifyToken(issOnly), 'key_not_found')
  })

  it('refuses a token of an environment it does not verify with environment_mismatch, naming its own', async () => {
    const error = await rejectsWith(
      auth.verifyToken(createTestIssuer({ environmentId: OTHER_ENVIRONMENT }).mint()),
      'environment_mismatch',
    )
    assert.match(error.message, new RegExp(`${OTHER_ENVIRONMENT}, which is not one of this server's environments`))
    assert.match(error.message, /live \(9c4e2b7a/)
    const nameless = await rejectsWith(
      auth.verifyToken(live().mint({ claims: { environment_id: undefined, iss: 'app.dynamicauth.com/' } })),
      'environment_mismatch',
    )
    assert.match(nameless.message, /names no Dynamic environment/)
    await rejectsWith(auth.verifyToken('not-a-jwt'), 'token_malformed')
    await rejectsWith(auth.verifyToken(`dyn_${'a'.repeat(56)}`), 'admin_token_not_accepted')
  })

  it('restricts one call to some environments, by name or id, on the cached path too', async () => {
    const sandboxToken = sandbox().mint({ sub: 'restricted' })
    for (let i = 0; i < 2; i++) {
      const error = await rejectsWith(
        auth.verifyToken(sandboxToken, { allowedEnvironments: ['live'] }),
        'environment_not_allowed',
      )
      assert.equal(error.status, 403)
      assert.match(error.message, /accepts tokens of the environment live only/)
      assert.match(error.message, /\(sandbox\)/)
    }
    assert.equal(ERROR_STATUS.environment_not_allowed, 403)
    const ok = await auth.verifyToken(sandboxToken, { allowedEnvironments: [sandbox().environmentId.toUpperCase()] })
    assert.equal(ok.environmentName, 'sandbox')
    assert.equal(
      (await auth.verifyToken(sandboxToken, { allowedEnvironments: 'sandbox', actor: 'user' })).userId,
      'restricted',
    )
  })

  it('revokes across environments through the shared revocation store', async () => {
    const liveToken = live().mint({ sid: 'revoked-everywhere' })
    const sandboxToken = sandbox().mint({ sid: 'revoked-everywhere', sub: 'other' })
    await auth.verifyToken(liveToken)
    await auth.verifyToken(sandboxToken)
    await auth.revokeSession('revoked-everywhere')
    await rejectsWith(auth.verifyToken(liveToken), 'session_revoked')
    await rejectsWith(auth.verifyToken(sandboxToken), 'session_revoked')
    await auth.revokeUser('other')
    await rejectsWith(auth.verifyToken(sandbox().mint({ sub: 'other', sid: 'fresh' })), 'session_revoked')
    assert.equal(auth.revocationStatus().kind, 'memory')
  })

  it("checks an elevated token by its session's environment: the live step-up counts, the sandbox one does not", async () => {
    const session = await auth.verifyToken(live().mint({ sub: 'stepper', sid: 'live-step-up' }))
    const liveElevated = live().mintElevated({ scopes: ['wallet:export'], sub: 'stepper', sid: 'live-step-up' })
    const grant = await auth.verifyElevatedToken(liveElevated, session, { scopes: ['wallet:export'] })
    assert.deepEqual(grant.scopes, ['wallet:export'])
    // The same user and session ids, but stepped up in the sandbox: refused by live's own checks.
    const sandboxElevated = sandbox().mintElevated({ scopes: ['wallet:export'], sub: 'stepper', sid: 'live-step-up' })
    await rejectsWith(
      auth.verifyElevatedToken(sandboxElevated, session, { scopes: ['wallet:export'] }),
      'elevated_token_invalid',
    )
    // Single use is kept in one store for every environment.
    await rejectsWith(
      auth.verifyElevatedToken(liveElevated, session, { scopes: ['wallet:export'] }),
      'elevated_token_reused',
    )
  })

  it("a health handler loads every environment's keys before it answers", async () => {
    const fresh = createDynamicAuth({
      environments: [
        { id: live().environmentId, name: 'live', jwks: { url: server.environment('live').jwksUrl } },
        { id: sandbox().environmentId, name: 'sandbox', jwks: { url: server.environment('sandbox').jwksUrl } },
      ],
      telemetry: false,
    })
    const answer = await healthCheck(fresh)()
    assert.equal(answer.status, 200, answer.body)
    const body = JSON.parse(answer.body) as {
      status: string
      environments: Array<{ name: string; keys: { state: string } }>
    }
    assert.equal(body.status, 'ok')
    assert.deepEqual(
      body.environments.map((env) => [env.name, env.keys.state]),
      [
        ['live', 'fresh'],
        ['sandbox', 'fresh'],
      ],
    )
  })

  it("a route's allowedEnvironments must name the verifier's environments, checked at start-up", () => {
    assert.doesNotThrow(() => setupAdapter(auth, { allowedEnvironments: ['live', sandbox().environmentId] }))
    assert.throws(
      () => setupAdapter(auth, { allowedEnvironments: ['lvie'] }),
      (error: unknown) =>
        error instanceof DynamicAuthConfigError &&
        /allowedEnvironments names "lvie", which is not an environment of this verifier \(its environments: live \(/.test(
          error.message,
        ),
    )
    assert.throws(() => setupAdapter(auth, { allowedEnvironments: [] }), /"allowedEnvironments" must be/)
  })
})

describe('createDynamicAuth({ environments }) options', () => {
  const project = createTestEnvironments()
  const liveId = project.environment('live').environmentId
  const sandboxId = project.environment('sandbox').environmentId
  const keys = (name: string) => ({ jwks: project.environment(name).jwks() })
  const refuses = (options: unknown, message: RegExp) =>
    assert.throws(
      () => createDynamicAuth(options as Parameters<typeof createDynamicAuth>[0]),
      (error: unknown) => error instanceof DynamicAuthConfigError && message.test(error.message),
      String(message),
    )

  it('takes static keys and an issuer per environment, and one environment alone', async () => {
    const auth = createDynamicAuth({
      environments: [
        { id: liveId, name: 'live', staticKeys: keys('live') },
        { id: sandboxId.toUpperCase(), staticKeys: keys('sandbox'), issuer: `app.dynamicauth.com/${sandboxId}` },
      ],
      telemetry: false,
    })
    assert.equal((await auth.verifyToken(project.environment('sandbox').mint())).environmentName, undefined)
    assert.equal((await auth.verifyToken(project.environment('live').mint())).environmentName, 'live')
    const one = createDynamicAuth({ environments: [{ id: liveId, name: 'live', staticKeys: keys('live') }] })
    assert.equal((await one.verifyToken(project.environment('live').mint())).environmentName, 'live')
    assert.equal(one.health().environments?.[0]?.keys.state, 'static')
  })

  it('the single-environment form is unchanged: one environment, no name', async () => {
    const auth = createDynamicAuth(project.environment('live').authOptions())
    assert.deepEqual(auth.environments, [{ id: liveId, name: undefined }])
    const session = await auth.verifyToken(project.environment('live').mint())
    assert.equal(session.environmentName, undefined)
    assert.equal('environmentName' in (session as unknown as { toJSON(): object }).toJSON(), false)
    assert.equal(auth.health().environments, undefined)
  })

  it('refuses bad options with the fix', () => {
    const env = { id: liveId, name: 'live', staticKeys: keys('live') }
    refuses({ environmentId: liveId, environments: [env] }, /give environmentId \(one environment\) or environments/)
    refuses({ environments: [] }, /environments must be a non-empty list/)
    refuses({ environments: env }, /environments must be a non-empty list/)
    refuses({ environments: [env], issuer: 'x' }, /set issuer on each entry of environments/)
    refuses({ environments: [env], staticKeys: keys('live') }, /set staticKeys on each entry/)
    refuses({ environments: [{ id: liveId }], jwks: { url: 'https://x.example/jwks' } }, /set jwks.url on each entry/)
    refuses({ environments: [{ id: 'live' }] }, /environments\[0\]\.id must be an environment id, a UUID/)
    refuses({ environments: [{ id: liveId, name: 'has space' }] }, /environments\[0\]\.name must be 1 to 64/)
    refuses(
      { environments: [env, { ...env, id: liveId.toUpperCase(), name: 'b' }] },
      /environments\[1\] and environments\[0\] share/,
    )
    refuses({ environments: [env, { id: sandboxId, name: 'live' }] }, /share "live"/)
    refuses({ environments: [{ ...env, jwksUrl: 'x' }] }, /unknown option "environments\[0\]\.jwksUrl"/)
    refuses(
      { environments: [env, { id: sandboxId, name: 'sandbox', jwks: { url: 'http://example.com/jwks' } }] },
      /^dynamic-guard: environments\[1\] \(sandbox\): jwks\.url must use https/,
    )
    refuses({ environments: [env], clockTolerance: 9999 }, /^dynamic-guard: clockTolerance must be a number/)
    refuses({ enviroments: [env] }, /did you mean environments\?/)
  })
})
