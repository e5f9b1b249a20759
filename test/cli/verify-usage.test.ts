import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { TEST_ENVIRONMENT_ID } from '../../src/testing/index.js'
import { runCli } from './run-cli.js'

const env = ['--environment-id', TEST_ENVIRONMENT_ID]

describe('verify: usage errors', { concurrency: 4 }, () => {
  const usage: Array<[string, string[], RegExp]> = [
    ['no token', ['verify', ...env], /missing the token/],
    ['two tokens', ['verify', 'a.b.c', 'd.e.f', ...env], /one token/],
    ['no environment', ['verify', 'a.b.c'], /--environment-id is required/],
    ['a malformed environment id', ['verify', 'a.b.c', '--environment-id', 'prod'], /environmentId must be a UUID/],
    ['an unknown option', ['verify', 'a.b.c', ...env, '--frobnicate'], /Unknown option '--frobnicate'/],
    ['plain http to a remote host', ['verify', 'a.b.c', ...env, '--jwks-url', 'http://keys.example.com/jwks'], /https/],
    [
      'a bad clock tolerance',
      ['verify', 'a.b.c', ...env, '--clock-tolerance', 'soon'],
      /--clock-tolerance must be a whole number/,
    ],
    [
      'both key sources',
      ['verify', 'a.b.c', ...env, '--jwks-url', 'https://x.example/jwks', '--jwks-file', 'x.json'],
      /not both/,
    ],
    [
      'a missing JWKS file',
      ['verify', 'a.b.c', ...env, '--jwks-file', '/nonexistent/jwks.json'],
      /cannot read --jwks-file/,
    ],
  ]
  for (const [name, args, message] of usage) {
    test(`usage error, ${name}: exit 2 and a clear message`, async () => {
      const result = await runCli(args)
      assert.equal(result.code, 2)
      assert.match(result.stderr, message)
      assert.match(result.stderr, /See "dynamic-guard verify --help"/)
    })
  }

  test('empty stdin is a usage error', async () => {
    const result = await runCli(['verify', '-', ...env], { input: '' })
    assert.equal(result.code, 2)
    assert.match(result.stderr, /empty/)
  })
})
