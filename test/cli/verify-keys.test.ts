/**
 * `verify --public-key <file>` and `--jwks-file <file>`: the key file in every form a customer has
 * it verifies offline; a file that is not a usable key is exit 2 with a message that names the
 * file and says what is wrong (the library's reader, never an OpenSSL string), and no verdict.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createPublicKey } from 'node:crypto'
import { generateKeyPair } from '../support/key-pair.js'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestIssuer, TEST_ENVIRONMENT_ID, TEST_USER_ID } from '../../src/testing/index.js'
import { runCli } from './run-cli.js'

const issuer = createTestIssuer()
const env = ['--environment-id', TEST_ENVIRONMENT_ID]
let dir: string

const publicKey = createPublicKey({ key: issuer.jwks().keys[0] as never, format: 'jwk' })
const spki = String(publicKey.export({ type: 'spki', format: 'pem' }))
const pkcs1 = String(publicKey.export({ type: 'pkcs1', format: 'pem' }))
const body = spki.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '')

function file(name: string, content: string): string {
  const path = join(dir, name)
  writeFileSync(path, content)
  return path
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dynamic-guard-cli-keys-'))
})
after(() => rmSync(dir, { recursive: true, force: true }))

describe('verify --public-key', { concurrency: 4 }, () => {
  const forms: Array<[string, string]> = [
    ['an SPKI PEM', spki],
    ['a PKCS#1 PEM', pkcs1],
    ['a one-line PEM with a space before END', `-----BEGIN PUBLIC KEY-----${body} -----END PUBLIC KEY-----\n`],
    ['a PEM with \\n escapes in quotes (copied from a .env file)', `${JSON.stringify(spki)}\n`],
    ['a CRLF PEM', spki.replace(/\n/g, '\r\n')],
    ['a bare base64 body', `${body}\n`],
  ]
  for (const [name, content] of forms) {
    test(`${name}: verifies offline, exit 0`, async () => {
      const path = file(`key-${name.replace(/\W+/g, '-')}.pem`, content)
      const result = await runCli(['verify', issuer.mint(), ...env, '--public-key', path])
      assert.equal(result.code, 0, result.stderr)
      assert.match(result.stdout, /^signature {2}valid .*\nVALID/)
      assert.match(result.stdout, new RegExp(TEST_USER_ID))
    })
  }

  test('a token of another key is refused (exit 1): the file is this key, not any key', async () => {
    const path = file('key-for-tampered.pem', spki)
    const result = await runCli(['verify', issuer.mint({ tampered: true }), ...env, '--public-key', path, '--json'])
    assert.equal(result.code, 1, result.stderr)
    assert.equal(JSON.parse(result.stdout).error.code, 'signature_invalid')
  })

  const ec = generateKeyPair('ec', { namedCurve: 'P-256' })
  const bad: Array<[string, string, RegExp]> = [
    [
      'a private key',
      String(ec.privateKey.export({ type: 'pkcs8', format: 'pem' })),
      /is a PRIVATE key \("BEGIN PRIVATE KEY"\).*must never be pasted anywhere/,
    ],
    [
      'an EC public key',
      String(ec.publicKey.export({ type: 'spki', format: 'pem' })),
      /is an EC \(elliptic curve\) public key, not an RSA key/,
    ],
    [
      'a certificate',
      `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`,
      /X\.509 certificate.*openssl x509/,
    ],
    [
      'a truncated key',
      `${spki.slice(0, 300)}\n-----END PUBLIC KEY-----\n`,
      /not a valid SPKI public key: .*truncated|cut short/,
    ],
    ['a JWKS', JSON.stringify(issuer.jwks()), /looks like JSON.*--jwks-file/],
    ['an empty file', '', /is empty/],
    ['garbage', 'not a key\n', /not a PEM key/],
  ]
  for (const [name, content, message] of bad) {
    test(`${name}: exit 2, the file named and what is wrong, no verdict`, async () => {
      const path = file(`bad-${name.replace(/\W+/g, '-')}.pem`, content)
      const result = await runCli(['verify', issuer.mint(), ...env, '--public-key', path])
      assert.equal(result.code, 2, result.stdout)
      assert.ok(result.stderr.startsWith(`dynamic-guard verify: --public-key ${path} `), result.stderr)
      assert.match(result.stderr, message)
      assert.match(result.stderr, /See "dynamic-guard verify --help"/)
      assert.doesNotMatch(result.stderr, /DECODER|routines|unexpected error/)
      assert.equal(result.stdout, '')
    })
  }

  test('a missing file, and two key sources at once: exit 2', async () => {
    const missing = await runCli(['verify', issuer.mint(), ...env, '--public-key', join(dir, 'nope.pem')])
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /cannot read --public-key .*nope\.pem: ENOENT/)
    const both = await runCli([
      'verify',
      issuer.mint(),
      ...env,
      '--public-key',
      file('both.pem', spki),
      '--jwks-file',
      file('both.json', '{}'),
    ])
    assert.equal(both.code, 2)
    assert.match(
      both.stderr,
      /give one key source of --jwks-url, --jwks-file and --public-key, not both \(--jwks-file, --public-key\)/,
    )
  })
})

describe('verify --jwks-file: a bad file is exit 2, named, with the reason', { concurrency: 4 }, () => {
  const key = issuer.jwks().keys[0]!
  const bad: Array<[string, string, RegExp]> = [
    ['a PEM key', spki, /is not JSON\. It looks like a PEM key: give it with --public-key instead\./],
    ['not JSON', '{ keys: ', /is not JSON\.$/m],
    ['not a JWKS', JSON.stringify({ kty: 'RSA' }), /is not a JWKS document: expected \{ "keys": \[/],
    [
      'an exponent no runtime shares',
      JSON.stringify({ keys: [{ ...key, e: Buffer.from([1, 0, 0, 0, 1]).toString('base64url') }] }),
      /the key ".+" has a public exponent longer than 32 bits/,
    ],
    [
      'a key without kid',
      JSON.stringify({ keys: [{ kty: 'RSA', n: key.n, e: key.e }] }),
      /key 1 has no kid, so no token can select it; use --public-key/,
    ],
    ['a private JWK', JSON.stringify({ keys: [{ ...key, d: 'AQAB' }] }), /carries the private member "d"/],
  ]
  for (const [name, content, message] of bad) {
    test(name, async () => {
      const path = file(`jwks-${name.replace(/\W+/g, '-')}.json`, content)
      const result = await runCli(['verify', issuer.mint(), ...env, '--jwks-file', path])
      assert.equal(result.code, 2, result.stdout)
      assert.ok(result.stderr.startsWith(`dynamic-guard verify: --jwks-file ${path}`), result.stderr)
      assert.match(result.stderr, message)
      assert.equal(result.stdout, '')
    })
  }
})
