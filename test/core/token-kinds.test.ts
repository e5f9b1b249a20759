/**
 * Token kinds: a user's session or an agent's server-side one (`server_auth`), on the session and
 * as a per-call restriction; and Dynamic admin API tokens (`dyn_…`) refused as what they are.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createDynamicAuth, DynamicAuthConfigError, ERROR_CODES, ERROR_STATUS } from '../../src/index.js'
import { authenticate } from '../../src/http/index.js'
import { createTestIssuer } from '../../src/testing/index.js'
import { rejectsWith } from '../support/jwks-server.js'

const issuer = createTestIssuer()
const auth = createDynamicAuth({ ...issuer.authOptions(), telemetry: false })
const ADMIN_TOKEN = `dyn_${'A1b2C3d4'.repeat(7)}`

describe('token kinds', () => {
  it("session.actor is 'agent' for server_auth: true, 'user' otherwise", async () => {
    const user = await auth.verifyToken(issuer.mint())
    assert.equal(user.actor, 'user')
    assert.equal(user.tokenKind, 'access', 'tokenKind is still which of the two tokens')
    const agent = await auth.verifyToken(issuer.mint({ agent: true }))
    assert.equal(agent.actor, 'agent')
    assert.equal(agent.claims.server_auth, true)
    assert.equal((agent as unknown as { toJSON(): { actor: string } }).toJSON().actor, 'agent')
    const notTrue = await auth.verifyToken(issuer.mint({ claims: { server_auth: 'true' } }))
    assert.equal(notTrue.actor, 'user', 'only the boolean true marks an agent')
  })

  it('verifyToken({ actor }) restricts one call, on the cached path too', async () => {
    const agentToken = issuer.mint({ agent: true })
    const userToken = issuer.mint()
    assert.equal((await auth.verifyToken(agentToken, { actor: 'agent' })).actor, 'agent')
    assert.equal((await auth.verifyToken(userToken, { actor: 'any' })).actor, 'user')
    for (let i = 0; i < 2; i++) {
      await rejectsWith(auth.verifyToken(agentToken, { actor: 'user' }), 'actor_not_allowed')
      await rejectsWith(auth.verifyToken(userToken, { actor: 'agent' }), 'actor_not_allowed')
    }
    // Scopes of the same call are still required.
    await rejectsWith(
      auth.verifyToken(userToken, { actor: 'user', requiredScopes: ['wallet:sign'] }),
      'insufficient_scope',
    )
    await assert.rejects(
      auth.verifyToken(userToken, { actor: 'users' as 'user' }),
      (error: unknown) => error instanceof DynamicAuthConfigError && /"actor" must be 'user'/.test(error.message),
    )
  })

  it('authenticate(request, { actor }) refuses the other kind with 403 actor_not_allowed', async () => {
    const request = (token: string) =>
      new Request('http://api.test/me', { headers: { authorization: `Bearer ${token}` } })
    assert.equal((await authenticate(auth, request(issuer.mint()), { actor: 'user' })).actor, 'user')
    const error = await authenticate(auth, request(issuer.mint({ agent: true })), { actor: 'user' }).then(
      () => undefined,
      (e: unknown) => e as { code: string; status: number },
    )
    assert.equal(error?.code, 'actor_not_allowed')
    assert.equal(error?.status, 403)
    await assert.rejects(
      authenticate(auth, request(issuer.mint()), { actor: 'robot' as 'user' }),
      /"actor" must be 'user'/,
    )
  })
})

describe('Dynamic admin API tokens', () => {
  it('are refused before JWT parsing with admin_token_not_accepted (401), never echoed', async () => {
    assert.ok(ERROR_CODES.includes('admin_token_not_accepted'))
    assert.equal(ERROR_STATUS.admin_token_not_accepted, 401)
    assert.equal(ERROR_STATUS.actor_not_allowed, 403)
    for (const token of [ADMIN_TOKEN, 'dyn_short', `dyn_${'x'.repeat(20)}.with.dots`]) {
      const error = await auth.verifyToken(token).then(
        () => undefined,
        (e: unknown) => e as Error & { code: string; status: number },
      )
      assert.equal(error?.code, 'admin_token_not_accepted')
      assert.equal(error?.status, 401)
      assert.match(error!.message, /Dynamic admin API token/)
      assert.match(error!.message, /Send the user's Dynamic JWT/)
      assert.match(error!.message, /rotate/)
      assert.ok(!error!.message.includes(token.slice(4, 12)), 'the token is not echoed')
    }
  })

  it('a JWT is still a JWT, and other garbage is still token_malformed', async () => {
    await rejectsWith(auth.verifyToken('Dyn_not-a-jwt'), 'token_malformed')
    await rejectsWith(auth.verifyToken('xdyn_'), 'token_malformed')
  })
})
