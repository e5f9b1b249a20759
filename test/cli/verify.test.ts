import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestIssuer, TEST_ENVIRONMENT_ID, TEST_USER_ID, type TestIssuerServer } from '../../src/testing/index.js'
import { deadPort, runCli, runners } from './run-cli.js'

const issuer = createTestIssuer()
let emulatorServer: TestIssuerServer
const env = ['--environment-id', TEST_ENVIRONMENT_ID]
let jwksArgs: string[]
let dir: string

before(async () => {
  emulatorServer = await issuer.listen()
  jwksArgs = ['--jwks-url', emulatorServer.jwksUrl]
  dir = mkdtempSync(join(tmpdir(), 'dynamic-guard-cli-'))
})
after(async () => {
  await emulatorServer.close()
  rmSync(dir, { recursive: true, force: true })
})

for (const runner of runners) {
  describe(`verify, ${runner.name}`, () => {
    test('a valid token: exit 0 and a human verdict', async () => {
      const result = await runCli(['verify', issuer.mint(), ...env, ...jwksArgs], { runner })
      assert.equal(result.code, 0, result.stderr)
      assert.match(result.stdout, /^signature {2}valid .*\nVALID/)
      assert.match(result.stdout, new RegExp(TEST_USER_ID))
      assert.match(result.stdout, /access token/)
      assert.equal(result.stderr, '')
    })

    test('an MFA-pending token: exit 1, insufficient_scope and why', async () => {
      const result = await runCli(['verify', issuer.mint({ mfaPending: true }), ...env, ...jwksArgs], { runner })
      assert.equal(result.code, 1)
      assert.match(result.stdout, /^signature {2}valid .*\nREFUSED {2}insufficient_scope \(HTTP 403\)/)
      assert.match(result.stdout, /MFA/)
      assert.match(result.stdout, /missing scopes: user:basic/)
    })

    test('a usage mistake: exit 2 with a pointer to the help', async () => {
      const result = await runCli(['verify', issuer.mint(), '--environment-id'], { runner })
      assert.equal(result.code, 2)
      assert.match(result.stderr, /dynamic-guard verify --help/)
      assert.equal(result.stdout, '')
    })
  })
}

describe('verify', { concurrency: 4 }, () => {
  test('--json: the session for a valid ID token', async () => {
    const result = await runCli(['verify', issuer.mint({ kind: 'id' }), ...env, ...jwksArgs, '--json'])
    assert.equal(result.code, 0, result.stderr)
    const body = JSON.parse(result.stdout)
    assert.equal(body.valid, true)
    assert.equal(body.session.userId, TEST_USER_ID)
    assert.equal(body.session.tokenKind, 'id')
    assert.deepEqual(body.session.scopes, ['user:basic'])
    assert.equal(body.session.email, 'ada@example.com')
    assert.equal(body.claims.environment_id, TEST_ENVIRONMENT_ID)
  })

  const refusals: Array<[string, Parameters<typeof issuer.mint>[0], string, number]> = [
    ['expired', { expired: true }, 'token_expired', 401],
    ['MFA pending', { mfaPending: true }, 'insufficient_scope', 403],
    ['another environment', { otherEnvironment: true }, 'environment_mismatch', 401],
    ['tampered', { tampered: true }, 'signature_invalid', 401],
    ['alg none', { header: { alg: 'none' } }, 'algorithm_not_allowed', 401],
  ]
  for (const [name, mint, code, status] of refusals) {
    test(`--json: ${name} is refused with ${code} and exit 1`, async () => {
      const result = await runCli(['verify', issuer.mint(mint), ...env, ...jwksArgs, '--json'])
      assert.equal(result.code, 1, result.stderr)
      const body = JSON.parse(result.stdout)
      assert.equal(body.valid, false)
      assert.equal(body.error.code, code)
      assert.equal(body.error.status, status)
      assert.ok(body.error.message.length > 10)
    })
  }

  test('"-" reads the token from stdin (its newline dropped); a Bearer prefix is refused with what to remove, as the library does', async () => {
    const result = await runCli(['verify', '-', ...env, ...jwksArgs], { input: `${issuer.mint()}\n` })
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /^signature {2}valid.*\nVALID/)
    const bearer = await runCli(['verify', '-', ...env, ...jwksArgs], { input: `Bearer ${issuer.mint()}\n` })
    assert.equal(bearer.code, 1)
    assert.match(bearer.stdout, /token_malformed[\s\S]*The token starts with "Bearer ": pass the token alone/)
  })

  test('--at checks the token as of another time: a token from last month was valid then', async () => {
    const monthAgo = Math.floor(Date.now() / 1000) - 30 * 24 * 3600
    const old = issuer.mint({ now: monthAgo })
    const today = await runCli(['verify', old, ...env, ...jwksArgs])
    assert.equal(today.code, 1)
    assert.match(today.stdout, /^signature {2}valid .*\nREFUSED {2}token_expired/, 'the signature result comes first')
    const then = await runCli([
      'verify',
      old,
      ...env,
      ...jwksArgs,
      '--at',
      new Date((monthAgo + 60) * 1000).toISOString(),
    ])
    assert.equal(then.code, 0, then.stdout)
    assert.match(then.stdout, /VALID {2}the token passed every check as of /)
    const epoch = await runCli(['verify', old, ...env, ...jwksArgs, '--at', String(monthAgo + 60), '--json'])
    assert.equal(JSON.parse(epoch.stdout).valid, true)
    const bad = await runCli(['verify', old, ...env, ...jwksArgs, '--at', 'yesterday'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /--at must be an ISO 8601 date/)
  })

  test('--json carries pending_step and the signature verdict, as every JSON answer does', async () => {
    const pending = await runCli(['verify', issuer.mint({ mfaPending: true }), ...env, ...jwksArgs, '--json'])
    const body = JSON.parse(pending.stdout)
    assert.equal(body.error.code, 'insufficient_scope')
    assert.equal(body.error.signature, 'valid')
    assert.ok(typeof body.error.pending_step === 'string', JSON.stringify(body))
    const tampered = `${issuer.mint().slice(0, -4)}AAAA`
    const refused = JSON.parse((await runCli(['verify', tampered, ...env, ...jwksArgs, '--json'])).stdout)
    assert.equal(refused.error.signature, 'invalid')
  })

  test('the environment comes from DYNAMIC_ENVIRONMENT_ID when the option is absent', async () => {
    const result = await runCli(['verify', issuer.mint(), ...jwksArgs], {
      env: { DYNAMIC_ENVIRONMENT_ID: TEST_ENVIRONMENT_ID },
    })
    assert.equal(result.code, 0, result.stderr)
  })

  test('--scope requires more scopes; a token holding them passes', async () => {
    const without = await runCli(['verify', issuer.mint(), ...env, ...jwksArgs, '--scope', 'wallet:export', '--json'])
    assert.equal(without.code, 1)
    assert.deepEqual(JSON.parse(without.stdout).error.missingScopes, ['wallet:export'])
    const withScope = await runCli([
      'verify',
      issuer.mint({ scopes: ['wallet:export'] }),
      ...env,
      ...jwksArgs,
      '--scope',
      'wallet:export',
    ])
    assert.equal(withScope.code, 0, withScope.stderr)
  })

  test('--audience and --issuer pin those claims', async () => {
    const audience = await runCli([
      'verify',
      issuer.mint(),
      ...env,
      ...jwksArgs,
      '--audience',
      'https://app.example.com',
      '--json',
    ])
    assert.equal(audience.code, 1)
    assert.equal(JSON.parse(audience.stdout).error.code, 'audience_mismatch')
    const issuerPinned = await runCli([
      'verify',
      issuer.mint(),
      ...env,
      ...jwksArgs,
      '--issuer',
      `app.dynamic.xyz/${TEST_ENVIRONMENT_ID}`,
      '--json',
    ])
    assert.equal(issuerPinned.code, 1)
    assert.equal(JSON.parse(issuerPinned.stdout).error.code, 'issuer_mismatch')
  })

  test('--jwks-file verifies offline', async () => {
    const file = join(dir, 'jwks.json')
    writeFileSync(file, JSON.stringify(issuer.jwks()))
    const result = await runCli(['verify', issuer.mint(), ...env, '--jwks-file', file])
    assert.equal(result.code, 0, result.stderr)
  })

  test('keys that cannot be fetched: exit 2, no verdict', async () => {
    const port = await deadPort()
    const url = `http://127.0.0.1:${port}/api/v0/sdk/${TEST_ENVIRONMENT_ID}/.well-known/jwks`
    const human = await runCli(['verify', issuer.mint(), ...env, '--jwks-url', url])
    assert.equal(human.code, 2)
    assert.match(human.stderr, /could not fetch the keys/)
    assert.doesNotMatch(human.stdout, /VALID|REFUSED/)
    const json = await runCli(['verify', issuer.mint(), ...env, '--jwks-url', url, '--json'])
    assert.equal(json.code, 2)
    assert.equal(JSON.parse(json.stdout).error.code, 'jwks_unavailable')
  })
})
