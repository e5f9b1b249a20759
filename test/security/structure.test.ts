/**
 * Structure: only a strict compact JWS gets past parsing. Every test token here is signed by the
 * real key over exactly the bytes sent, so a lenient parser would accept it: the refusal must come
 * from the parser's strictness, not from a broken signature.
 */
import { before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createDynamicAuth, TEST_ENVIRONMENT_ID, type DynamicAuth } from './subject.js'
import {
  b64u,
  claimsFor,
  fixedClock,
  publishedJwk,
  refused,
  rsaPair,
  signBytes,
  signParts,
  signRaw,
  signToken,
  type RsaPair,
} from './toolkit.js'

const ENV = TEST_ENVIRONMENT_ID
const KID = 'real-kid'

describe('token structure', () => {
  let pair: RsaPair
  let auth: DynamicAuth
  let valid: string
  let headerJson: string
  let payloadJson: string
  const claims = claimsFor(ENV)

  before(() => {
    pair = rsaPair()
    auth = createDynamicAuth({
      environmentId: ENV,
      staticKeys: { jwks: { keys: [publishedJwk(pair, KID)] } },
      advanced: { clock: fixedClock, tokenCacheSize: 0 },
    })
    headerJson = JSON.stringify({ alg: 'RS256', kid: KID, typ: 'JWT' })
    payloadJson = JSON.stringify(claims)
    valid = signRaw('RS256', pair.privateKey, headerJson, payloadJson)
  })

  const signedJson = (header: string, payload: string): string => signRaw('RS256', pair.privateKey, header, payload)

  it('accepts the control token', async () => {
    await auth.verifyToken(valid)
  })

  describe('parts', () => {
    it('refuses the wrong number of parts and empty parts', async () => {
      const [h, p, s] = valid.split('.') as [string, string, string]
      const cases = [
        '.',
        '..',
        '...',
        '....',
        `${h}`,
        `${h}.${p}`,
        `${h}..${s}`,
        `.${p}.${s}`,
        `${h}.${p}.${s}.`,
        `${h}.${p}.${s}.${s}`,
        `${h}.${p}.${s}${'.'.repeat(100_000)}`,
      ]
      for (const token of cases) await refused(auth.verifyToken(token), 'token_malformed', token.slice(0, 40))
      await refused(auth.verifyToken(''), 'token_missing')
    })
    it('refuses a JWE (five parts, or an enc header)', async () => {
      const jwe = `${b64u('{"alg":"RSA-OAEP","enc":"A256GCM"}')}.${b64u('ek')}.${b64u('iv-iv-iv-iv')}.${b64u(payloadJson)}.${b64u('tag-tag-tag-tag')}`
      const error = await refused(auth.verifyToken(jwe), 'token_malformed')
      assert.match(error.message, /JWE/)
      await refused(
        auth.verifyToken(`${b64u('{"alg":"dir","enc":"A128GCM"}')}..${b64u('iv')}.${b64u('ct')}.${b64u('tag')}`),
        'token_malformed',
      )
      await refused(
        auth.verifyToken(
          signToken('RS256', pair.privateKey, { alg: 'RS256', kid: KID, enc: 'A256GCM', zip: 'DEF' }, claims),
        ),
        'token_malformed',
      )
    })
    it('refuses the JSON serialisation of a JWS', async () => {
      const [h, p, s] = valid.split('.') as [string, string, string]
      await refused(auth.verifyToken(JSON.stringify({ protected: h, payload: p, signature: s })), 'token_malformed')
      await refused(
        auth.verifyToken(JSON.stringify({ payload: p, signatures: [{ protected: h, signature: s }] })),
        'token_malformed',
      )
    })
  })

  describe('base64url strictness (each variant signed over its exact text)', () => {
    const variants = (): Array<[string, string]> => {
      const h = b64u(headerJson)
      const p = b64u(payloadJson)
      const out: Array<[string, string]> = []
      const padded = (part: string): string => part + '='.repeat((4 - (part.length % 4)) % 4)
      if (h.length % 4) out.push(['padding on the header', signParts(pair.privateKey, padded(h), p)])
      if (p.length % 4) out.push(['padding on the payload', signParts(pair.privateKey, h, padded(p))])
      const s = valid.split('.')[2]!
      out.push(['padding on the signature', `${h}.${p}.${padded(s)}`])
      out.push(['a lone "=" on the signature', `${h}.${p}.${s}=`])
      // Standard-alphabet forms: the same bytes, written with + and / instead of - and _.
      const standard = (part: string): string => part.replace(/-/g, '+').replace(/_/g, '/')
      if (standard(s) !== s) out.push(['standard alphabet in the signature', `${h}.${p}.${standard(s)}`])
      const spicy = b64u(JSON.stringify({ ...claims, note: '\u00ff\u00fe>>>???' }))
      assert.notEqual(standard(spicy), spicy)
      out.push(['standard alphabet in the payload', signParts(pair.privateKey, h, standard(spicy))])
      for (const [label, junk] of [
        ['a space', ' '],
        ['a newline', '\n'],
        ['a tab', '\t'],
        ['CRLF', '\r\n'],
        ['"?"', '?'],
        ['"#"', '#'],
        ['a backslash', '\\'],
        ['"!"', '!'],
        ['"%"', '%'],
        ['a NUL', '\0'],
        ['a non-ASCII letter', 'é'],
      ] as const) {
        out.push([`${label} inside the payload`, signParts(pair.privateKey, h, `${p.slice(0, 8)}${junk}${p.slice(8)}`)])
        out.push([`${label} inside the signature`, `${h}.${p}.${s.slice(0, 10)}${junk}${s.slice(10)}`])
      }
      out.push(['a leading space', ` ${valid}`])
      out.push(['a trailing newline', `${valid}\n`])
      // Non-canonical last character: the unused low bits set. Decodes to the same bytes leniently.
      const lastBitsSet = (part: string): string | undefined => {
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
        const unused = part.length % 4 === 2 ? 0b1111 : part.length % 4 === 3 ? 0b11 : 0
        if (!unused) return undefined
        const value = alphabet.indexOf(part.at(-1)!)
        return part.slice(0, -1) + alphabet[value | 1]
      }
      const sNon = lastBitsSet(s)
      if (sNon) out.push(['a non-canonical last character in the signature', `${h}.${p}.${sNon}`])
      for (const [name, json] of [
        ['header', headerJson],
        ['payload', payloadJson],
      ] as const) {
        for (let extra = 0; extra < 3; extra++) {
          const text =
            name === 'header'
              ? json.replace('}', `,"x":"${'y'.repeat(extra)}"}`)
              : json.replace('}', `,"x":"${'y'.repeat(extra)}"}`)
          const part = b64u(text)
          const non = lastBitsSet(part)
          if (non)
            out.push([
              `a non-canonical last character in the ${name} (length ${part.length})`,
              name === 'header' ? signParts(pair.privateKey, non, p) : signParts(pair.privateKey, h, non),
            ])
        }
      }
      out.push([
        'a payload part of length 4k+1',
        signParts(pair.privateKey, h, `${p.slice(0, p.length - (p.length % 4))}A`),
      ])
      return out
    }
    it('refuses every non-canonical encoding', async () => {
      const all = variants()
      assert.ok(all.length > 30)
      for (const [label, token] of all) await refused(auth.verifyToken(token), 'token_malformed', label)
    })
  })

  describe('JSON content', () => {
    it('refuses a header or payload that is valid JSON but not an object', async () => {
      for (const payload of ['[]', '["exp",1]', 'null', '"user:basic"', '123', 'true', `[${payloadJson}]`]) {
        await refused(
          auth.verifyToken(signedJson(headerJson, payload)),
          'token_malformed',
          `payload ${payload.slice(0, 20)}`,
        )
      }
      for (const header of ['[]', 'null', '"RS256"', '1', `[${headerJson}]`]) {
        await refused(
          auth.verifyToken(signedJson(header, payloadJson)),
          'token_malformed',
          `header ${header.slice(0, 20)}`,
        )
      }
    })
    it('refuses invalid JSON and invalid UTF-8', async () => {
      const cases: Array<[string, Uint8Array | string]> = [
        ['truncated JSON', payloadJson.slice(0, -1)],
        ['trailing comma', payloadJson.replace('}', ',}')],
        ['a comment', `/*x*/${payloadJson}`],
        ['single quotes', payloadJson.replace(/"/g, "'")],
        ['a UTF-8 BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(payloadJson)])],
        [
          'a 0xFF byte in a string',
          Buffer.from(payloadJson.replace('"sub":"', '"sub":"\u0001').replace('\u0001', '\u0000')).map((b) =>
            b === 0 ? 0xff : b,
          ),
        ],
        [
          'an overlong encoding of "/"',
          Buffer.concat([
            Buffer.from(`${payloadJson.slice(0, -1)},"x":"`),
            Buffer.from([0xc0, 0xaf]),
            Buffer.from('"}'),
          ]),
        ],
        [
          'a CESU-8 surrogate',
          Buffer.concat([
            Buffer.from(`${payloadJson.slice(0, -1)},"x":"`),
            Buffer.from([0xed, 0xa0, 0x80]),
            Buffer.from('"}'),
          ]),
        ],
      ]
      for (const [label, payload] of cases) {
        await refused(auth.verifyToken(signBytes(pair.privateKey, headerJson, payload)), 'token_malformed', label)
      }
    })
    it('refuses duplicate members, also when one name is escaped', async () => {
      const good = claims.iss as string
      const cases: Array<[string, string, string]> = [
        ['header alg twice', '{"alg":"none","alg":"RS256","kid":"real-kid"}', payloadJson],
        ['header kid twice', `{"alg":"RS256","kid":"other","kid":"${KID}"}`, payloadJson],
        ['header kid twice, escaped', `{"alg":"RS256","kid":"other","\\u006bid":"${KID}"}`, payloadJson],
        ['sub twice', headerJson, payloadJson.replace('{', '{"sub":"victim",')],
        ['sub twice, escaped', headerJson, payloadJson.replace('{', '{"s\\u0075b":"victim",')],
        [
          'scope twice (the second grants user:basic)',
          headerJson,
          JSON.stringify({ ...claims, scope: undefined }).replace('{', '{"scope":"none","scope":"user:basic",'),
        ],
        [
          'iss twice',
          headerJson,
          payloadJson.replace('{', `{"iss":"evil.example/${ENV}",`).replace(`"iss":"${good}"`, `"iss":"${good}"`),
        ],
        ['exp twice, escaped', headerJson, payloadJson.replace('{', '{"\\u0065xp":1,')],
        ['a nested duplicate', headerJson, payloadJson.replace('{', '{"meta":{"a":1,"a":2},')],
      ]
      for (const [label, header, payload] of cases) {
        await refused(auth.verifyToken(signedJson(header, payload)), 'token_malformed', label)
      }
    })
    it('refuses __proto__ members and pollutes no prototype', async () => {
      const noScope = JSON.stringify({ ...claims, scope: undefined })
      const cases: Array<[string, string, string]> = [
        [
          'payload __proto__ granting the scope',
          headerJson,
          noScope.replace('{', '{"__proto__":{"scope":"user:basic","admin":true},'),
        ],
        ['payload __proto__, escaped', headerJson, noScope.replace('{', '{"\\u005f_proto__":{"scope":"user:basic"},')],
        ['nested __proto__', headerJson, payloadJson.replace('{', '{"metadata":{"__proto__":{"admin":true}},')],
        [
          'header __proto__ carrying crit',
          '{"alg":"RS256","kid":"real-kid","__proto__":{"crit":["x"],"b64":false}}',
          payloadJson,
        ],
      ]
      for (const [label, header, payload] of cases) {
        await refused(auth.verifyToken(signedJson(header, payload)), 'token_malformed', label)
      }
      assertNoPollution()
    })
    it('keeps constructor and prototype members as plain own data, and pollutes no prototype', async () => {
      const payload = payloadJson.replace(
        '{',
        '{"constructor":{"prototype":{"admin":true,"scope":"user:basic"}},"prototype":{"polluted":true},',
      )
      const session = await auth.verifyToken(signedJson(headerJson, payload))
      assert.deepEqual((session.claims as Record<string, unknown>).constructor, {
        prototype: { admin: true, scope: 'user:basic' },
      })
      assert.equal(Object.getPrototypeOf(session.claims), Object.prototype)
      assertNoPollution()
      // A token without its own scope cannot borrow one through constructor.prototype.
      const borrowed = JSON.stringify({ ...claims, scope: undefined }).replace(
        '{',
        '{"constructor":{"prototype":{"scope":"user:basic"}},',
      )
      await refused(auth.verifyToken(signedJson(headerJson, borrowed)), 'insufficient_scope')
      assertNoPollution()
    })
    it('refuses deep nesting, and stays fast on a 100 000-level payload', async () => {
      const nested = (depth: number): string =>
        JSON.stringify({ ...claims }).replace('{', `{"x":${'['.repeat(depth)}${']'.repeat(depth)},`)
      await refused(auth.verifyToken(signedJson(headerJson, nested(40))), 'token_malformed', 'depth 40')
      await refused(
        auth.verifyToken(signedJson(headerJson, nested(40).replace(/\[/g, '{"a":').replace(/\]/g, '}'))),
        'token_malformed',
        'objects, depth 40',
      )
      const roomy = createDynamicAuth({
        environmentId: ENV,
        staticKeys: { jwks: { keys: [publishedJwk(pair, KID)] } },
        advanced: { clock: fixedClock, maxTokenLength: 1 << 20 },
      })
      await refused(roomy.verifyToken(signedJson(headerJson, nested(100_000))), 'token_malformed', 'depth 100000')
      await roomy.verifyToken(signedJson(headerJson, nested(20))) // moderate nesting is fine
    })
  })

  describe('size', () => {
    it('refuses oversized tokens and headers before decoding them', async () => {
      const bigHeader = signToken('RS256', pair.privateKey, { alg: 'RS256', kid: KID, x: 'A'.repeat(15_000) }, claims)
      await refused(auth.verifyToken(bigHeader), 'token_malformed', 'a 15 KB header')
      const manyClaims = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`c${i}`, i]))
      await refused(
        auth.verifyToken(signToken('RS256', pair.privateKey, { alg: 'RS256', kid: KID }, { ...claims, ...manyClaims })),
        'token_malformed',
        '5000 claims',
      )
      const error = await refused(auth.verifyToken('A'.repeat(10_000_000)), 'token_malformed', '10 MB of A')
      assert.ok(error.message.length < 300)
      await refused(auth.verifyToken(`${valid}${'A'.repeat(16_384)}`), 'token_malformed', 'just over the limit')
    })
  })

  describe('non-string input', () => {
    it('refuses without coercing', async () => {
      await refused(auth.verifyToken(undefined as unknown as string), 'token_missing')
      await refused(auth.verifyToken(null as unknown as string), 'token_missing')
      const coercible = { toString: () => valid, valueOf: () => valid, [Symbol.toPrimitive]: () => valid }
      const inputs: unknown[] = [
        123,
        0,
        NaN,
        true,
        false,
        {},
        [],
        [valid],
        valid.split('.'),
        Buffer.from(valid),
        new String(valid),
        coercible,
        () => valid,
        Symbol('t'),
        10n,
        new Date(),
        /x/,
      ]
      for (const input of inputs) {
        await refused(auth.verifyToken(input as string), 'token_malformed', Object.prototype.toString.call(input))
      }
    })
  })
})

function assertNoPollution(): void {
  const probe = {} as Record<string, unknown>
  for (const name of ['admin', 'scope', 'polluted', 'crit', 'b64']) {
    assert.equal(probe[name], undefined, `Object.prototype.${name} was polluted`)
    assert.equal(Object.hasOwn(Object.prototype, name), false)
  }
}
