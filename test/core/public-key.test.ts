/**
 * The publicKey option and its reader: every form a customer has the key in (pasted from the
 * dashboard, an environment variable, a file) gives the same key; anything else is a
 * DynamicAuthConfigError from createDynamicAuth that says what is wrong. A static key source
 * never answers jwks_unavailable. One RSA-4096 key (the size Dynamic signs with) for the file.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { sign } from 'node:crypto'
import { generateKeyPair } from '../support/key-pair.js'
import { createDynamicAuth, DynamicAuthConfigError, isDynamicAuthError } from '../../src/index.js'
import { webCryptoBackend, type SignatureBackend } from '../../src/extend.js'
import { readRsaPublicKey } from '../../src/keys/public-key-pem.js'
import { nodeBackend } from '../../src/signature/node.js'

const ENV = '2762a57b-faa4-41ce-9f16-abff9300e2c9'
const NOW = 1_793_491_200
const clock = (): number => NOW * 1000

const { privateKey, publicKey } = generateKeyPair('rsa', { modulusLength: 4096, publicExponent: 65537 })
const jwk = publicKey.export({ format: 'jwk' }) as { n: string; e: string }
const spki = String(publicKey.export({ type: 'spki', format: 'pem' }))
const pkcs1 = String(publicKey.export({ type: 'pkcs1', format: 'pem' }))
const spkiDer = publicKey.export({ type: 'spki', format: 'der' })
const pkcs1Der = publicKey.export({ type: 'pkcs1', format: 'der' })
/** The base64 body of a PEM, on one line. */
const body = (pem: string): string => pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '')
const pemOf = (label: string, der: Uint8Array): string =>
  `-----BEGIN ${label}-----\n${Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')}\n-----END ${label}-----\n`

/** A token signed by the key; `tampered`: its payload changed after signing. */
function token(kid = 'any-kid', tampered = false): string {
  const b64u = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const claims = {
    iss: `app.dynamicauth.com/${ENV}`,
    sub: 'user-1',
    environment_id: ENV,
    scope: 'user:basic',
    sid: 'session-1',
    iat: NOW - 60,
    exp: NOW + 3600,
  }
  const input = `${b64u({ alg: 'RS256', typ: 'JWT', kid })}.${b64u(claims)}`
  const signature = sign('sha256', Buffer.from(input), privateKey).toString('base64url')
  return tampered
    ? `${input.split('.')[0]}.${b64u({ ...claims, sub: 'user-2' })}.${signature}`
    : `${input}.${signature}`
}

/** Every realistic layout of one PEM. */
function layouts(pem: string, label: string): Array<[string, string]> {
  const b = body(pem)
  return [
    ['standard PEM', pem],
    ['without the final newline', pem.trimEnd()],
    ['armor and body on one line', `-----BEGIN ${label}-----${b}-----END ${label}-----`],
    [
      'on one line, a space before the closing armor (as pasted from the dashboard)',
      `-----BEGIN ${label}-----${b} -----END ${label}-----`,
    ],
    ['on one line, spaces around the body', `-----BEGIN ${label}----- ${b} -----END ${label}-----`],
    ['\\n written as two characters (an environment variable)', pem.replace(/\n/g, '\\n')],
    ['\\r\\n written as characters', pem.replace(/\n/g, '\\r\\n')],
    ['\\\\n doubly escaped', pem.replace(/\n/g, '\\\\n')],
    ['CRLF', pem.replace(/\n/g, '\r\n')],
    [
      'mixed whitespace: tabs, spaces and CRLF inside the body',
      pem
        .replace(/^([A-Za-z0-9+/]{16})([A-Za-z0-9+/]{16})/gm, '$1\t$2 ')
        .replace(/\n/g, (_, i: number) => (i % 2 ? '\r\n' : '\n')),
    ],
    [
      'base64 lines of 76 characters',
      `-----BEGIN ${label}-----\n${b.replace(/(.{76})/g, '$1\n')}\n-----END ${label}-----`,
    ],
    ['leading and trailing whitespace', ` \n\t${pem}\n\n  `],
    ['in double quotes', `"${pem}"`],
    ['in single quotes', `'${pem.trim()}'`],
    ['JSON-encoded (quotes and \\n)', JSON.stringify(pem)],
    ['quoted, with whitespace outside and inside the quotes', `  " ${pem.replace(/\n/g, '\\n')} "\n`],
  ]
}

const accepted: Array<[string, string, 'spki' | 'pkcs1']> = [
  ...layouts(spki, 'PUBLIC KEY').map(([name, text]): [string, string, 'spki'] => [`SPKI, ${name}`, text, 'spki']),
  ...layouts(pkcs1, 'RSA PUBLIC KEY').map(([name, text]): [string, string, 'pkcs1'] => [
    `PKCS#1, ${name}`,
    text,
    'pkcs1',
  ]),
  ['bare SPKI base64 body', body(spki), 'spki'],
  ['bare SPKI base64 body with line breaks', body(spki).replace(/(.{64})/g, '$1\n'), 'spki'],
  ['bare SPKI base64 body with \\n escapes, in quotes', JSON.stringify(body(spki).replace(/(.{64})/g, '$1\n')), 'spki'],
  ['bare SPKI base64 body without its = padding', body(spki).replace(/=+$/, ''), 'spki'],
  ['bare PKCS#1 base64 body', body(pkcs1), 'pkcs1'],
]

describe('publicKey: every form a customer has it in', () => {
  it('reads each to the same JWK, n and e in minimal base64url', () => {
    assert.ok(accepted.length >= 35)
    for (const [name, text, format] of accepted) {
      const read = readRsaPublicKey(text)
      assert.ok('jwk' in read, `${name}: ${'rejected' in read ? read.rejected : ''}`)
      assert.deepEqual(read, { jwk: { kty: 'RSA', n: jwk.n, e: jwk.e }, format }, name)
    }
    assert.equal(Buffer.from(jwk.n, 'base64url').length, 512, 'a 4096-bit modulus, no leading zero octet')
    assert.equal(jwk.e, 'AQAB')
  })

  it('verifies a token signed by the key with each, on the node:crypto and the WebCrypto backends', async () => {
    const signed = token()
    for (const [name, text] of accepted) {
      for (const backend of [undefined, webCryptoBackend]) {
        const auth = createDynamicAuth({
          environmentId: ENV,
          staticKeys: { publicKey: text },
          advanced: { clock, tokenCacheSize: 0, ...(backend ? { signatureBackend: backend } : {}) },
        })
        const session = await auth.verifyToken(signed)
        assert.equal(session.userId, 'user-1', name)
      }
    }
  })
})

/** A DER element: tag, definite minimal length, content. */
function der(tag: number, ...content: Uint8Array[]): Buffer {
  const value = Buffer.concat(content)
  const n = value.length
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff]
  return Buffer.concat([Buffer.from([tag, ...length]), value])
}
const int = (bytes: Uint8Array) =>
  der(0x02, bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : Buffer.from(bytes))
const modulus = Buffer.from(jwk.n, 'base64url')
const RSA_OID = Buffer.from('06092a864886f70d010101', 'hex')
const spkiOf = (rsaPublicKey: Uint8Array, algorithm = der(0x30, RSA_OID, Buffer.from('0500', 'hex'))) =>
  der(0x30, algorithm, der(0x03, Buffer.from([0]), rsaPublicKey))
const pkcs1Of = (n: Uint8Array, e: Uint8Array) => der(0x30, int(n), int(e))

function refusal(text: unknown): string {
  let caught: unknown
  try {
    createDynamicAuth({ environmentId: ENV, staticKeys: { publicKey: text as string } })
  } catch (error) {
    caught = error
  }
  assert.ok(caught instanceof DynamicAuthConfigError, `expected a DynamicAuthConfigError, got ${String(caught)}`)
  const { message } = caught
  assert.match(message, /^dynamic-guard: staticKeys\.publicKey /)
  assert.doesNotMatch(message, /DECODER|routines|error:0|ERR_/, 'an OpenSSL message')
  // The message never repeats the key material.
  const material = typeof text === 'string' ? body(text) : ''
  for (let i = 0; i + 24 <= material.length; i += 24)
    assert.ok(!message.includes(material.slice(i, i + 24)), 'the message repeats the input')
  return message
}

describe('publicKey: everything else is refused at start-up, saying what is wrong', () => {
  const ec = generateKeyPair('ec', { namedCurve: 'P-256' })
  const ed = generateKeyPair('ed25519')
  const rsaPrivate = privateKey
  const cases: Array<[string, unknown, RegExp]> = [
    [
      'a PKCS#8 private key',
      rsaPrivate.export({ type: 'pkcs8', format: 'pem' }),
      /is a PRIVATE key \("BEGIN PRIVATE KEY"\).*must never be pasted anywhere.*compromised/,
    ],
    [
      'a PKCS#1 private key',
      rsaPrivate.export({ type: 'pkcs1', format: 'pem' }),
      /is a PRIVATE key \("BEGIN RSA PRIVATE KEY"\).*never be pasted/,
    ],
    [
      'an encrypted private key',
      rsaPrivate.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' }),
      /PRIVATE key \("BEGIN ENCRYPTED PRIVATE KEY"\)/,
    ],
    [
      'an EC private key',
      ec.privateKey.export({ type: 'sec1', format: 'pem' }),
      /PRIVATE key \("BEGIN EC PRIVATE KEY"\)/,
    ],
    [
      'a private key, one line with \\n escapes',
      JSON.stringify(rsaPrivate.export({ type: 'pkcs8', format: 'pem' })),
      /PRIVATE key/,
    ],
    [
      'a bare base64 PKCS#8 private key',
      rsaPrivate.export({ type: 'pkcs8', format: 'der' }).toString('base64'),
      /is a PRIVATE key \(a DER private key in its base64 body\).*never be pasted/,
    ],
    [
      'a bare base64 PKCS#1 private key',
      rsaPrivate.export({ type: 'pkcs1', format: 'der' }).toString('base64'),
      /is a PRIVATE key/,
    ],
    [
      'a private key under a PUBLIC KEY label',
      pemOf('PUBLIC KEY', rsaPrivate.export({ type: 'pkcs8', format: 'der' })),
      /is a PRIVATE key/,
    ],
    [
      'an EC public key',
      ec.publicKey.export({ type: 'spki', format: 'pem' }),
      /is an EC \(elliptic curve\) public key, not an RSA key.*RS256/,
    ],
    [
      'an Ed25519 public key',
      ed.publicKey.export({ type: 'spki', format: 'pem' }),
      /is an Ed25519 public key, not an RSA key/,
    ],
    [
      'an unknown algorithm',
      pemOf('PUBLIC KEY', spkiOf(pkcs1Der, der(0x30, Buffer.from('06032a0304', 'hex'), Buffer.from('0500', 'hex')))),
      /another algorithm \(OID 1\.2\.3\.4\)/,
    ],
    [
      'an RSA-PSS key',
      pemOf('PUBLIC KEY', spkiOf(pkcs1Der, der(0x30, Buffer.from('06092a864886f70d01010a', 'hex')))),
      /is an RSA-PSS key .*cannot verify RS256/,
    ],
    [
      'a certificate',
      `-----BEGIN CERTIFICATE-----\n${body(spki)}\n-----END CERTIFICATE-----\n`,
      /X\.509 certificate.*openssl x509 -in cert\.pem -pubkey -noout/,
    ],
    [
      'a bare base64 certificate',
      der(
        0x30,
        der(0x30, Buffer.from('a003020102', 'hex'), int(Buffer.from([1])), spkiDer),
        der(0x30, RSA_OID),
        der(0x03, Buffer.from([0, 1])),
      ).toString('base64'),
      /holds an X\.509 certificate in its base64 body.*openssl x509/,
    ],
    ['another PEM label', pemOf('DH PARAMETERS', spkiDer), /PEM block labelled "DH PARAMETERS", not a public key/],
    [
      'an SPKI body labelled RSA PUBLIC KEY',
      pemOf('RSA PUBLIC KEY', spkiDer),
      /labelled "BEGIN RSA PUBLIC KEY" \(PKCS#1\) but holds an SPKI public key: label it "-----BEGIN PUBLIC KEY-----"/,
    ],
    [
      'a PKCS#1 body labelled PUBLIC KEY',
      pemOf('PUBLIC KEY', pkcs1Der),
      /labelled "BEGIN PUBLIC KEY" \(SPKI\) but holds a PKCS#1 RSAPublicKey: label it "-----BEGIN RSA PUBLIC KEY-----"/,
    ],
    [
      'BEGIN and END labels that differ',
      spki.replace('END PUBLIC KEY', 'END RSA PUBLIC KEY'),
      /begins with "BEGIN PUBLIC KEY" but ends with "END RSA PUBLIC KEY"/,
    ],
    [
      'no END line',
      spki.replace(/-----END PUBLIC KEY-----\s*$/, ''),
      /without its "-----END …-----" line: the key was cut off/,
    ],
    [
      'no BEGIN line',
      spki.replace('-----BEGIN PUBLIC KEY-----', ''),
      /no "-----BEGIN …-----" line: the start of the key is missing/,
    ],
    ['two keys', `${spki}${spki}`, /holds 2 PEM blocks; give exactly one public key/],
    ['a character outside base64', spki.replace(/M/, '*'), /not base64: character "\*" at position 1 of the body/],
    ['base64url', pemOf('PUBLIC KEY', spkiDer).replace(/\+/g, '-').replace(/\//g, '_'), /base64url/],
    ['misplaced padding', spki.replace(/M/, 'M='), /padding \("="\) is misplaced/],
    ['a truncated body', pemOf('PUBLIC KEY', spkiDer.subarray(0, 300)), /not a valid SPKI public key: .*truncated/],
    [
      'a body cut in the middle of a base64 group',
      `-----BEGIN PUBLIC KEY-----\n${body(spki).slice(0, 301)}\n-----END PUBLIC KEY-----`,
      /length no base64 can have: characters are missing \(the key was cut short\)/,
    ],
    [
      'trailing bytes after the key',
      pemOf('PUBLIC KEY', Buffer.concat([spkiDer, Buffer.from([0])])),
      /not a valid SPKI public key: 1 extra byte after the key structure/,
    ],
    [
      'trailing bytes inside the BIT STRING',
      pemOf('PUBLIC KEY', spkiOf(Buffer.concat([pkcs1Der, Buffer.from([0, 0])]))),
      /2 extra bytes after the RSAPublicKey/,
    ],
    [
      'an indefinite length',
      pemOf('PUBLIC KEY', Buffer.concat([Buffer.from([0x30, 0x80]), spkiDer.subarray(4), Buffer.from([0, 0])])),
      /indefinite length/,
    ],
    [
      'a non-minimal length',
      pemOf(
        'RSA PUBLIC KEY',
        Buffer.concat([Buffer.from([0x30, 0x81, 0x07]), int(Buffer.from([1, 1])), int(Buffer.from([1]))]),
      ),
      /more octets than needed/,
    ],
    [
      'a modulus with a superfluous zero octet',
      pemOf('RSA PUBLIC KEY', der(0x30, der(0x02, Buffer.from([0, 0]), modulus), int(Buffer.from([1, 0, 1])))),
      /modulus has a superfluous leading zero octet/,
    ],
    [
      'a negative modulus',
      pemOf('RSA PUBLIC KEY', der(0x30, der(0x02, modulus), int(Buffer.from([1, 0, 1])))),
      /modulus is negative/,
    ],
    [
      'a three-member RSAPublicKey',
      pemOf('RSA PUBLIC KEY', der(0x30, int(modulus), int(Buffer.from([1, 0, 1])), int(Buffer.from([1])))),
      /3 members instead of 2/,
    ],
    [
      'rsaEncryption without NULL parameters',
      pemOf('PUBLIC KEY', spkiOf(pkcs1Der, der(0x30, RSA_OID))),
      /NULL parameters/,
    ],
    [
      'a BIT STRING with unused bits',
      pemOf(
        'PUBLIC KEY',
        der(0x30, der(0x30, RSA_OID, Buffer.from('0500', 'hex')), der(0x03, Buffer.from([1]), pkcs1Der)),
      ),
      /unused bits/,
    ],
    [
      'an empty PEM body',
      '-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----',
      /publicKey has an empty PEM body\. Expected an RSA public key/,
    ],
    ['garbage', 'hello, world', /not a PEM key.*too short/],
    ['a long non-base64 text', `${'x'.repeat(300)}!`, /not base64/],
    ['a random base64 blob', Buffer.alloc(300, 7).toString('base64'), /not a valid SPKI public key/],
    ['an empty string', '', /is empty\./],
    ['only quotes and whitespace', ' "  " ', /is empty \(only whitespace or quotes\)/],
    ['a JWK as JSON', JSON.stringify({ kty: 'RSA', ...jwk }), /looks like JSON.*staticKeys\.jwks/],
    ['an SSH key', `ssh-rsa ${body(spki)} me@host`, /SSH public key/],
    ['a number', 42, /must be a string.*got number/],
    ['a Buffer', spkiDer, /must be a string.*got object/],
    ['a huge text', 'A'.repeat(100_000), /100000 characters long/],
    [
      'a 1024-bit RSA key',
      pemOf(
        'PUBLIC KEY',
        spkiOf(pkcs1Of(Buffer.concat([modulus.subarray(0, 127), Buffer.from([1])]), Buffer.from([1, 0, 1]))),
      ),
      /publicKey is a 1024-bit RSA key; at least 2048 bits are required/,
    ],
    ['e = 3', pemOf('RSA PUBLIC KEY', pkcs1Of(modulus, Buffer.from([3]))), /public exponent not above 2\^16/],
    ['an even exponent', pemOf('RSA PUBLIC KEY', pkcs1Of(modulus, Buffer.from([1, 0, 2]))), /even public exponent/],
    [
      'an exponent above 32 bits',
      pemOf('PUBLIC KEY', spkiOf(pkcs1Of(modulus, Buffer.from([1, 0, 0, 0, 1])))),
      /public exponent longer than 32 bits/,
    ],
    [
      'an even modulus',
      pemOf(
        'RSA PUBLIC KEY',
        pkcs1Of(
          Buffer.concat([modulus.subarray(0, -1), Buffer.from([modulus.at(-1)! & 0xfe])]),
          Buffer.from([1, 0, 1]),
        ),
      ),
      /even modulus/,
    ],
  ]

  for (const [name, text, message] of cases) {
    it(`refuses ${name}`, () => {
      assert.match(refusal(text), message)
    })
  }

  it('gives the same refusal with the WebCrypto backend (the reader is the same JavaScript everywhere)', () => {
    for (const [name, text] of cases.slice(0, 12)) {
      const withWeb = (() => {
        try {
          createDynamicAuth({
            environmentId: ENV,
            staticKeys: { publicKey: text as string },
            advanced: { signatureBackend: webCryptoBackend },
          })
        } catch (error) {
          return (error as Error).message
        }
        return 'accepted'
      })()
      assert.equal(withWeb, refusal(text), name)
    }
  })
})

describe('static key sources: start-up errors, and never jwks_unavailable', () => {
  const kidJwk = { kty: 'RSA', kid: 'k1', n: jwk.n, e: jwk.e }
  const noFetch = (() => {
    throw new Error('a static key source must not fetch')
  }) as typeof fetch

  it('a static jwks whose key cannot be imported everywhere (e above 32 bits) is a start-up error', () => {
    const wideE = Buffer.from([1, 0, 0, 0, 1]).toString('base64url')
    assert.throws(
      () => createDynamicAuth({ environmentId: ENV, staticKeys: { jwks: { keys: [{ ...kidJwk, e: wideE }] } } }),
      (error: unknown) =>
        error instanceof DynamicAuthConfigError &&
        /a key of staticKeys\.jwks has a public exponent longer than 32 bits/.test(error.message),
    )
  })

  it('a key the backend refuses to import synchronously is a start-up error, for publicKey and jwks', () => {
    const refusing: SignatureBackend = {
      ...nodeBackend,
      name: 'refusing',
      importRsaPublicKey: () => {
        throw new Error('unsupported key')
      },
    }
    assert.throws(
      () =>
        createDynamicAuth({
          environmentId: ENV,
          staticKeys: { publicKey: spki },
          advanced: { signatureBackend: refusing },
        }),
      /^DynamicAuthConfigError: dynamic-guard: staticKeys\.publicKey passed every check but the refusing backend could not import it: unsupported key\.$/,
    )
    assert.throws(
      () =>
        createDynamicAuth({
          environmentId: ENV,
          staticKeys: { jwks: { keys: [kidJwk] } },
          advanced: { signatureBackend: refusing },
        }),
      /^DynamicAuthConfigError: dynamic-guard: the key "k1" of staticKeys\.jwks passed every check but the refusing backend could not import it/,
    )
  })

  it('an import that fails later (async WebCrypto) answers key_unusable, never jwks_unavailable', async () => {
    const failing: SignatureBackend = {
      ...webCryptoBackend,
      name: 'failing',
      importRsaPublicKey: () => Promise.reject(new Error('not supported here')),
    }
    for (const options of [{ staticKeys: { publicKey: spki } }, { staticKeys: { jwks: { keys: [kidJwk] } } }]) {
      const auth = createDynamicAuth({
        environmentId: ENV,
        ...options,
        advanced: { signatureBackend: failing, clock },
        jwks: { fetch: noFetch },
      })
      for (const attempt of [auth.verifyToken(token('k1')), auth.verifyToken(token('k1')), auth.warmUp()]) {
        await assert.rejects(attempt, (error: unknown) => {
          assert.ok(isDynamicAuthError(error))
          assert.equal(error.code, 'key_unusable')
          assert.equal(error.status, 503)
          assert.match(
            error.message,
            /passed every check at start-up, but the failing backend of this runtime could not import it \(not supported here\)/,
          )
          return true
        })
      }
      const status = auth.keyStatus()
      assert.equal(status.source, 'static')
      assert.equal(status.consecutiveFailures, 1)
      assert.match(status.lastError ?? '', /could not import/)
    }
  })

  it('with a working backend, a static source verifies, refuses, and never fetches or answers jwks_unavailable', async () => {
    for (const signatureBackend of [nodeBackend, webCryptoBackend]) {
      for (const options of [{ staticKeys: { publicKey: spki } }, { staticKeys: { jwks: { keys: [kidJwk] } } }]) {
        const auth = createDynamicAuth({
          environmentId: ENV,
          ...options,
          advanced: { signatureBackend, clock, tokenCacheSize: 0 },
          jwks: { fetch: noFetch },
        })
        // Verifications before the (asynchronous) import has finished wait for it.
        const early = await Promise.all([auth.verifyToken(token('k1')), auth.verifyToken(token('k1'))])
        assert.deepEqual(
          early.map((s) => s.userId),
          ['user-1', 'user-1'],
        )
        await auth.warmUp()
        assert.equal(auth.keyStatus().consecutiveFailures, 0)
        const outcomes = await Promise.all(
          [token('k1', true), token('unknown'), `${token('k1')}x`].map((t) =>
            auth.verifyToken(t).then(
              () => 'accepted',
              (e: { code: string }) => e.code,
            ),
          ),
        )
        // A PEM key has no kid and verifies whatever kid the header names; a JWKS selects by kid.
        const expected = ['signature_invalid', 'publicKey' in options.staticKeys ? 'accepted' : 'key_not_found']
        assert.deepEqual(
          outcomes.slice(0, 2),
          expected,
          `${signatureBackend.name}, ${Object.keys(options.staticKeys)[0]}`,
        )
        assert.ok(!outcomes.includes('jwks_unavailable'))
      }
    }
  })
})
