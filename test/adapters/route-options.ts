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

export function runRouteOptionsSuite(fixture: RouteOptionsFixture): void {
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
