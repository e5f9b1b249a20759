import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createDynamicAuth } from '../../src/index.js'
import type { SignatureBackend } from '../../src/extend.js'
import { nodeBackend } from '../../src/signature/node.js'
import { createTestIssuer } from '../../src/testing/index.js'
import { rejectsWith, startJwksServer } from '../support/jwks-server.js'

/** node:crypto, counting RSA verifications. */
function countingBackend(): SignatureBackend & { verifications: number } {
  const backend = {
    name: 'counting',
    verifications: 0,
    importRsaPublicKey: nodeBackend.importRsaPublicKey,
    verifyRs256(key: unknown, input: string, signature: Uint8Array) {
      backend.verifications++
      return nodeBackend.verifyRs256(key, input, signature)
    },
  }
  return backend
}

describe('the verified-token cache', () => {
  const issuer = createTestIssuer()

  it('answers the same token again without an RSA check, returning the same session', async () => {
    const backend = countingBackend()
    const auth = createDynamicAuth({ ...issuer.authOptions(), advanced: { signatureBackend: backend } })
    const token = issuer.mint()
    const first = await auth.verifyToken(token)
    const second = await auth.verifyToken(token)
    assert.equal(backend.verifications, 1)
    assert.equal(first, second)
  })

  it("never serves an entry past the token's exp", async () => {
    const backend = countingBackend()
    let now = Date.now()
    const auth = createDynamicAuth({
      ...issuer.authOptions(),
      advanced: { signatureBackend: backend, clock: () => now },
      clockTolerance: 0,
    })
    const token = issuer.mint({ now: Math.floor(now / 1000), expiresIn: 60 })
    await auth.verifyToken(token)
    now += 59_000
    await auth.verifyToken(token)
    assert.equal(backend.verifications, 1)
    now += 2000
    await rejectsWith(auth.verifyToken(token), 'token_expired')
  })

  it('evicts the oldest entries beyond advanced.tokenCacheSize', async () => {
    const backend = countingBackend()
    const auth = createDynamicAuth({
      ...issuer.authOptions(),
      advanced: { signatureBackend: backend, tokenCacheSize: 3 },
    })
    const tokens = Array.from({ length: 4 }, (_, i) => issuer.mint({ sid: `s${i}` }))
    for (const token of tokens) await auth.verifyToken(token)
    assert.equal(backend.verifications, 4)
    await auth.verifyToken(tokens[3]!)
    await auth.verifyToken(tokens[1]!)
    assert.equal(backend.verifications, 4, 'recent entries are hits')
    await auth.verifyToken(tokens[0]!)
    assert.equal(backend.verifications, 5, 'the oldest was evicted')
  })

  it('is off with advanced.tokenCacheSize 0', async () => {
    const backend = countingBackend()
    const auth = createDynamicAuth({
      ...issuer.authOptions(),
      advanced: { signatureBackend: backend, tokenCacheSize: 0 },
    })
    const token = issuer.mint()
    await auth.verifyToken(token)
    await auth.verifyToken(token)
    assert.equal(backend.verifications, 2)
  })

  it('drops a cached token once its key leaves the JWKS', async () => {
    const rotating = createTestIssuer()
    const server = await startJwksServer(rotating)
    try {
      let now = Date.now()
      const auth = createDynamicAuth({
        environmentId: rotating.environmentId,
        jwks: { url: server.url, cacheMaxAge: 60_000 },
        advanced: { clock: () => now },
      })
      const token = rotating.mint()
      await auth.verifyToken(token)
      rotating.rotateKey({ keepPrevious: false })
      now += 61_000
      await rejectsWith(auth.verifyToken(token), 'key_not_found')
    } finally {
      await server.close()
    }
  })

  it('does not cache refusals: a per-call scope failure leaves the token usable', async () => {
    const auth = createDynamicAuth(issuer.authOptions())
    const token = issuer.mint()
    await rejectsWith(auth.verifyToken(token, { requiredScopes: ['admin'] }), 'insufficient_scope')
    await auth.verifyToken(token)
  })
})
