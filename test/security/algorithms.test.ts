/**
 * Algorithm attacks: the token's header must never choose how it is verified. Only RS256 over the
 * configured keys is accepted; every other algorithm is refused before any cryptography, even when
 * its signature is genuinely valid under the real key.
 */
import { before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createPublicKey, sign, verify, constants } from 'node:crypto'
import { generateKeyPair } from '../support/key-pair.js'
import { createDynamicAuth, TEST_ENVIRONMENT_ID, nodeBackend, type DynamicAuth } from './subject.js'
import {
  b64u,
  claimsFor,
  fixedClock,
  hmacToken,
  publishedJwk,
  rawToken,
  refused,
  rsaPair,
  signAs,
  signRaw,
  signToken,
  type RsaPair,
} from './toolkit.js'

const ENV = TEST_ENVIRONMENT_ID
const KID = 'real-kid'

describe('algorithm attacks', () => {
  let pair: RsaPair
  let auth: DynamicAuth
  let claims: Record<string, unknown>
  let valid: string

  before(() => {
    pair = rsaPair()
    auth = createDynamicAuth({
      environmentId: ENV,
      staticKeys: { jwks: { keys: [publishedJwk(pair, KID)] } },
      advanced: { clock: fixedClock, tokenCacheSize: 0 },
    })
    claims = claimsFor(ENV)
    valid = signToken('RS256', pair.privateKey, { alg: 'RS256', kid: KID, typ: 'JWT' }, claims)
  })

  it('accepts the control: an RS256 token signed by the real key', async () => {
    const session = await auth.verifyToken(valid)
    assert.equal(session.userId, claims.sub)
  })

  describe('alg "none" in every spelling', () => {
    const algs: Array<[string, string]> = [
      ['none', '"none"'],
      ['None', '"None"'],
      ['NONE', '"NONE"'],
      ['nOnE', '"nOnE"'],
      ['none with a trailing space', '"none "'],
      ['JSON-escaped \\u006eone', '"\\u006eone"'],
      ['fully escaped', '"\\u006e\\u006f\\u006e\\u0065"'],
      ['empty string', '""'],
      ['null', 'null'],
      ['an array', '["none"]'],
      ['an object', '{"alg":"RS256"}'],
      ['a number', '256'],
      ['RS256 in lower case', '"rs256"'],
      ['RS256 with a space', '"RS256 "'],
      ['RS256 with a NUL', '"RS256\\u0000"'],
    ]
    for (const [label, alg] of algs) {
      it(`refuses alg ${label}, keeping the real RS256 signature`, async () => {
        const header = `{"alg":${alg},"kid":"${KID}","typ":"JWT"}`
        const payload = JSON.stringify(claims)
        const signature = valid.split('.')[2]!
        await refused(auth.verifyToken(rawToken(header, payload, signature)), 'algorithm_not_allowed', label)
      })
      it(`refuses alg ${label} with the signature stripped (h.p. and h.p)`, async () => {
        const header = `{"alg":${alg},"typ":"JWT"}`
        const unsigned = rawToken(header, JSON.stringify(claims))
        await refused(auth.verifyToken(unsigned), ['token_malformed', 'algorithm_not_allowed'], `${label} h.p.`)
        await refused(auth.verifyToken(unsigned.slice(0, -1)), 'token_malformed', `${label} h.p`)
      })
    }
    it('refuses a header without alg', async () => {
      const token = rawToken(`{"kid":"${KID}"}`, JSON.stringify(claims), valid.split('.')[2]!)
      await refused(auth.verifyToken(token), 'algorithm_not_allowed')
    })
    it('refuses alg none hidden behind a duplicate alg member', async () => {
      const signed = signRaw(
        'RS256',
        pair.privateKey,
        `{"alg":"none","alg":"RS256","kid":"${KID}"}`,
        JSON.stringify(claims),
      )
      await refused(auth.verifyToken(signed), 'token_malformed')
    })
  })

  describe('HMAC keyed with the RSA public key (key confusion)', () => {
    const secrets = (): Array<[string, string | Uint8Array]> => {
      const spkiPem = String(pair.publicKey.export({ type: 'spki', format: 'pem' }))
      const pkcs1Pem = String(pair.publicKey.export({ type: 'pkcs1', format: 'pem' }))
      const jwkText = JSON.stringify(publishedJwk(pair, KID))
      return [
        ['SPKI PEM', spkiPem],
        ['SPKI PEM without the trailing newline', spkiPem.trimEnd()],
        ['SPKI PEM with CRLF', spkiPem.replace(/\n/g, '\r\n')],
        ['SPKI PEM with leading whitespace', ` \n${spkiPem}`],
        ['PKCS#1 PEM', pkcs1Pem],
        ['SPKI DER', pair.publicKey.export({ type: 'spki', format: 'der' })],
        ['PKCS#1 DER', pair.publicKey.export({ type: 'pkcs1', format: 'der' })],
        ["the JWK's n (base64url text)", pair.jwk.n],
        ['the modulus bytes', Buffer.from(pair.jwk.n, 'base64url')],
        ['the JWK as served (JSON text)', jwkText],
        ['the JWKS document text', JSON.stringify({ keys: [JSON.parse(jwkText)] })],
        ['an empty key', ''],
      ]
    }
    for (const alg of ['HS256', 'HS384', 'HS512'] as const) {
      it(`refuses ${alg} signed with every serialisation of the public key`, async () => {
        for (const [label, secret] of secrets()) {
          const token = hmacToken(alg, secret, { alg, kid: KID, typ: 'JWT' }, claims)
          await refused(auth.verifyToken(token), 'algorithm_not_allowed', `${alg} / ${label}`)
          // Also without a kid, in case a key-less path exists (a PEM-configured verifier).
          await refused(
            auth.verifyToken(hmacToken(alg, secret, { alg }, claims)),
            'algorithm_not_allowed',
            `${alg} / ${label} / no kid`,
          )
        }
      })
    }
    it('refuses HS256 keyed with the PEM on a verifier configured with that PEM (publicKey option)', async () => {
      const pem = String(pair.publicKey.export({ type: 'spki', format: 'pem' }))
      const pemAuth = createDynamicAuth({
        environmentId: ENV,
        staticKeys: { publicKey: pem },
        advanced: { clock: fixedClock },
      })
      await pemAuth.verifyToken(signToken('RS256', pair.privateKey, { alg: 'RS256' }, claims)) // control
      await refused(pemAuth.verifyToken(hmacToken('HS256', pem, { alg: 'HS256' }, claims)), 'algorithm_not_allowed')
    })
  })

  describe('other asymmetric algorithms with the real key', () => {
    for (const alg of ['RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const) {
      it(`refuses ${alg}, although its signature is valid under the real key`, async () => {
        const header = { alg, kid: KID, typ: 'JWT' }
        const token = signToken(alg, pair.privateKey, header, claims)
        // The forgery is genuine: the real public key verifies it under its own algorithm.
        const [h, p, s] = token.split('.') as [string, string, string]
        const hash = `sha${alg.slice(2)}`
        const options = alg.startsWith('PS')
          ? { key: pair.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING }
          : pair.publicKey
        assert.ok(verify(hash, Buffer.from(`${h}.${p}`), options, Buffer.from(s, 'base64url')))
        await refused(auth.verifyToken(token), 'algorithm_not_allowed', alg)
      })
    }

    it('refuses ES256 with r = s = 0 (psychic signature)', async () => {
      const input = `${b64u(JSON.stringify({ alg: 'ES256', kid: KID }))}.${b64u(JSON.stringify(claims))}`
      await refused(auth.verifyToken(`${input}.${b64u(new Uint8Array(64))}`), 'algorithm_not_allowed')
    })

    it('refuses ES256 and EdDSA signed by an attacker key', async () => {
      const ec = generateKeyPair('ec', { namedCurve: 'P-256' })
      const input = `${b64u(JSON.stringify({ alg: 'ES256', kid: KID }))}.${b64u(JSON.stringify(claims))}`
      const es = sign('sha256', Buffer.from(input), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' })
      await refused(auth.verifyToken(`${input}.${b64u(es)}`), 'algorithm_not_allowed')
      const ed = generateKeyPair('ed25519')
      const edInput = `${b64u(JSON.stringify({ alg: 'EdDSA', kid: KID }))}.${b64u(JSON.stringify(claims))}`
      await refused(
        auth.verifyToken(`${edInput}.${b64u(sign(null, Buffer.from(edInput), ed.privateKey))}`),
        'algorithm_not_allowed',
      )
    })
  })

  describe('header extensions', () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      ['crit ["exp"]', { crit: ['exp'] }],
      ['crit []', { crit: [] }],
      ['crit "b64" (a string)', { crit: 'b64' }],
      ['b64 false with crit', { b64: false, crit: ['b64'] }],
      ['b64 false without crit', { b64: false }],
      ['enc (a JWE header)', { enc: 'A256GCM' }],
    ]
    for (const [label, extra] of cases) {
      it(`refuses a validly signed token whose header has ${label}`, async () => {
        const token = signToken('RS256', pair.privateKey, { alg: 'RS256', kid: KID, ...extra }, claims)
        await refused(auth.verifyToken(token), 'token_malformed', label)
      })
    }
  })

  describe('signature stripping, truncation and transplanting', () => {
    it('refuses every damaged form of a valid signature', async () => {
      const [h, p, s] = valid.split('.') as [string, string, string]
      const bytes = Buffer.from(s, 'base64url')
      const n = Buffer.from(pair.jwk.n, 'base64url')
      const other = signToken('RS256', pair.privateKey, { alg: 'RS256', kid: KID }, { ...claims, sub: 'someone-else' })
      const variants: Array<[string, string]> = [
        ['empty', `${h}.${p}.`],
        ['missing', `${h}.${p}`],
        ['last 4 characters dropped', `${h}.${p}.${s.slice(0, -4)}`],
        ['one character appended', `${h}.${p}.${s}A`],
        ['a leading zero byte', `${h}.${p}.${b64u(Buffer.concat([Buffer.from([0]), bytes]))}`],
        ['a trailing zero byte', `${h}.${p}.${b64u(Buffer.concat([bytes, Buffer.from([0])]))}`],
        ['all zero bytes', `${h}.${p}.${b64u(new Uint8Array(bytes.length))}`],
        ['equal to n', `${h}.${p}.${b64u(n)}`],
        ['the value 1', `${h}.${p}.${b64u(Buffer.concat([new Uint8Array(bytes.length - 1), Buffer.from([1])]))}`],
        ["another token's signature", `${h}.${p}.${other.split('.')[2]}`],
        [
          'the payload changed under the same signature',
          `${h}.${b64u(JSON.stringify({ ...claims, sub: 'admin' }))}.${s}`,
        ],
      ]
      for (const [label, token] of variants) {
        await refused(auth.verifyToken(token), ['signature_invalid', 'token_malformed'], label)
      }
    })

    it('never hands a signature of the wrong length to the crypto backend', async () => {
      const calls: number[] = []
      const spy = {
        ...nodeBackend,
        verifyRs256: (key: unknown, input: string, signature: Uint8Array) => {
          calls.push(signature.length)
          return nodeBackend.verifyRs256(key, input, signature)
        },
      }
      const spied = createDynamicAuth({
        environmentId: ENV,
        staticKeys: { jwks: { keys: [publishedJwk(pair, KID)] } },
        advanced: { clock: fixedClock, signatureBackend: spy },
      })
      const [h, p, s] = valid.split('.') as [string, string, string]
      const bytes = Buffer.from(s, 'base64url')
      const k = Buffer.from(pair.jwk.n, 'base64url').length // the modulus length in bytes: 512 for RSA-4096
      await refused(
        spied.verifyToken(`${h}.${p}.${b64u(Buffer.concat([Buffer.from([0]), bytes]))}`),
        'signature_invalid',
        `${k + 1} bytes`,
      )
      await refused(spied.verifyToken(`${h}.${p}.${b64u(bytes.subarray(1))}`), 'signature_invalid', `${k - 1} bytes`)
      assert.deepEqual(calls, [], 'the modulus-length check runs before the backend')
      await spied.verifyToken(valid)
      assert.deepEqual(calls, [k])
    })

    it('a PS256 signature presented as RS256 does not verify', async () => {
      const input = `${b64u(JSON.stringify({ alg: 'RS256', kid: KID }))}.${b64u(JSON.stringify(claims))}`
      await refused(auth.verifyToken(`${input}.${b64u(signAs('PS256', pair.privateKey, input))}`), 'signature_invalid')
    })
  })

  it('the public key itself is only ever used as an RSA key', () => {
    // Sanity for the HMAC tests: the PEM really is this key.
    const pem = String(pair.publicKey.export({ type: 'spki', format: 'pem' }))
    assert.equal(createPublicKey(pem).export({ format: 'jwk' }).n, pair.jwk.n)
  })
})
