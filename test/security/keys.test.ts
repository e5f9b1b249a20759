/**
 * Key substitution: keys come only from the configured JWKS, looked up by an opaque string kid,
 * and only keys fit for RS256 are ever trusted. A token can point at no key of its own and can
 * make the verifier contact no URL but the configured one.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { generateKeyPair } from '../support/key-pair.js'
import {
  acceptJwk,
  createDynamicAuth,
  DynamicAuthConfigError,
  TEST_ENVIRONMENT_ID,
  type DynamicAuth,
} from './subject.js'
import {
  b64u,
  claimsFor,
  fixedClock,
  hmacToken,
  publishedJwk,
  recordingServer,
  refused,
  rsaPair,
  serveJson,
  signRaw,
  signToken,
  type RecordingServer,
  type RsaPair,
} from './toolkit.js'

const ENV = TEST_ENVIRONMENT_ID
const KID = 'real-kid'
const JWKS_PATH = `/api/v0/sdk/${ENV}/.well-known/jwks`

/** PKCS#1 v1.5 encoding of SHA-256(input) for a k-byte modulus: with e = 1 it is its own signature. */
function pkcs1Encoded(input: string, k: number): Buffer {
  const digestInfo = Buffer.concat([
    Buffer.from('3031300d060960864801650304020105000420', 'hex'),
    createHash('sha256').update(input).digest(),
  ])
  return Buffer.concat([
    Buffer.from([0, 1]),
    Buffer.alloc(k - 3 - digestInfo.length, 0xff),
    Buffer.from([0]),
    digestInfo,
  ])
}

describe('key substitution', () => {
  let real: RsaPair
  let attacker: RsaPair
  let jwks: RecordingServer
  let evil: RecordingServer
  let auth: DynamicAuth
  const claims = claimsFor(ENV)
  /** Claims of a token issued an hour before the keys were fetched. */
  const issuedEarlier = { ...claims, iat: (claims.iat as number) - 3600 }

  before(async () => {
    real = rsaPair()
    attacker = rsaPair()
    jwks = await recordingServer(serveJson({ keys: [publishedJwk(real, KID)] }))
    evil = await recordingServer(serveJson({ keys: [publishedJwk(attacker, KID), publishedJwk(attacker, 'attacker')] }))
    auth = createDynamicAuth({
      environmentId: ENV,
      jwks: { url: `${jwks.origin}${JWKS_PATH}`, cooldown: 30_000 },
      advanced: { clock: fixedClock, tokenCacheSize: 0 },
    })
    await auth.verifyToken(signToken('RS256', real.privateKey, { alg: 'RS256', kid: KID }, claims)) // control, loads the keys
  })
  after(async () => {
    await jwks.close()
    await evil.close()
  })

  describe('headers that point at keys are refused and never followed', () => {
    const pointing = (): Array<[string, Record<string, unknown>]> => [
      ['embedded jwk (attacker key under the real kid)', { jwk: publishedJwk(attacker, KID) }],
      ['embedded jwk without kid', { jwk: attacker.jwk }],
      ['jku to the attacker', { jku: `${evil.origin}/jwks.json` }],
      ['jku to the cloud metadata address', { jku: 'http://169.254.169.254/latest/meta-data/' }],
      ['jku to a file', { jku: 'file:///etc/passwd' }],
      ['jku with userinfo trick', { jku: `http://app.dynamic.xyz@127.0.0.1:${new URL(evil.origin).port}/jwks.json` }],
      ['jku to the real JWKS of another environment', { jku: `${evil.origin}/api/v0/sdk/${ENV}x/.well-known/jwks` }],
      ['x5u to the attacker', { x5u: `${evil.origin}/cert.pem` }],
      [
        'x5c with the attacker key',
        { x5c: [attacker.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')] },
      ],
    ]
    it('refuses each, signed by the attacker, with token_malformed', async () => {
      for (const [label, extra] of pointing()) {
        for (const kid of [KID, 'attacker']) {
          const token = signToken('RS256', attacker.privateKey, { alg: 'RS256', kid, ...extra }, claims)
          await refused(auth.verifyToken(token), 'token_malformed', `${label} / kid ${kid}`)
        }
      }
    })
    it('refuses an embedded oct key with HS256', async () => {
      const secret = 'attacker-secret'
      const token = hmacToken('HS256', secret, { alg: 'HS256', kid: KID, jwk: { kty: 'oct', k: b64u(secret) } }, claims)
      await refused(auth.verifyToken(token), ['algorithm_not_allowed', 'token_malformed'])
    })
    it('x5t thumbprints change nothing: an attacker signature still fails', async () => {
      const token = signToken(
        'RS256',
        attacker.privateKey,
        { alg: 'RS256', kid: KID, 'x5t#S256': b64u(createHash('sha256').update('x').digest()) },
        claims,
      )
      await refused(auth.verifyToken(token), 'signature_invalid')
    })
    it('made zero requests to any URL but the configured JWKS', () => {
      assert.equal(evil.count(), 0, 'the attacker server was contacted')
      assert.deepEqual(new Set(jwks.requests.map((r) => r.path)), new Set([JWKS_PATH]))
    })
  })

  describe('kid abuse', () => {
    it('refuses non-string, empty and huge kids as malformed, before any key lookup', async () => {
      const before = jwks.count()
      for (const kid of [
        null,
        123,
        0,
        true,
        [],
        [KID],
        {},
        { toString: KID },
        '',
        'A'.repeat(10_000),
        'A'.repeat(257),
      ]) {
        const token = signToken('RS256', real.privateKey, { alg: 'RS256', kid }, claims)
        await refused(auth.verifyToken(token), 'token_malformed', `kid ${JSON.stringify(kid)?.slice(0, 20)}`)
      }
      assert.equal(jwks.count(), before, 'a malformed kid caused a JWKS request')
    })
    it('treats every other kid as an opaque string: unknown kids are not found, whatever they contain', async () => {
      const kids = [
        '../../../../../../dev/null',
        '/dev/null',
        "x' UNION SELECT '1';--",
        '|sleep 10',
        '$(id)',
        'a\r\nX-Injected: 1',
        '__proto__',
        'constructor',
        'toString',
        'hasOwnProperty',
        'valueOf',
        KID.toUpperCase(),
        `${KID} `,
        'real-kıd', // dotless i: differs from the real kid only visually
      ]
      // Issued before the keys were fetched: a kid the fetch did not list is refused from memory.
      const before = jwks.count()
      for (const kid of kids) {
        const token = signToken('RS256', real.privateKey, { alg: 'RS256', kid }, issuedEarlier)
        await refused(auth.verifyToken(token), 'key_not_found', `kid ${JSON.stringify(kid)}`)
      }
      assert.equal(jwks.count(), before, 'unknown kids of earlier tokens caused a JWKS request')
      // A fresh token makes the store look: one fetch, then the kid is remembered as absent.
      const fresh = signToken('RS256', real.privateKey, { alg: 'RS256', kid: `${kids[0]}/fresh` }, claims)
      await refused(auth.verifyToken(fresh), 'key_not_found', 'fresh token of an unknown kid')
      await refused(auth.verifyToken(fresh), 'key_not_found', 'the same kid again')
      assert.equal(jwks.count(), before + 1)
    })
    it('a missing kid selects no key', async () => {
      await refused(auth.verifyToken(signToken('RS256', real.privateKey, { alg: 'RS256' }, claims)), 'key_not_found')
    })
    it('selects the key by the header kid only, never by the payload kid', async () => {
      const token = signToken(
        'RS256',
        real.privateKey,
        { alg: 'RS256', kid: 'unknown' },
        { ...issuedEarlier, kid: KID },
      )
      await refused(auth.verifyToken(token), 'key_not_found')
    })
    it('an escaped kid in the header resolves to the same kid (no parser differential)', async () => {
      const token = signRaw('RS256', real.privateKey, '{"alg":"RS256","kid":"real\\u002dkid"}', JSON.stringify(claims))
      const session = await auth.verifyToken(token)
      assert.equal(session.userId, claims.sub)
    })
    it("refuses an attacker's key under the real kid", async () => {
      await refused(
        auth.verifyToken(signToken('RS256', attacker.privateKey, { alg: 'RS256', kid: KID }, claims)),
        'signature_invalid',
      )
    })
  })

  describe('JWKS keys unfit for RS256 are never trusted', () => {
    interface BadKey {
      label: string
      jwk: Record<string, unknown>
      /** A token that this key (if trusted) would verify. */
      token: string
    }
    const badKeys = (): BadKey[] => {
      const small = rsaPair(1024)
      const header = (kid: string): Record<string, unknown> => ({ alg: 'RS256', kid })
      const signedBy = (pair: RsaPair, kid: string): string => signToken('RS256', pair.privateKey, header(kid), claims)
      const eOneInput = `${b64u(JSON.stringify(header('e-one')))}.${b64u(JSON.stringify(claims))}`
      const k = Buffer.from(real.jwk.n, 'base64url').length
      const nBytes = Buffer.from(real.jwk.n, 'base64url')
      const evenN = Buffer.from(nBytes)
      evenN[evenN.length - 1]! &= 0xfe
      const ec = generateKeyPair('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' })
      return [
        { label: 'a 1024-bit key', jwk: publishedJwk(small, 'short'), token: signedBy(small, 'short') },
        { label: 'use "enc"', jwk: publishedJwk(attacker, 'enc', { use: 'enc' }), token: signedBy(attacker, 'enc') },
        {
          label: 'alg "RS512"',
          jwk: publishedJwk(attacker, 'rs512', { alg: 'RS512' }),
          token: signedBy(attacker, 'rs512'),
        },
        {
          label: 'alg "RSA-OAEP"',
          jwk: publishedJwk(attacker, 'oaep', { alg: 'RSA-OAEP' }),
          token: signedBy(attacker, 'oaep'),
        },
        {
          label: 'key_ops ["encrypt"]',
          jwk: publishedJwk(attacker, 'ops', { key_ops: ['encrypt'] }),
          token: signedBy(attacker, 'ops'),
        },
        {
          label: 'private members (d)',
          jwk: { ...publishedJwk(attacker, 'private'), d: b64u('secret') },
          token: signedBy(attacker, 'private'),
        },
        // e = 1: the signature is simply the PKCS#1-encoded digest. A verifier that imports the key accepts this forgery.
        {
          label: 'e = 1',
          jwk: { kty: 'RSA', kid: 'e-one', n: real.jwk.n, e: 'AQ' },
          token: `${eOneInput}.${b64u(pkcs1Encoded(eOneInput, k))}`,
        },
        {
          label: 'e = 3',
          jwk: { kty: 'RSA', kid: 'e-three', n: real.jwk.n, e: 'Aw' },
          token: signedBy(real, 'e-three'),
        },
        {
          label: 'an even e (65538)',
          jwk: { kty: 'RSA', kid: 'e-even', n: real.jwk.n, e: b64u(Buffer.from([1, 0, 2])) },
          token: signedBy(real, 'e-even'),
        },
        {
          label: 'an even modulus',
          jwk: { kty: 'RSA', kid: 'n-even', n: b64u(evenN), e: 'AQAB' },
          token: signedBy(real, 'n-even'),
        },
        {
          label: 'a modulus with a leading zero octet',
          jwk: { kty: 'RSA', kid: 'n-zero', n: b64u(Buffer.concat([Buffer.from([0]), nBytes])), e: 'AQAB' },
          token: signedBy(real, 'n-zero'),
        },
        {
          label: 'kty "oct"',
          jwk: { kty: 'oct', kid: 'oct', k: b64u('secret') },
          token: hmacToken('HS256', 'secret', { alg: 'HS256', kid: 'oct' }, claims),
        },
        {
          label: 'kty "EC"',
          jwk: { ...ec, kid: 'ec' },
          token: `${b64u(JSON.stringify({ alg: 'ES256', kid: 'ec' }))}.${b64u(JSON.stringify(claims))}.${b64u(new Uint8Array(64))}`,
        },
      ]
    }

    it('the static jwks option refuses each at start-up', () => {
      for (const { label, jwk } of badKeys()) {
        assert.throws(
          () =>
            createDynamicAuth({ environmentId: ENV, staticKeys: { jwks: { keys: [publishedJwk(real, KID), jwk] } } }),
          DynamicAuthConfigError,
          label,
        )
        assert.ok('rejected' in acceptJwk(jwk), `acceptJwk accepted ${label}`)
      }
    })

    it('a served JWKS drops each, so tokens under their kids are refused while the good key works', async () => {
      const keys = badKeys()
      const server = await recordingServer(serveJson({ keys: [publishedJwk(real, KID), ...keys.map((k) => k.jwk)] }))
      try {
        const remote = createDynamicAuth({
          environmentId: ENV,
          jwks: { url: `${server.origin}/jwks` },
          advanced: { clock: fixedClock, tokenCacheSize: 0 },
        })
        await remote.verifyToken(signToken('RS256', real.privateKey, { alg: 'RS256', kid: KID }, claims))
        for (const { label, token } of keys) {
          await refused(remote.verifyToken(token), ['key_not_found', 'algorithm_not_allowed'], label)
        }
        assert.ok(server.count() <= 2, `${server.count()} JWKS requests`)
      } finally {
        await server.close()
      }
    })

    it('duplicate kids are ambiguous: neither key is trusted, a static JWKS is refused', async () => {
      const dup = [publishedJwk(real, 'dup'), publishedJwk(attacker, 'dup')]
      assert.throws(
        () =>
          createDynamicAuth({ environmentId: ENV, staticKeys: { jwks: { keys: [publishedJwk(real, KID), ...dup] } } }),
        DynamicAuthConfigError,
      )
      const server = await recordingServer(serveJson({ keys: [publishedJwk(real, KID), ...dup] }))
      try {
        const remote = createDynamicAuth({
          environmentId: ENV,
          jwks: { url: `${server.origin}/jwks` },
          advanced: { clock: fixedClock },
        })
        await remote.verifyToken(signToken('RS256', real.privateKey, { alg: 'RS256', kid: KID }, claims))
        await refused(
          remote.verifyToken(signToken('RS256', real.privateKey, { alg: 'RS256', kid: 'dup' }, claims)),
          'key_not_found',
          'first of the pair',
        )
        await refused(
          remote.verifyToken(signToken('RS256', attacker.privateKey, { alg: 'RS256', kid: 'dup' }, claims)),
          'key_not_found',
          'second of the pair',
        )
      } finally {
        await server.close()
      }
    })

    it('an unusable key sharing a kid with a good one makes the kid ambiguous', async () => {
      const server = await recordingServer(
        serveJson({
          keys: [publishedJwk(real, KID), publishedJwk(real, 'dup2'), publishedJwk(attacker, 'dup2', { use: 'enc' })],
        }),
      )
      try {
        const remote = createDynamicAuth({
          environmentId: ENV,
          jwks: { url: `${server.origin}/jwks` },
          advanced: { clock: fixedClock },
        })
        await remote.verifyToken(signToken('RS256', real.privateKey, { alg: 'RS256', kid: KID }, claims))
        await refused(
          remote.verifyToken(signToken('RS256', real.privateKey, { alg: 'RS256', kid: 'dup2' }, claims)),
          'key_not_found',
        )
      } finally {
        await server.close()
      }
    })
  })
})
