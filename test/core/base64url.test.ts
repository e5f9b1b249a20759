import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  decodeBase64url,
  decodeBase64urlTransient,
  encodeBase64url,
  isAsciiText,
  isCanonicalBase64url,
} from '../../src/parse/base64url.js'
import { parseCompactJws } from '../../src/parse/compact-jws.js'
import { DynamicAuthError } from '../../src/errors.js'

const ALPHABET = /^[A-Za-z0-9_-]$/

describe('strict base64url', () => {
  const samples = [
    encodeBase64url('{"sub":"abc","scope":"user:basic","n":12345}'),
    encodeBase64url('{"a":1}x'),
    encodeBase64url('{"a":1}xy'),
  ]

  it('decodes canonical input exactly', () => {
    for (const text of samples) {
      assert.ok(isCanonicalBase64url(text))
      assert.equal(Buffer.from(decodeBase64url(text)!).toString('base64url'), text)
      assert.equal(Buffer.from(decodeBase64urlTransient(text)!).toString('base64url'), text)
    }
  })

  it('refuses every character outside the alphabet, at every position, inserted or replacing', () => {
    // All of ASCII, Latin-1, and wide characters whose low byte is an alphabet character (a
    // decoder that reads only the low byte would otherwise take them for that character).
    const codes: number[] = []
    for (let c = 0; c < 256; c++) codes.push(c)
    for (const low of 'Az09-_+/='.split('').map((ch) => ch.charCodeAt(0)))
      for (let high = 1; high < 256; high += 37) codes.push((high << 8) | low)
    let checked = 0
    for (const text of samples) {
      for (const code of codes) {
        const ch = String.fromCharCode(code)
        if (ALPHABET.test(ch)) continue
        for (let k = 0; k <= text.length; k++) {
          for (const variant of [text.slice(0, k) + ch + text.slice(k), text.slice(0, k) + ch + text.slice(k + 1)]) {
            checked++
            assert.equal(decodeBase64url(variant), undefined, `accepted ${JSON.stringify(variant)}`)
            assert.equal(
              decodeBase64urlTransient(variant),
              undefined,
              `accepted into the reused buffer: ${JSON.stringify(variant)}`,
            )
          }
        }
      }
    }
    assert.ok(checked > 30_000, `checked ${checked}`)
  })

  it('refuses padding, lengths of 4n+1 and non-zero unused bits', () => {
    for (const decode of [decodeBase64url, decodeBase64urlTransient]) {
      assert.equal(decode('YQ=='), undefined)
      assert.equal(decode('YQ='), undefined)
      assert.equal(decode('YWJjZ'), undefined)
      assert.ok(decode('YQ'))
      assert.equal(decode('YR'), undefined, 'YR decodes to the same byte as YQ')
      assert.ok(decode('YWI'))
      assert.equal(decode('YWJ'), undefined)
    }
  })

  it("decodes into the reused buffer exactly what it decodes into a new one, up to and past that buffer's size", () => {
    for (const size of [0, 1, 2, 3, 100, 8191, 8192, 8193, 20_000]) {
      const bytes = Buffer.alloc(size, 0xa5)
      for (let i = 0; i < size; i++) bytes[i] = (i * 131 + size) & 0xff
      const text = bytes.toString('base64url')
      assert.deepEqual(Buffer.from(decodeBase64urlTransient(text)!), bytes, `${size} bytes`)
      assert.deepEqual(Buffer.from(decodeBase64url(text)!), bytes, `${size} bytes`)
    }
  })

  it('proves text ASCII exactly when every character is below 128', () => {
    for (let c = 0; c < 0x300; c++) {
      const ch = String.fromCharCode(c)
      assert.equal(isAsciiText(`abc${ch}def`), c < 128, `U+${c.toString(16)}`)
    }
    assert.equal(isAsciiText('a\ud83d\ude00'), false)
    assert.equal(isAsciiText(''), true)
  })

  it('decodes a part already proven ASCII exactly as it decodes it unproven', () => {
    // The sweep above, over ASCII only, with the proof given: the same refusals and bytes.
    for (const text of samples) {
      for (let c = 0; c < 128; c++) {
        const ch = String.fromCharCode(c)
        for (let k = 0; k <= text.length; k++) {
          for (const variant of [
            text,
            text.slice(0, k) + ch + text.slice(k),
            text.slice(0, k) + ch + text.slice(k + 1),
          ]) {
            const expected = decodeBase64url(variant)
            const got = decodeBase64url(variant, true)
            assert.deepEqual(got && Buffer.from(got), expected && Buffer.from(expected), JSON.stringify(variant))
            const transient = decodeBase64urlTransient(variant, true)
            assert.deepEqual(
              transient && Buffer.from(transient),
              expected && Buffer.from(expected),
              JSON.stringify(variant),
            )
          }
        }
      }
    }
  })

  it('names the part at fault when a token is not ASCII (one proof for the whole token)', () => {
    const header = encodeBase64url('{"alg":"RS256","typ":"JWT"}')
    const payload = encodeBase64url('{"sub":"abc","scope":"user:basic"}')
    const signature = encodeBase64url('0123456789abcdef')
    // Wide characters whose low byte is an alphabet character, Latin-1, and a surrogate pair.
    for (const wide of ['\u0141', '\u0130', '\u00e9', '\ud83d\ude00']) {
      const cases: Array<[string, string]> = [
        ['header', `${header.slice(0, 4)}${wide}${header.slice(4)}.${payload}.${signature}`],
        ['payload', `${header}.${payload.slice(0, 4)}${wide}${payload.slice(4)}.${signature}`],
        ['signature', `${header}.${payload}.${signature.slice(0, 4)}${wide}${signature.slice(4)}`],
      ]
      for (const [part, token] of cases) {
        assert.throws(
          () => parseCompactJws(token, 65536),
          (error: unknown) =>
            error instanceof DynamicAuthError &&
            error.code === 'token_malformed' &&
            error.message === `The ${part} part is not canonical unpadded base64url.`,
          `${part} with ${JSON.stringify(wide)}`,
        )
      }
    }
  })
})
