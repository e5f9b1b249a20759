/**
 * What the test kit mints for step-up, agents and session keys: elevated access tokens (Dynamic's
 * lifetimes and single use), `server_auth` tokens, tokens bound to a given session key (by default
 * the kit's own `TEST_SESSION_KEY`, which can sign requests for them), and the same through the
 * emulator's sign-in endpoint over HTTP.
 */
import { describe, it, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { createDynamicAuth } from '../../src/index.js'
import { createTestIssuer, type TestIssuerServer } from '../../src/testing/index.js'
import { TEST_SESSION_KEY } from '../../src/testing/session-key.js'
import { TOKEN_SCOPES } from '../../src/testing/step-up.js'
import {
  generateSessionKeyPair,
  jwkSessionSigner,
  publicKeyHexOf,
  signRequest,
  verifySessionKeyProof,
} from '../../src/session-key/index.js'

const issuer = createTestIssuer({ modulusLength: 2048 })
const claimsOf = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'))
const headerOf = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8'))

describe('the test kit: elevated, agent and session-key tokens', () => {
  it("mints elevated tokens as Dynamic's defaults say: wallet scopes single use for 300 s, others time-bound for 600 s", () => {
    const now = 1_800_000_000
    const wallet = claimsOf(issuer.mintElevated({ scopes: ['wallet:export'], now }))
    assert.deepEqual([wallet.scope, wallet.singleUse, wallet.iat, wallet.exp], ['wallet:export', true, now, now + 300])
    const user = claimsOf(issuer.mintElevated({ scopes: ['user:update', 'credential:link'], now }))
    assert.deepEqual(
      [user.scope, user.singleUse, (user.exp as number) - now],
      ['user:update credential:link', false, 600],
    )
    const chosen = claimsOf(
      issuer.mintElevated({
        scopes: ['wallet:sign'],
        singleUse: false,
        expiresIn: 30,
        sub: 'u-1',
        sid: 's-2',
        originalSid: 's-1',
        now,
      }),
    )
    assert.deepEqual(
      [chosen.singleUse, (chosen.exp as number) - now, chosen.sub, chosen.sid, chosen.originalSid],
      [false, 30, 'u-1', 's-2', 's-1'],
    )
    const expired = claimsOf(issuer.mintElevated({ scopes: ['wallet:sign'], expired: true, now }))
    assert.ok((expired.exp as number) < now)
    const token = issuer.mintElevated({ scopes: ['wallet:export'] })
    assert.deepEqual(headerOf(token), { alg: 'RS256', kid: issuer.kid, typ: 'JWT' })
    assert.equal(claimsOf(token).iss, issuer.issuer)
    assert.equal(claimsOf(token).kid, issuer.kid)
    assert.equal(
      claimsOf(issuer.mintElevated({ scopes: ['wallet:export'], claims: { jti: undefined } })).jti,
      undefined,
    )
    assert.equal(TOKEN_SCOPES.length, 26, "Dynamic's TokenScope enum")
  })

  it("an elevated token is signed by the environment's key but is not a session: the verifier refuses it without user:basic", async () => {
    const auth = createDynamicAuth(issuer.authOptions())
    await assert.rejects(
      auth.verifyToken(issuer.mintElevated({ scopes: ['wallet:export'] })),
      (error: { code?: string }) => error.code === 'insufficient_scope',
    )
  })

  it('mints agent tokens (server_auth) and tokens bound to a given session key, or to none', async () => {
    assert.equal(claimsOf(issuer.mint({ agent: true })).server_auth, true)
    assert.equal('server_auth' in claimsOf(issuer.mint()), false)
    const { publicKeyHex } = await generateSessionKeyPair()
    assert.equal(claimsOf(issuer.mint({ sessionPublicKey: publicKeyHex })).session_public_key, publicKeyHex)
    assert.equal(claimsOf(issuer.mint({ kind: 'id', sessionPublicKey: publicKeyHex })).session_public_key, publicKeyHex)
    assert.equal('session_public_key' in claimsOf(issuer.mint({ sessionPublicKey: null })), false)
  })

  it('default tokens carry TEST_SESSION_KEY, whose private half signs requests that verify against them', async () => {
    assert.equal(publicKeyHexOf(TEST_SESSION_KEY.privateKeyJwk), TEST_SESSION_KEY.publicKeyHex)
    const claims = claimsOf(issuer.mint())
    assert.equal(claims.session_public_key, TEST_SESSION_KEY.publicKeyHex)
    const request = { method: 'DELETE', url: '/api/keys/7' }
    const headers = await signRequest(request, await jwkSessionSigner(TEST_SESSION_KEY.privateKeyJwk))
    const verdict = await verifySessionKeyProof({
      ...request,
      header: headers['x-session-signature'],
      sessionPublicKey: claims.session_public_key,
      replayCheck: { claim: () => true },
    })
    assert.equal(verdict.ok, true)
  })

  it("mints another environment's tokens", () => {
    const other = '0e0c8c3a-2d34-4b6e-9a51-7c1f3e5d9b20'
    assert.equal(claimsOf(issuer.mint({ environmentId: other })).environment_id, other)
    assert.equal(
      claimsOf(issuer.mintElevated({ scopes: ['wallet:export'], environmentId: other })).iss,
      `app.dynamicauth.com/${other}`,
    )
  })
})

describe("the emulator's sign-in endpoint over HTTP: agent and session key options", () => {
  let server: TestIssuerServer
  before(async () => {
    server = await issuer.listen()
  })
  after(() => server.close())

  const post = async (body: unknown) => {
    const response = await fetch(server.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    return { status: response.status, body: (await response.json()) as Record<string, unknown> }
  }

  it('takes agent and sessionPublicKey', async () => {
    const { publicKeyHex } = await generateSessionKeyPair()
    const answer = await post({ agent: true, sessionPublicKey: publicKeyHex })
    assert.equal(answer.status, 200)
    for (const token of [answer.body.jwt, answer.body.minifiedJwt] as string[]) {
      assert.equal(claimsOf(token).server_auth, true)
      assert.equal(claimsOf(token).session_public_key, publicKeyHex)
    }
    assert.equal(
      'session_public_key' in claimsOf((await post({ sessionPublicKey: null })).body.minifiedJwt as string),
      false,
    )
  })

  it('refuses a malformed session key with a message that says the form', async () => {
    const answer = await post({ sessionPublicKey: 'abc' })
    assert.equal(answer.status, 400)
    assert.match(String(answer.body.message), /compressed P-256 public key/)
    assert.equal((await post({ agent: 'yes' })).status, 400)
  })
})
