import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { TEST_ENVIRONMENT_ID } from '../../src/testing/index.js'
import { runCli, startCli } from './run-cli.js'

function payload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'))
}

describe('dev: the emulator from the command line', { concurrency: 3 }, () => {
  test('starts, serves the JWKS and sign-in, works with mint and verify, stops on SIGINT with exit 0', async () => {
    const dev = startCli(['dev', '--port', '0', '--json'], /^(\{.*\})\n/m)
    try {
      const info = JSON.parse((await dev.started)[1]!)
      assert.equal(info.environmentId, TEST_ENVIRONMENT_ID)
      assert.match(
        info.jwksUrl,
        new RegExp(`^http://127\\.0\\.0\\.1:\\d+/api/v0/sdk/${TEST_ENVIRONMENT_ID}/\\.well-known/jwks$`),
      )
      assert.equal(info.keyBits, 4096, 'RSA-4096 by default, as Dynamic')
      const jwks = await (await fetch(info.jwksUrl)).json()
      assert.equal(jwks.keys.length, 1)
      assert.equal(Buffer.from(jwks.keys[0].n, 'base64url').length, 512)

      const minted = await runCli(['mint', '--emulator', info.origin])
      assert.equal(minted.code, 0, minted.stderr)
      assert.match(minted.stderr, /locally generated key/)
      assert.match(minted.stderr, /Dynamic was not contacted/)
      const token = minted.stdout.trim()
      assert.equal(payload(token).kid, jwks.keys[0].kid)

      const valid = await runCli(['verify', token, '--environment-id', info.environmentId, '--jwks-url', info.jwksUrl])
      assert.equal(valid.code, 0, valid.stderr)
      const mfa = await runCli(['mint', '--emulator', info.origin, '--mfa-pending'])
      const refused = await runCli([
        'verify',
        mfa.stdout.trim(),
        '--environment-id',
        info.environmentId,
        '--jwks-url',
        info.jwksUrl,
      ])
      assert.equal(refused.code, 1)
      assert.match(refused.stdout, /insufficient_scope/)
    } finally {
      dev.child.kill('SIGINT')
    }
    const exit = await dev.exited
    assert.equal(exit.code, 0, exit.stderr)
    assert.match(exit.stderr, /Emulator stopped \(SIGINT\)/)
  })

  test('the human guide says how to point an app at it; SIGTERM stops it too', async () => {
    const dev = startCli(['dev', '--port', '0'], /Press Ctrl-C to stop/)
    try {
      await dev.started
      const { stdout } = dev.output()
      assert.match(
        stdout,
        /createDynamicAuth\(\{ environmentId: '[0-9a-f-]{36}', jwks: \{ url: 'http:\/\/127\.0\.0\.1:\d+\/api\/v0\/sdk\/[0-9a-f-]{36}\/\.well-known\/jwks' \} \}\)/,
      )
      assert.match(
        stdout,
        /DYNAMIC_ENVIRONMENT_ID=[0-9a-f-]{36}\n +DYNAMIC_JWKS_URL=http:\/\/127\.0\.0\.1:\d+\/api\/v0\/sdk\/[0-9a-f-]{36}\/\.well-known\/jwks\n/,
      )
      assert.match(stdout, /sign in +POST http:\/\/127\.0\.0\.1:\d+\/api\/v0\/sdk\/[0-9a-f-]{36}\/verify/)
      assert.match(stdout, /dynamic-guard mint --emulator http:\/\/127\.0\.0\.1:\d+/)
      assert.match(stdout, /key +RSA-4096 \(as Dynamic\)/)
    } finally {
      dev.child.kill('SIGTERM')
    }
    const exit = await dev.exited
    assert.equal(exit.code, 0, exit.stderr)
  })

  test('--key-bits 2048: a smaller key for quick tests, and said so', async () => {
    const dev = startCli(['dev', '--port', '0', '--key-bits', '2048'], /Press Ctrl-C to stop/)
    try {
      await dev.started
      const { stdout } = dev.output()
      assert.match(stdout, /key +RSA-2048 \(smaller than Dynamic's RSA-4096: for quick tests only\)/)
      const jwksUrl = /JWKS +(http\S+)/.exec(stdout)![1]!
      const jwks = (await (await fetch(jwksUrl)).json()) as { keys: Array<{ n: string }> }
      assert.equal(Buffer.from(jwks.keys[0]!.n, 'base64url').length, 256)
    } finally {
      dev.child.kill('SIGTERM')
    }
    assert.equal((await dev.exited).code, 0)
  })

  test('a busy port or a bad option: exit 2', async () => {
    const busy = createServer()
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
    try {
      const port = (busy.address() as { port: number }).port
      const result = await runCli(['dev', '--port', String(port)])
      assert.equal(result.code, 2)
      assert.match(result.stderr, /port \d+ is in use/)
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()))
    }
    const mistakes = [
      ['dev', '--port', 'eighty'],
      ['dev', '--environment-id', 'prod'],
      ['dev', 'now'],
      ['dev', '--no-cookie', '--cookie-name', 'x'],
      ['dev', '--key-bits', '1024'],
      ['dev', '--key-bits', 'big'],
    ]
    const results = await Promise.all(mistakes.map((args) => runCli(args)))
    results.forEach((result, i) => {
      assert.equal(result.code, 2, mistakes[i]!.join(' '))
      assert.match(result.stderr, /See "dynamic-guard dev --help"/)
    })
  })
})
