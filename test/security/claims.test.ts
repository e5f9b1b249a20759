/**
 * Claims: every token here is validly signed by the real key, so only the claim checks stand
 * between it and a session. Times are read against a fixed clock.
 */
import { before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createDynamicAuth, OTHER_ENVIRONMENT_ID, TEST_ENVIRONMENT_ID, type DynamicAuth } from './subject.js'
import {
  claimsFor,
  fixedClock,
  NOW,
  publishedJwk,
  refused,
  rsaPair,
  signRaw,
  signToken,
  type RsaPair,
} from './toolkit.js'

const ENV = TEST_ENVIRONMENT_ID
const OTHER = OTHER_ENVIRONMENT_ID
const KID = 'real-kid'
const ORIGIN = 'https://app.example.com'

describe('claims', () => {
  let pair: RsaPair
  let auth: DynamicAuth
  let withAudience: DynamicAuth

  before(() => {
    pair = rsaPair()
    const keys = { keys: [publishedJwk(pair, KID)] }
    auth = createDynamicAuth({
      environmentId: ENV,
      staticKeys: { jwks: keys },
      advanced: { clock: fixedClock, tokenCacheSize: 0 },
      clockTolerance: 5,
    })
    withAudience = createDynamicAuth({
      environmentId: ENV,
      staticKeys: { jwks: keys },
      advanced: { clock: fixedClock, tokenCacheSize: 0 },
      audience: ORIGIN,
    })
  })

  const token = (overrides: Record<string, unknown>): string =>
    signToken('RS256', pair.privateKey, { alg: 'RS256', kid: KID }, claimsFor(ENV, overrides))
  /** A token whose payload JSON has `name` set to raw JSON text (for 1e400, -0 and the like). */
  const rawClaim = (name: string, json: string): string => {
    const payload = JSON.stringify(claimsFor(ENV, { [name]: undefined })).replace('{', `{"${name}":${json},`)
    return signRaw('RS256', pair.privateKey, JSON.stringify({ alg: 'RS256', kid: KID }), payload)
  }

  it('accepts the control token', async () => {
    await auth.verifyToken(token({}))
  })

  describe('exp, nbf and iat', () => {
    const wrongTypes: Array<[string, string]> = [
      ['a numeric string', '"9999999999"'],
      ['"NaN"', '"NaN"'],
      ['"Infinity"', '"Infinity"'],
      ['null', 'null'],
      ['true', 'true'],
      ['an array', `[${NOW + 3600}]`],
      ['an object', `{"value":${NOW + 3600}}`],
      ['1e400 (parses to Infinity)', '1e400'],
      ['-1e400', '-1e400'],
      ['negative', '-1'],
      ['hugely negative', '-9007199254740993'],
    ]
    for (const name of ['exp', 'nbf', 'iat']) {
      it(`refuses ${name} of the wrong type or out of range`, async () => {
        for (const [label, json] of wrongTypes) {
          await refused(auth.verifyToken(rawClaim(name, json)), 'token_malformed', `${name} ${label}`)
        }
      })
    }
    it('requires exp', async () => {
      await refused(auth.verifyToken(token({ exp: undefined })), 'token_malformed')
    })
    it('refuses expired tokens, at the boundary too, fractional or not', async () => {
      await refused(auth.verifyToken(token({ exp: NOW - 5 })), 'token_expired', 'exp = now - tolerance')
      await refused(auth.verifyToken(token({ exp: NOW - 5.001 })), 'token_expired', 'fractional, just past')
      await refused(auth.verifyToken(token({ exp: 0 })), 'token_expired', 'exp 0')
      await refused(auth.verifyToken(rawClaim('exp', '-0')), ['token_expired', 'token_malformed'], 'exp -0')
      await auth.verifyToken(token({ exp: NOW - 4.5 })) // within the tolerance
      await auth.verifyToken(token({ exp: NOW + 0.5 }))
    })
    it('refuses an exp in milliseconds or absurdly far ahead', async () => {
      await refused(auth.verifyToken(token({ exp: NOW * 1000 })), 'token_malformed', 'milliseconds')
      await refused(auth.verifyToken(rawClaim('exp', '9007199254740993')), 'token_malformed', '2^53 + 1')
      await refused(auth.verifyToken(rawClaim('exp', '1e300')), 'token_malformed', '1e300')
      await refused(auth.verifyToken(token({ exp: NOW + 31 * 24 * 3600 })), 'token_malformed', '31 days ahead')
    })
    it('refuses nbf and iat in the future, accepts them within the tolerance', async () => {
      await refused(auth.verifyToken(token({ nbf: NOW + 3600 })), 'token_not_active', 'nbf +1 h')
      await refused(auth.verifyToken(token({ nbf: NOW + 5.5 })), 'token_not_active', 'nbf fractional beyond tolerance')
      await refused(auth.verifyToken(token({ nbf: NOW * 1000 })), 'token_not_active', 'nbf in ms')
      await refused(auth.verifyToken(token({ iat: NOW + 3600 })), 'token_not_active', 'iat +1 h')
      await refused(auth.verifyToken(token({ iat: NOW * 1000 })), 'token_not_active', 'iat in ms')
      await auth.verifyToken(token({ nbf: NOW + 4, iat: NOW + 4 }))
      await auth.verifyToken(token({ nbf: NOW - 0.25, iat: NOW - 0.25 }))
    })
  })

  describe('issuer and environment', () => {
    it('accepts both Dynamic hosts for the configured environment', async () => {
      await auth.verifyToken(token({ iss: `app.dynamicauth.com/${ENV}` }))
      await auth.verifyToken(token({ iss: `app.dynamic.xyz/${ENV}` }))
    })
    it('refuses every near-miss of the issuer', async () => {
      const variants: unknown[] = [
        `app.dynamicauth.com/${ENV}/`,
        `https://app.dynamicauth.com/${ENV}`,
        `http://app.dynamicauth.com/${ENV}`,
        `APP.DYNAMICAUTH.COM/${ENV}`,
        `app.dynamicauth.com/${ENV.toUpperCase()}`,
        `app.dynamicauth.com/${ENV}x`,
        `xapp.dynamicauth.com/${ENV}`,
        `app.dynamicauth.com.evil.com/${ENV}`,
        `app.dynamicauth.com/${ENV}?a=b`,
        `app.dynamicauth.com/${ENV}#frag`,
        `app.dynamicauth.com/x/../${ENV}`,
        ` app.dynamicauth.com/${ENV}`,
        `app.dynamicauth.com/${ENV}\u0000`,
        `аpp.dynamicauth.com/${ENV}`, // Cyrillic а
        `app.dynamic.xyz/${OTHER}`,
        `evil.example/${ENV}`,
        [`app.dynamicauth.com/${ENV}`],
        ['evil', `app.dynamicauth.com/${ENV}`],
        { iss: `app.dynamicauth.com/${ENV}` },
        null,
        123,
        '',
        undefined,
      ]
      for (const iss of variants) {
        await refused(
          auth.verifyToken(token({ iss })),
          ['issuer_mismatch', 'environment_mismatch'],
          `iss ${JSON.stringify(iss)}`,
        )
      }
    })
    it('refuses a token of another environment (a genuine token replayed, even under a shared key)', async () => {
      await refused(
        auth.verifyToken(token({ iss: `app.dynamicauth.com/${OTHER}`, environment_id: OTHER })),
        'environment_mismatch',
      )
      await refused(
        auth.verifyToken(token({ environment_id: OTHER })),
        'environment_mismatch',
        'right iss, other environment_id',
      )
      await refused(
        auth.verifyToken(token({ environment_id: ENV.toUpperCase() })),
        'environment_mismatch',
        'environment_id in upper case',
      )
      await refused(auth.verifyToken(token({ environment_id: 1 })), 'environment_mismatch', 'non-string environment_id')
      // The other direction: a verifier for the other environment, its own key, our token.
      const otherPair = rsaPair()
      const otherAuth = createDynamicAuth({
        environmentId: OTHER,
        staticKeys: { jwks: { keys: [publishedJwk(otherPair, 'other-kid')] } },
        advanced: { clock: fixedClock },
      })
      await otherAuth.verifyToken(
        signToken('RS256', otherPair.privateKey, { alg: 'RS256', kid: 'other-kid' }, claimsFor(OTHER)),
      ) // control
      await refused(otherAuth.verifyToken(token({})), 'key_not_found', 'our token at their verifier')
      // Even if both environments published the same kid, the keys differ.
      const sameKid = createDynamicAuth({
        environmentId: OTHER,
        staticKeys: { jwks: { keys: [publishedJwk(otherPair, KID)] } },
        advanced: { clock: fixedClock },
      })
      await refused(sameKid.verifyToken(token({})), 'signature_invalid', 'same kid, other key')
    })
  })

  describe('audience', () => {
    it('accepts aud as the exact origin, alone or in an array', async () => {
      await withAudience.verifyToken(token({ aud: ORIGIN }))
      await withAudience.verifyToken(token({ aud: ['https://other.example', ORIGIN] }))
    })
    it('refuses every near-miss of the audience', async () => {
      const variants: unknown[] = [
        `${ORIGIN}/`,
        `${ORIGIN}:443`,
        `${ORIGIN}.evil.com`,
        'http://app.example.com',
        'https://APP.example.com',
        'http://localhost:3000',
        [],
        ['https://evil.example'],
        [[ORIGIN]],
        { aud: ORIGIN },
        null,
        undefined,
        '',
        [...Array.from({ length: 64 }, (_, i) => `https://x${i}.example`), ORIGIN],
      ]
      for (const aud of variants) {
        await refused(
          withAudience.verifyToken(token({ aud })),
          'audience_mismatch',
          `aud ${JSON.stringify(aud)?.slice(0, 60)}`,
        )
      }
    })
  })

  describe('scope and the user:basic gate', () => {
    it('accepts user:basic as a whole, space-separated word', async () => {
      for (const scope of [
        'user:basic',
        'admin user:basic',
        'user:basic wallet:sign',
        '  user:basic  ',
        'a  user:basic',
      ]) {
        const session = await auth.verifyToken(token({ scope }))
        assert.ok(session.scopes.includes('user:basic'), scope)
      }
    })
    it('refuses substrings and near-misses of user:basic', async () => {
      const scopes = [
        'user:basic2',
        'xuser:basic',
        'user:basics',
        'user:basic:admin',
        'USER:BASIC',
        'User:Basic',
        'user:basic,other',
        'user:basic;other',
        'user:basic\u200b',
        '\u200buser:basic',
        'user：basic',
        'user:basic\u00a0admin',
        'admin\u00a0user:basic',
        'user:basic\tadmin',
        'user:basic\nadmin',
        'user basic',
        'user:',
        ':basic',
        '',
        'requiresAdditionalAuth',
        'superuser marketing operations',
      ]
      for (const scope of scopes) {
        await refused(auth.verifyToken(token({ scope })), 'insufficient_scope', `scope ${JSON.stringify(scope)}`)
      }
      await refused(auth.verifyToken(token({ scope: undefined })), 'insufficient_scope', 'no scope at all')
    })
    it('refuses scope as an array, an object or another non-string', async () => {
      for (const scope of [['user:basic'], { 'user:basic': true }, null, 1, true]) {
        await refused(auth.verifyToken(token({ scope })), 'token_malformed', `scope ${JSON.stringify(scope)}`)
      }
      for (const scopes of ['user:basic', { 0: 'user:basic' }, [['user:basic']], [1]]) {
        await refused(
          auth.verifyToken(token({ scope: undefined, scopes })),
          'token_malformed',
          `scopes ${JSON.stringify(scopes)}`,
        )
      }
      // The legacy array is read only when scope is absent: it cannot add to a scope string.
      await refused(
        auth.verifyToken(token({ scope: 'admin', scopes: ['user:basic'] })),
        'insufficient_scope',
        'scope plus legacy scopes',
      )
    })
    it('refuses MFA-pending tokens with 403 and says why', async () => {
      const error = await refused(auth.verifyToken(token({ scope: 'requiresAdditionalAuth' })), 'insufficient_scope')
      assert.equal(error.status, 403)
      assert.match(error.message, /MFA|additional/i)
      assert.deepEqual((error as { missingScopes?: string[] }).missingScopes, ['user:basic'])
    })
    it('per-call scopes are matched exactly too', async () => {
      const t = token({ scope: 'user:basic wallet:signer wallet:sign2 WALLET:SIGN' })
      await refused(auth.verifyToken(t, { requiredScopes: ['wallet:sign'] }), 'insufficient_scope')
      await auth.verifyToken(token({ scope: 'user:basic wallet:sign' }), { requiredScopes: ['wallet:sign'] })
    })
  })

  describe('subject', () => {
    it('refuses a missing or non-string sub', async () => {
      for (const sub of [undefined, '', 1, ['u'], { id: 'u' }, null]) {
        await refused(auth.verifyToken(token({ sub })), 'token_malformed', `sub ${JSON.stringify(sub)}`)
      }
    })
  })
})
