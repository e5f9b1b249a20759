import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createTestIssuer, TEST_USER_ID } from '../../src/testing/index.js'
import { runCli } from './run-cli.js'

const issuer = createTestIssuer()

describe('decode', { concurrency: 4 }, () => {
  test('prints header and claims, human times, and says plainly it is not a validity check', async () => {
    const result = await runCli(['decode', issuer.mint({ expired: true })])
    assert.equal(result.code, 0, result.stderr)
    const [first] = result.stdout.split('\n')
    assert.match(first!, /^NOT VERIFIED: this shows what the token claims, not whether it is valid/)
    assert.match(result.stdout, /"alg": "RS256"/)
    assert.match(result.stdout, new RegExp(`"sub": "${TEST_USER_ID}"`))
    assert.match(result.stdout, /exp {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(\d+[dhms].* ago\)/)
    assert.match(result.stdout, /Scopes {2}user:basic/)
  })

  test('decodes what the verifier would refuse, and says why it would', async () => {
    const token = issuer.mint({ header: { jku: 'https://attacker.example/jwks' } })
    const result = await runCli(['decode', token])
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /"jku": "https:\/\/attacker.example\/jwks"/)
    assert.match(result.stdout, /the verifier would refuse this token before any key is used: .*jku/)
  })

  test('--json: verified false, header, payload and times', async () => {
    const result = await runCli(['decode', issuer.mint({ kind: 'id' }), '--json'])
    assert.equal(result.code, 0, result.stderr)
    const body = JSON.parse(result.stdout)
    assert.equal(body.verified, false)
    assert.match(body.note, /NOT VERIFIED/)
    assert.equal(body.header.alg, 'RS256')
    assert.equal(body.payload.sub, TEST_USER_ID)
    assert.ok(Array.isArray(body.payload.verified_credentials))
    assert.match(body.times.exp, /UTC \(in /)
    assert.equal(body.form, 'strict JWS')
  })

  test('"-" reads stdin', async () => {
    const result = await runCli(['decode', '-'], { input: issuer.mint() })
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /NOT VERIFIED/)
  })

  test('something that is not a JWT: exit 1 and why', async () => {
    const notJwt = await runCli(['decode', 'hello'])
    assert.equal(notJwt.code, 1)
    assert.match(notJwt.stderr, /three dot-separated parts/)
    const notJson = await runCli(['decode', 'aGVsbG8.d29ybGQ.c2ln'])
    assert.equal(notJson.code, 1)
    assert.match(notJson.stderr, /header is not JSON/)
    const jwe = await runCli(['decode', 'a.b.c.d.e', '--json'])
    assert.equal(jwe.code, 1)
    assert.match(JSON.parse(jwe.stdout).error, /JWE/)
  })

  test('no token or an unknown option: exit 2', async () => {
    const missing = await runCli(['decode'])
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /missing the token/)
    const unknown = await runCli(['decode', 'a.b.c', '--verify'])
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /Unknown option '--verify'/)
  })
})
