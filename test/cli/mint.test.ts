import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createTestIssuer, TEST_ENVIRONMENT_ID, type TestIssuerServer } from '../../src/testing/index.js'
import { deadPort, runCli } from './run-cli.js'

function payload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'))
}

describe('mint', { concurrency: 4 }, () => {
  const issuer = createTestIssuer()
  let emulatorServer: TestIssuerServer
  before(async () => {
    emulatorServer = await issuer.listen()
  })
  after(() => emulatorServer.close())

  test('the variants are one flag away', async () => {
    const cases: Array<[string[], (claims: Record<string, unknown>) => void]> = [
      [['--mfa-pending'], (c) => assert.equal(c.scope, 'requiresAdditionalAuth')],
      [['--expired'], (c) => assert.ok((c.exp as number) < Date.now() / 1000)],
      [['--other-environment'], (c) => assert.notEqual(c.environment_id, TEST_ENVIRONMENT_ID)],
      [
        ['--scope', 'wallet:export', '--scope', 'wallet:sign'],
        (c) => assert.equal(c.scope, 'user:basic wallet:export wallet:sign'),
      ],
      [
        ['--sub', 'user-42', '--expires-in', '300'],
        (c) => {
          assert.equal(c.sub, 'user-42')
          assert.equal((c.exp as number) - (c.iat as number), 300)
        },
      ],
      [
        ['--claim', 'new_user=true', '--claim', 'alias=satoshi'],
        (c) => {
          assert.equal(c.new_user, true)
          assert.equal(c.alias, 'satoshi')
        },
      ],
    ]
    const results = await Promise.all(
      cases.map(([flags]) => runCli(['mint', '--emulator', emulatorServer.origin, ...flags])),
    )
    results.forEach((result, i) => {
      const [flags, check] = cases[i]!
      assert.equal(result.code, 0, `${flags.join(' ')}: ${result.stderr}`)
      check(payload(result.stdout.trim()))
    })
  })

  test('--id-token prints the ID token; --json the whole sign-in answer', async () => {
    const id = await runCli(['mint', '--emulator', emulatorServer.origin, '--id-token', '--email', 'grace@example.com'])
    assert.equal(id.code, 0, id.stderr)
    const claims = payload(id.stdout.trim())
    assert.ok(Array.isArray(claims.verified_credentials))
    assert.equal(claims.email, 'grace@example.com')
    const json = await runCli(['mint', '--emulator', emulatorServer.origin, '--json'])
    assert.equal(json.code, 0, json.stderr)
    const body = JSON.parse(json.stdout)
    assert.equal(payload(body.jwt).sid, payload(body.minifiedJwt).sid)
    assert.equal(body.user.projectEnvironmentId, TEST_ENVIRONMENT_ID)
    assert.equal(typeof body.expiresAt, 'number')
  })

  test('--tampered gives a token whose signature fails', async () => {
    const minted = await runCli(['mint', '--emulator', emulatorServer.origin, '--tampered'])
    const verdict = await runCli([
      'verify',
      minted.stdout.trim(),
      '--environment-id',
      TEST_ENVIRONMENT_ID,
      '--jwks-url',
      emulatorServer.jwksUrl,
      '--json',
    ])
    assert.equal(verdict.code, 1)
    assert.equal(JSON.parse(verdict.stdout).error.code, 'signature_invalid')
  })

  test('only an emulator on this machine is ever asked: a remote URL is a usage error, with no request', async () => {
    const urls = ['https://app.dynamic.xyz', 'http://10.0.0.5:4747', 'ftp://127.0.0.1']
    const results = await Promise.all(urls.map((url) => runCli(['mint', '--emulator', url])))
    results.forEach((result, i) => {
      assert.equal(result.code, 2, urls[i])
      assert.match(result.stderr, /mint only asks an emulator on this machine/)
    })
  })

  test('no emulator running: exit 2 and how to start one', async () => {
    const result = await runCli(['mint', '--emulator', `http://127.0.0.1:${await deadPort()}`])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /no emulator answers at .*dynamic-guard dev/)
  })

  test('bad options: exit 2', async () => {
    const mistakes = [['--claim', 'novalue'], ['--expires-in', '-5'], ['--kind', 'id'], ['extra']]
    const results = await Promise.all(
      mistakes.map((args) => runCli(['mint', '--emulator', emulatorServer.origin, ...args])),
    )
    results.forEach((result, i) => {
      assert.equal(result.code, 2, mistakes[i]!.join(' '))
      assert.match(result.stderr, /See "dynamic-guard mint --help"/)
    })
  })
})
