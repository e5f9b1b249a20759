/**
 * The route options that restrict which sessions a route accepts (`actor`), and the admin API
 * token refusal, run against every adapter. Each adapter's test file gives a small app builder:
 * one path per route option set, each answering the session's `{ userId, actor, environmentId,
 * environmentName }`. Real frameworks on 127.0.0.1, real HTTP, the emulator's own `dyn_` token.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createDynamicAuth, type DynamicAuth } from '../../src/index.js'
import type { AuthenticateOptions } from '../../src/http/index.js'
import type { DynamicSession } from '../../src/session/session.js'
import { createTestIssuer, TEST_USER_ID, type TestIssuer, type TestIssuerServer } from '../../src/testing/index.js'
import {
  createTestEnvironments,
  type TestEnvironments,
  type TestEnvironmentsServer,
} from '../../src/testing/environments.js'
import { assertRefusal, call, type RunningApp } from './harness.js'

/** The routes every adapter mounts for this suite: path → the guard's options. */
export const ROUTE_OPTIONS: Readonly<Record<string, AuthenticateOptions>> = {
  '/any': {},
  '/users': { actor: 'user' },
  '/agents': { actor: 'agent' },
  '/both': { actor: 'any' },
  '/users-forward': { actor: 'user', refusals: 'forward' },
}

/** What each route answers: the session's facts. */
export function sessionFacts(session: DynamicSession): Record<string, unknown> {
  return {
    userId: session.userId,
    actor: session.actor,
    environmentId: session.environmentId,
    environmentName: (session as { environmentName?: string }).environmentName ?? null,
  }
}

export interface RouteOptionsFixture {
  readonly name: string
  /** An app with one route per entry of `routes`, each guarded with its options and answering {@link sessionFacts}. */
  start(auth: DynamicAuth, routes: Readonly<Record<string, AuthenticateOptions>>): Promise<RunningApp>
}

/** The routes mounted on a verifier over a live and a sandbox environment. */
function environmentRoutes(sandboxId: string): Record<string, AuthenticateOptions> {
  return {
    '/any': {},
    '/live': { allowedEnvironments: ['live'] },
    '/sandbox-by-id': { allowedEnvironments: sandboxId },
    '/live-users': { allowedEnvironments: ['live'], actor: 'user' },
  }
}

export function runRouteOptionsSuite(fixture: RouteOptionsFixture): void {
  describe(`${fixture.name}: several environments and allowedEnvironments`, () => {
    let project: TestEnvironments
    let server: TestEnvironmentsServer
    let app: RunningApp

    before(async () => {
      project = createTestEnvironments()
      server = await project.listen()
      const auth = createDynamicAuth({
        environments: project.environments.map((env) => ({
          id: env.environmentId,
          name: env.name,
          jwks: { url: server.environment(env.name).jwksUrl },
        })),
      })
      app = await fixture.start(auth, environmentRoutes(project.environment('sandbox').environmentId))
    })
    after(() => Promise.all([app?.close(), server?.close()]))

    it("accepts each environment's tokens on an open route, with the environment on the session", async () => {
      for (const name of ['live', 'sandbox'] as const) {
        const env = project.environment(name)
        const answer = await call(`${app.url}/any`, { token: env.mint() })
        assert.equal(answer.status, 200, answer.text)
        assert.equal(answer.body?.environmentId, env.environmentId)
        assert.equal(answer.body?.environmentName, name)
      }
      assert.equal(server.environment('live').jwksRequests, 1)
      assert.equal(server.environment('sandbox').jwksRequests, 1)
    })

    it('restricts a route to some environments (by name or id): 403 environment_not_allowed for the others', async () => {
      const liveToken = project.environment('live').mint()
      const sandboxToken = project.environment('sandbox').mint()
      assert.equal((await call(`${app.url}/live`, { token: liveToken })).status, 200)
      assert.equal(
        (await call(`${app.url}/sandbox-by-id`, { cookie: `DYNAMIC_JWT_TOKEN=${sandboxToken}` })).status,
        200,
      )
      for (const [path, token] of [
        ['/live', sandboxToken],
        ['/sandbox-by-id', liveToken],
        ['/live-users', sandboxToken],
      ] as const) {
        const answer = await call(`${app.url}${path}`, { token })
        assertRefusal(answer, {
          status: 403,
          error: 'forbidden',
          code: 'environment_not_allowed',
          challenge: null,
          token,
        })
        assert.match(String(answer.body?.error_description), /This route accepts tokens of the environment/)
      }
      const agent = await call(`${app.url}/live-users`, { token: project.environment('live').mint({ agent: true }) })
      assertRefusal(agent, { status: 403, error: 'forbidden', code: 'actor_not_allowed', challenge: null })
    })

    it("refuses a token signed by the sandbox key that claims the live environment, and an unknown environment's", async () => {
      const forged = project.environment('sandbox').mint({ environmentId: project.environment('live').environmentId })
      const answer = await call(`${app.url}/any`, { token: forged })
      assertRefusal(answer, {
        status: 401,
        error: 'invalid_token',
        code: 'key_not_found',
        challenge: /invalid_token/,
        token: forged,
      })
      const stranger = createTestIssuer({ environmentId: '11111111-2222-4333-8444-555555555555' }).mint()
      const unknown = await call(`${app.url}/any`, { token: stranger })
      assertRefusal(unknown, {
        status: 401,
        error: 'invalid_token',
        code: 'environment_mismatch',
        challenge: /invalid_token/,
      })
    })
  })

  describe(`${fixture.name}: token kinds (actor) and admin API tokens`, () => {
    let issuer: TestIssuer
    let server: TestIssuerServer
    let app: RunningApp

    before(async () => {
      issuer = createTestIssuer()
      server = await issuer.listen()
      app = await fixture.start(
        createDynamicAuth({ environmentId: issuer.environmentId, jwks: { url: server.jwksUrl } }),
        ROUTE_OPTIONS,
      )
    })
    after(() => Promise.all([app?.close(), server?.close()]))

    it("says on the session whether it is a user's or an agent's", async () => {
      const user = await call(`${app.url}/any`, { token: issuer.mint() })
      assert.equal(user.status, 200, user.text)
      assert.deepEqual(user.body, {
        userId: TEST_USER_ID,
        actor: 'user',
        environmentId: issuer.environmentId,
        environmentName: null,
      })
      const agent = await call(`${app.url}/both`, { token: issuer.mint({ agent: true }) })
      assert.equal(agent.status, 200, agent.text)
      assert.equal(agent.body?.actor, 'agent')
    })

    it("actor: 'user' refuses an agent's session with 403 actor_not_allowed, and takes a user's", async () => {
      assert.equal((await call(`${app.url}/users`, { token: issuer.mint() })).status, 200)
      const agentToken = issuer.mint({ agent: true })
      for (const options of [{ token: agentToken }, { cookie: `DYNAMIC_JWT_TOKEN=${agentToken}` }]) {
        const answer = await call(`${app.url}/users`, options)
        assertRefusal(answer, { status: 403, error: 'forbidden', code: 'actor_not_allowed', challenge: null })
        assert.match(String(answer.body?.error_description), /users' sessions only/)
        assert.ok(!answer.text.includes(agentToken))
      }
      const forwarded = await call(`${app.url}/users-forward`, { token: agentToken })
      assert.equal(forwarded.status, 403, forwarded.text)
    })

    it("actor: 'agent' refuses a user's session, and takes an agent's", async () => {
      const agent = await call(`${app.url}/agents`, { token: issuer.mint({ agent: true }) })
      assert.equal(agent.status, 200, agent.text)
      assert.equal(agent.body?.actor, 'agent')
      const answer = await call(`${app.url}/agents`, { token: issuer.mint() })
      assertRefusal(answer, { status: 403, error: 'forbidden', code: 'actor_not_allowed', challenge: null })
      assert.match(String(answer.body?.error_description), /agents' server-side sessions only/)
    })

    it('refuses a Dynamic admin API token (dyn_) as a bearer or a cookie, saying what it is, never echoing it', async () => {
      const adminToken = server.emulator.adminToken
      assert.match(adminToken, /^dyn_/)
      for (const options of [{ token: adminToken }, { cookie: `DYNAMIC_JWT_TOKEN=${adminToken}` }]) {
        const answer = await call(`${app.url}/any`, options)
        assertRefusal(answer, {
          status: 401,
          error: 'invalid_token',
          code: 'admin_token_not_accepted',
          challenge: /error="invalid_token"/,
          token: adminToken,
        })
        assert.match(String(answer.body?.error_description), /admin API token/)
        assert.match(String(answer.body?.error_description), /Send the user's Dynamic JWT/)
      }
    })
  })
}
