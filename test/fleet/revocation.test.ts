/**
 * Revocation in one process: revokeSession and revokeUser, sid and originalSid, the check on
 * verified-token cache hits, entries that expire by themselves, and the store option.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createDynamicAuth, DynamicAuthConfigError, ERROR_STATUS } from '../../src/index.js'
import type { RevocationStore } from '../../src/extend.js'
import { RevocationSet } from '../../src/revocation/index.js'
import { createTestIssuer, TEST_USER_ID } from '../../src/testing/index.js'
import { createRedisKeyStore, createRedisRevocationStore } from '../../src/redis/index.js'

const issuer = createTestIssuer()

async function refusedWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: { code?: string }) => {
    assert.equal(error.code, code)
    return true
  })
}

describe('revokeSession', () => {
  test('refuses a revoked session, on a cache hit too, and leaves other sessions alone', async () => {
    const auth = createDynamicAuth(issuer.authOptions())
    const revoked = issuer.mint({ sid: 'session-a' })
    const other = issuer.mint({ sid: 'session-b' })
    await auth.verifyToken(revoked) // now in the verified-token cache
    await auth.verifyToken(other)
    await auth.revokeSession('session-a')
    await refusedWith(auth.verifyToken(revoked), 'session_revoked')
    assert.equal((await auth.verifyToken(other)).sessionId, 'session-b')
    // A token of the session never seen before is refused on its first verification.
    await refusedWith(auth.verifyToken(issuer.mint({ sid: 'session-a' })), 'session_revoked')
    assert.equal(ERROR_STATUS.session_revoked, 401)
  })

  test('a refreshed token (originalSid = the revoked sid) is refused too', async () => {
    const auth = createDynamicAuth(issuer.authOptions())
    await auth.revokeSession('original-session')
    await refusedWith(
      auth.verifyToken(issuer.mint({ sid: 'refreshed-session', claims: { originalSid: 'original-session' } })),
      'session_revoked',
    )
    // ... and revoking the refreshed sid refuses tokens naming it as their originalSid.
    await auth.revokeSession('refreshed-2')
    await refusedWith(
      auth.verifyToken(issuer.mint({ sid: 'refreshed-3', claims: { originalSid: 'refreshed-2' } })),
      'session_revoked',
    )
  })

  test('the refusal is checked after signature and claims', async () => {
    const auth = createDynamicAuth(issuer.authOptions())
    await auth.revokeSession('s-expired')
    await refusedWith(auth.verifyToken(issuer.mint({ sid: 's-expired', expired: true })), 'token_expired')
    await refusedWith(auth.verifyToken(issuer.mint({ sid: 's-expired', tampered: true })), 'signature_invalid')
  })

  test('bad ids are refused', async () => {
    const auth = createDynamicAuth(issuer.authOptions())
    await assert.rejects(auth.revokeSession(''), TypeError)
    await assert.rejects(auth.revokeSession(42 as unknown as string), TypeError)
    await assert.rejects(auth.revokeSession('x'.repeat(257)), TypeError)
    await assert.rejects(auth.revokeUser('', {}), TypeError)
    await assert.rejects(auth.revokeUser('u', { before: Number.NaN }), TypeError)
  })
})

describe('revokeUser', () => {
  test('refuses the tokens issued before `before`, accepts the ones issued after', async () => {
    const auth = createDynamicAuth(issuer.authOptions())
    const now = Math.floor(Date.now() / 1000)
    const old = issuer.mint({ now: now - 100 })
    const fresh = issuer.mint({ now: now + 1 })
    const otherUser = issuer.mint({ sub: 'someone-else', now: now - 100 })
    await auth.verifyToken(old)
    await auth.revokeUser(TEST_USER_ID, { before: new Date(now * 1000) })
    await refusedWith(auth.verifyToken(old), 'session_revoked')
    assert.equal((await auth.verifyToken(fresh)).userId, TEST_USER_ID)
    assert.equal((await auth.verifyToken(otherUser)).userId, 'someone-else')
  })

  test('a token without iat cannot show it is newer: refused', async () => {
    const auth = createDynamicAuth(issuer.authOptions())
    await auth.revokeUser(TEST_USER_ID)
    await refusedWith(auth.verifyToken(issuer.mint({ claims: { iat: undefined } })), 'session_revoked')
  })
})

describe('expiry', () => {
  test('entries expire once no token they cover can still be valid (maxTokenLifetime)', async () => {
    let now = Date.now()
    const clock = () => now
    const auth = createDynamicAuth({
      ...issuer.authOptions(),
      advanced: { clock },
      maxTokenLifetime: 3600,
      clockTolerance: 0,
    })
    await auth.revokeSession('short-lived')
    await auth.revokeUser('user-x')
    assert.equal(auth.revocationStatus().entries, 2)
    const token = issuer.mint({ sid: 'short-lived', now: Math.floor(now / 1000), expiresIn: 3600 })
    await refusedWith(auth.verifyToken(token), 'session_revoked')
    // Past maxTokenLifetime, a token the revocation covered has expired on its own.
    now += 3600 * 1000 + 1
    await refusedWith(auth.verifyToken(token), 'token_expired')
    // A new token reusing the sid (impossible with Dynamic's UUIDs, but it shows the entry is gone).
    const reused = issuer.mint({ sid: 'short-lived', now: Math.floor(now / 1000), expiresIn: 1800 })
    assert.equal((await auth.verifyToken(reused)).sessionId, 'short-lived')
  })

  test('the set sweeps expired entries and keeps the later `before` of a user', () => {
    let now = 1_000_000
    const set = new RevocationSet(() => now)
    assert.equal(set.add({ type: 'user', sub: 'u', before: 500_000, expiresAt: 2_000_000 }), true)
    assert.equal(set.add({ type: 'user', sub: 'u', before: 400_000, expiresAt: 1_500_000 }), false)
    assert.equal(set.add({ type: 'user', sub: 'u', before: 600_000, expiresAt: 2_000_000 }), true)
    assert.equal(set.has({ sub: 'u', iat: 550 }), true)
    assert.equal(set.has({ sub: 'u', iat: 600 }), false)
    assert.equal(set.add({ type: 'session', sid: 's', expiresAt: 1_100_000 }), true)
    assert.equal(
      set.add({ type: 'session', sid: 'gone', expiresAt: 999_999 }),
      false,
      'an already expired entry is not added',
    )
    now = 1_200_000
    assert.equal(set.has({ sub: 'x', sid: 's' }), false)
    set.sweep()
    assert.equal(set.size, 1)
    now = 2_000_000
    assert.deepEqual(set.entries(), [])
  })
})

describe('the revocation option', () => {
  test('a custom store is consulted, and its unavailable verdict is a 503', async () => {
    let verdict: 'revoked' | 'unavailable' | undefined = 'unavailable'
    const added: unknown[] = []
    const store: RevocationStore = {
      check: () => verdict,
      add: async (entry) => void added.push(entry),
      status: () => ({ kind: 'custom', entries: added.length, connected: true, stale: false, since: 0 }),
    }
    const auth = createDynamicAuth({ ...issuer.authOptions(), revocation: store })
    await assert.rejects(
      auth.verifyToken(issuer.mint()),
      (error: { code?: string; status?: number; retryAfter?: number }) => {
        assert.equal(error.code, 'revocation_unavailable')
        assert.equal(error.status, 503)
        assert.ok(error.retryAfter! > 0)
        return true
      },
    )
    verdict = undefined
    await auth.verifyToken(issuer.mint())
    await auth.revokeSession('s1')
    assert.equal((added[0] as { sid: string }).sid, 's1')
    assert.equal(auth.revocationStatus().kind, 'custom')
  })

  test('the Redis store needs a client and an explicit staleness policy', () => {
    const client = {
      isReady: false,
      sendCommand: async () => null,
      duplicate: () => {
        throw new Error('not reached')
      },
    }
    assert.throws(() => createRedisRevocationStore({} as never), /client must be a node-redis client/)
    assert.throws(() => createRedisRevocationStore({ client } as never), /whenStale is required/)
    assert.throws(() => createRedisRevocationStore({ client, whenStale: 'maybe' as never }), /whenStale is required/)
    assert.throws(() => createRedisRevocationStore({ client, whenStale: 'serve', staleAfter: -1 }), /staleAfter/)
    assert.throws(() => createRedisKeyStore({ client: 'redis://localhost' as never }), /client must be/)
  })

  test('a wrong store or key store factory is a configuration error', () => {
    assert.throws(
      () => createDynamicAuth({ ...issuer.authOptions(), revocation: {} as RevocationStore }),
      DynamicAuthConfigError,
    )
    assert.throws(
      () => createDynamicAuth({ ...issuer.authOptions(), jwks: { keyStore: (() => undefined) as never } }),
      DynamicAuthConfigError,
    )
    assert.throws(
      () => createDynamicAuth({ environmentId: issuer.environmentId, jwks: { keyStore: 'redis' as never } }),
      DynamicAuthConfigError,
    )
  })
})
