/** auth.verifyElevatedToken: every check of an elevated access token, and each refusal. */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createDynamicAuth, DynamicAuthError, type DynamicAuth, type DynamicSession } from '../../src/index.js'
import { createMemoryOneTimeStore, type OneTimeStore } from '../../src/extend.js'
import { createTestIssuer } from '../../src/testing/index.js'

const issuer = createTestIssuer()
const other = createTestIssuer() // another key, same environment id: a forged signature

function verifier(extra: Record<string, unknown> = {}): DynamicAuth {
  return createDynamicAuth({ ...issuer.authOptions(), ...extra })
}

async function sessionOf(auth: DynamicAuth, sid = 'session-1', claims: Record<string, unknown> = {}) {
  return auth.verifyToken(issuer.mint({ sid, claims }))
}

async function refusal(promise: Promise<unknown>): Promise<DynamicAuthError> {
  try {
    await promise
  } catch (error) {
    assert.ok(error instanceof DynamicAuthError, `a DynamicAuthError, got ${String(error)}`)
    return error
  }
  assert.fail('expected a refusal')
}

/** A store that records its calls. */
function recording(inner: OneTimeStore = createMemoryOneTimeStore()) {
  const calls: Array<[string, number]> = []
  return {
    calls,
    store: {
      claim(id: string, expiresAt: number) {
        calls.push([id, expiresAt])
        return inner.claim(id, expiresAt)
      },
    },
  }
}

describe('verifyElevatedToken', () => {
  it('accepts a time-bound token with the scope, for its session, as often as it is sent', async () => {
    const auth = verifier()
    const session = await sessionOf(auth)
    const token = issuer.mintElevated({ scopes: ['user:update', 'credential:link'], sid: 'session-1' })
    const grant = await auth.verifyElevatedToken(token, session, { scopes: ['user:update'] })
    assert.deepEqual(grant.scopes, ['user:update', 'credential:link'])
    assert.equal(grant.singleUse, false)
    assert.equal(grant.claims.sub, session.userId)
    assert.ok(grant.expiresAt.getTime() > Date.now() + 500_000, "Dynamic's 600 s for a time-bound token")
    assert.ok(Object.isFrozen(grant) && Object.isFrozen(grant.claims))
    const again = await auth.verifyElevatedToken(token, session, { scopes: ['credential:link', 'user:update'] })
    assert.equal(again, grant, 'remembered: the same grant, no second RSA check')
  })

  it('consumes a single-use token: accepted once, then elevated_token_reused', async () => {
    const { store, calls } = recording()
    const auth = verifier({ oneTimeStore: store })
    const session = await sessionOf(auth)
    const token = issuer.mintElevated({ scopes: ['wallet:export'], sid: 'session-1' })
    const grant = await auth.verifyElevatedToken(token, session, { scopes: ['wallet:export'] })
    assert.equal(grant.singleUse, true)
    const reused = await refusal(auth.verifyElevatedToken(token, session, { scopes: ['wallet:export'] }))
    assert.equal(reused.code, 'elevated_token_reused')
    assert.equal(reused.status, 403)
    assert.deepEqual(reused.requiredScopes, ['wallet:export'])
    assert.match(reused.message, /already used.*Step up again for wallet:export/)
    assert.equal(calls.length, 2, 'the claim ran both times: no cache skips it')
    assert.equal(calls[0]![0], `elevated:${grant.claims.jti}`)
    assert.equal(calls[0]![1], grant.claims.exp + 5, 'kept while the token is accepted: exp + clockTolerance')
  })

  it('holds single use across verifiers that share a store, and per verifier with the default stores', async () => {
    const shared = createMemoryOneTimeStore()
    const a = verifier({ oneTimeStore: shared })
    const b = verifier({ oneTimeStore: shared })
    const token = issuer.mintElevated({ scopes: ['wallet:sign'], sid: 'session-1' })
    await a.verifyElevatedToken(token, await sessionOf(a), { scopes: ['wallet:sign'] })
    assert.equal(
      (await refusal(b.verifyElevatedToken(token, await sessionOf(b), { scopes: ['wallet:sign'] }))).code,
      'elevated_token_reused',
    )
    const c = verifier()
    const d = verifier()
    await c.verifyElevatedToken(token, await sessionOf(c), { scopes: ['wallet:sign'] })
    await d.verifyElevatedToken(token, await sessionOf(d), { scopes: ['wallet:sign'] })
  })

  it('claims a single-use token without jti by the hash of the token', async () => {
    const { store, calls } = recording()
    const auth = verifier({ oneTimeStore: store })
    const session = await sessionOf(auth)
    const token = issuer.mintElevated({ scopes: ['wallet:export'], sid: 'session-1', claims: { jti: undefined } })
    await auth.verifyElevatedToken(token, session, { scopes: ['wallet:export'] })
    const { createHash } = await import('node:crypto')
    assert.equal(calls[0]![0], `elevated:${createHash('sha256').update(token).digest('base64url')}`)
    assert.equal(
      (await refusal(auth.verifyElevatedToken(token, session, { scopes: ['wallet:export'] }))).code,
      'elevated_token_reused',
    )
  })

  it('refuses a request without the token: 403 elevated_token_missing naming the scopes', async () => {
    const auth = verifier()
    const session = await sessionOf(auth)
    for (const token of [undefined, '']) {
      const error = await refusal(auth.verifyElevatedToken(token, session, { scopes: ['wallet:export'] }))
      assert.equal(error.code, 'elevated_token_missing')
      assert.equal(error.status, 403)
      assert.deepEqual(error.requiredScopes, ['wallet:export'])
      assert.match(error.message, /step up .*checkStepUpAuth.*getElevatedAccessToken.*x-dyn-elevated-access-token/)
    }
  })

  it('requires every scope, as whole words, and consumes nothing when one is missing', async () => {
    const { store, calls } = recording()
    const auth = verifier({ oneTimeStore: store })
    const session = await sessionOf(auth)
    const cases: Array<[string[], string[]]> = [
      [['wallet:sign'], ['wallet:export']],
      [['wallet:export2'], ['wallet:export']],
      [['wallet'], ['wallet:export']],
      [['wallet:export'], ['wallet:export', 'wallet:sign']],
    ]
    for (const [granted, required] of cases) {
      const token = issuer.mintElevated({ scopes: granted, sid: 'session-1' })
      const error = await refusal(auth.verifyElevatedToken(token, session, { scopes: required }))
      assert.equal(error.code, 'elevated_token_missing', granted.join(' '))
      assert.deepEqual(error.requiredScopes, required)
      assert.match(error.message, /lacks the scope/)
    }
    assert.equal(calls.length, 0, 'a token refused for its scopes is not consumed')
    const both = issuer.mintElevated({ scopes: ['wallet:export', 'wallet:sign'], sid: 'session-1' })
    await auth.verifyElevatedToken(both, session, { scopes: ['wallet:sign', 'wallet:export'] })
  })

  it("refuses another user's token, another session's, and one without a session id: elevated_token_mismatch", async () => {
    const { store, calls } = recording()
    const auth = verifier({ oneTimeStore: store })
    const session = await sessionOf(auth)
    const cases: Array<[string, Parameters<typeof issuer.mintElevated>[0], RegExp]> = [
      ['another user', { scopes: ['wallet:export'], sid: 'session-1', sub: 'someone-else' }, /another user/],
      ['another session', { scopes: ['wallet:export'], sid: 'session-2' }, /another session/],
      [
        'no sid',
        { scopes: ['wallet:export'], claims: { sid: undefined, originalSid: undefined } },
        /carries no session id/,
      ],
    ]
    for (const [name, options, message] of cases) {
      const error = await refusal(
        auth.verifyElevatedToken(issuer.mintElevated(options), session, { scopes: ['wallet:export'] }),
      )
      assert.equal(error.code, 'elevated_token_mismatch', name)
      assert.equal(error.status, 403)
      assert.match(error.message, message, name)
    }
    const bare = await auth.verifyToken(issuer.mint({ claims: { sid: undefined, originalSid: undefined } }))
    const error = await refusal(
      auth.verifyElevatedToken(issuer.mintElevated({ scopes: ['wallet:export'] }), bare, { scopes: ['wallet:export'] }),
    )
    assert.match(error.message, /session token carries no session id/)
    assert.equal(calls.length, 0, 'nothing consumed')
  })

  it('ties the token by originalSid across a refresh of the session token', async () => {
    const auth = verifier()
    // The session was refreshed: its sid changed, its originalSid is the first one.
    const refreshed = await sessionOf(auth, 'session-1b', { originalSid: 'session-1' })
    const issuedBefore = issuer.mintElevated({ scopes: ['wallet:export'], sid: 'session-1' })
    await auth.verifyElevatedToken(issuedBefore, refreshed, { scopes: ['wallet:export'] })
    const issuedAfter = issuer.mintElevated({ scopes: ['user:update'], sid: 'session-1b', originalSid: 'session-1' })
    await auth.verifyElevatedToken(issuedAfter, refreshed, { scopes: ['user:update'] })
  })

  it('refuses a token that fails a check of the session token: elevated_token_invalid with the cause', async () => {
    const auth = verifier({ audience: 'http://localhost:3000' })
    const session = await auth.verifyToken(issuer.mint({ sid: 'session-1', audience: 'http://localhost:3000' }))
    const base = { scopes: ['user:update'], sid: 'session-1', audience: 'http://localhost:3000' }
    const cases: Array<[string, string, string]> = [
      ['expired', issuer.mintElevated({ ...base, expired: true }), 'token_expired'],
      ['signed by another key', other.mintElevated(base), 'key_not_found'],
      [
        'another environment',
        issuer.mintElevated({ ...base, environmentId: '11111111-2222-4333-8444-555555555555' }),
        'environment_mismatch',
      ],
      ['another audience', issuer.mintElevated({ ...base, audience: 'https://evil.example' }), 'audience_mismatch'],
      [
        'another issuer',
        issuer.mintElevated({ ...base, claims: { iss: 'app.dynamicauth.com/other' } }),
        'issuer_mismatch',
      ],
      [
        'not yet valid',
        issuer.mintElevated({ ...base, claims: { nbf: Math.floor(Date.now() / 1000) + 3600 } }),
        'token_not_active',
      ],
      ['singleUse not a boolean', issuer.mintElevated({ ...base, claims: { singleUse: 'true' } }), 'token_malformed'],
      ['no sub', issuer.mintElevated({ ...base, claims: { sub: undefined } }), 'token_malformed'],
      ['not a JWT', 'not-a-jwt', 'token_malformed'],
      ['HS256', `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'x' })}.c2ln`, 'algorithm_not_allowed'],
      ['altered', tamper(issuer.mintElevated(base)), 'signature_invalid'],
    ]
    for (const [name, token, cause] of cases) {
      const error = await refusal(auth.verifyElevatedToken(token, session, { scopes: ['user:update'] }))
      assert.equal(error.code, 'elevated_token_invalid', name)
      assert.equal(error.status, 403, name)
      assert.equal((error.cause as DynamicAuthError | undefined)?.code, cause, name)
      assert.deepEqual(error.requiredScopes, ['user:update'])
      assert.match(error.message, /Step up again for user:update/, name)
    }
  })

  it('refuses a token of a revoked session, cached or not', async () => {
    const auth = verifier()
    const session = await sessionOf(auth)
    const token = issuer.mintElevated({ scopes: ['user:update'], sid: 'session-1' })
    await auth.verifyElevatedToken(token, session, { scopes: ['user:update'] })
    await auth.revokeSession('session-1')
    assert.equal(
      (await refusal(auth.verifyElevatedToken(token, session, { scopes: ['user:update'] }))).code,
      'session_revoked',
    )
    const fresh = issuer.mintElevated({ scopes: ['user:update'], sid: 'session-1' })
    assert.equal(
      (await refusal(auth.verifyElevatedToken(fresh, session, { scopes: ['user:update'] }))).code,
      'session_revoked',
    )
  })

  it('fails closed when the store fails: 503 one_time_store_unavailable with Retry-After', async () => {
    const failing: OneTimeStore[] = [
      { claim: () => Promise.reject(new Error('connection lost')) },
      {
        claim: () => {
          throw new Error('thrown')
        },
      },
      createMemoryOneTimeStore({ maxEntries: 1 }),
    ]
    await failing[2]!.claim('someone-else', Date.now() / 1000 + 600) // now full of a live id
    for (const store of failing) {
      const auth = verifier({ oneTimeStore: store })
      const session = await sessionOf(auth)
      const token = issuer.mintElevated({ scopes: ['wallet:export'], sid: 'session-1' })
      const error = await refusal(auth.verifyElevatedToken(token, session, { scopes: ['wallet:export'] }))
      assert.equal(error.code, 'one_time_store_unavailable')
      assert.equal(error.status, 503)
      assert.equal(error.retryAfter, 5)
      assert.match(error.message, /refused rather than risk a second use/)
    }
    // A store answering anything but true is read as "already used".
    const odd = verifier({ oneTimeStore: { claim: () => undefined as unknown as boolean } })
    const token = issuer.mintElevated({ scopes: ['wallet:export'], sid: 'session-1' })
    assert.equal(
      (await refusal(odd.verifyElevatedToken(token, await sessionOf(odd), { scopes: ['wallet:export'] }))).code,
      'elevated_token_reused',
    )
  })

  it('never lets an elevated token pass as a session token, before or after it was verified as elevated', async () => {
    const auth = verifier()
    const session = await sessionOf(auth)
    const token = issuer.mintElevated({ scopes: ['user:update'], sid: 'session-1' })
    assert.equal((await refusal(auth.verifyToken(token))).code, 'insufficient_scope')
    await auth.verifyElevatedToken(token, session, { scopes: ['user:update'] })
    assert.equal((await refusal(auth.verifyToken(token))).code, 'insufficient_scope', 'the caches are apart')
  })

  it('rejects programming errors with a TypeError', async () => {
    const auth = verifier()
    const session = await sessionOf(auth)
    const token = issuer.mintElevated({ scopes: ['user:update'], sid: 'session-1' })
    for (const options of [{ scopes: [] }, { scopes: ['a b'] }, { scopes: ['user:basic'] }, {}, undefined]) {
      await assert.rejects(auth.verifyElevatedToken(token, session, options as never), TypeError)
    }
    await assert.rejects(
      auth.verifyElevatedToken(token, undefined as unknown as DynamicSession, { scopes: ['user:update'] }),
      TypeError,
    )
  })
})

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

function tamper(token: string): string {
  const [header, payload, signature] = token.split('.')
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString())
  claims.scope = 'wallet:export user:update'
  return `${header}.${b64(claims)}.${signature}`
}
