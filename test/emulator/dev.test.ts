/**
 * `dynamic-guard dev` as the emulator: the --json line names the SDK API and the code URL, a
 * fixed code signs in over HTTP and is printed, and the loopback rule and the new flags' mistakes
 * are usage errors. Runs the built CLI when it is fresh (`npm run build`), else the source.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { TEST_ENVIRONMENT_ID } from '../../src/testing/index.js'
import { primary, runCli, startCli } from '../cli/run-cli.js'

describe(`dev as Dynamic's SDK API (${primary.name})`, () => {
  test('--json adds apiBaseUrl and otpUrl; a fixed code signs in and is printed as a JSON line', async () => {
    const dev = startCli(
      ['dev', '--port', '0', '--json', '--otp-code', '424242', '--required-fields', 'firstName'],
      /^(\{.*\})\n/m,
    )
    try {
      const info = JSON.parse((await dev.started)[1]!)
      assert.equal(info.apiBaseUrl, `${info.origin}/api/v0`)
      assert.equal(info.otpUrl, `${info.origin}/emulator/otp`)
      assert.equal(info.environmentId, TEST_ENVIRONMENT_ID)
      const sdk = `${info.apiBaseUrl}/sdk/${info.environmentId}`
      const settings = await (await fetch(`${sdk}/settings`)).json()
      assert.deepEqual(
        settings.kyc.map((field: { name: string }) => field.name),
        ['email', 'firstName'],
      )
      const post = (path: string, body: unknown) =>
        fetch(`${sdk}/${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      const { verificationUUID } = await (await post('emailVerifications/create', { email: 'cli@example.com' })).json()
      assert.deepEqual(await (await fetch(`${info.otpUrl}?email=cli@example.com`)).json(), { code: '424242' })
      const signedIn = await (
        await post('emailVerifications/signin', { verificationUUID, verificationToken: '424242' })
      ).json()
      assert.equal(signedIn.user.scope, 'userDataForm')
      const { stdout } = dev.output()
      assert.match(stdout, /^\{"event":"otp","email":"cli@example\.com","code":"424242"\}$/m)
      assert.ok(!stdout.includes(signedIn.minifiedJwt), 'no token is printed')
    } finally {
      dev.child.kill('SIGINT')
    }
    assert.equal((await dev.exited).code, 0)
  })

  test('the guide names the SDK API and the codes URL', async () => {
    const dev = startCli(['dev', '--port', '0', '--cookie-auth', '--require-mfa'], /Press Ctrl-C to stop/)
    try {
      await dev.started
      const { stdout } = dev.output()
      assert.match(stdout, /Dynamic SDK API +http:\/\/127\.0\.0\.1:\d+\/api\/v0/)
      assert.match(stdout, /email codes +GET http:\/\/127\.0\.0\.1:\d+\/emulator\/otp\?email=/)
      assert.match(
        stdout,
        /createDynamicClient\(\{ environmentId: '[0-9a-f-]{36}', coreConfig: \{ apiBaseUrl: 'http:\/\/127\.0\.0\.1:\d+\/api\/v0' \} \}\)/,
      )
    } finally {
      dev.child.kill('SIGTERM')
    }
    assert.equal((await dev.exited).code, 0)
  })

  test('a non-loopback host needs --unsafe-listen-any-host; bad emulator flags are usage errors', async () => {
    const mistakes = [
      ['dev', '--host', '0.0.0.0'],
      ['dev', '--otp-code', '12ab'],
      ['dev', '--required-fields', 'shoeSize'],
      ['dev', '--webhook-url', 'http://127.0.0.1:9/hook'],
      ['dev', '--webhook-secret', 's'],
      ['dev', '--webhook-url', 'file:///etc/passwd', '--webhook-secret', 's'],
      ['dev', '--cors-origin', 'https://app.example/path'],
    ]
    const results = await Promise.all(mistakes.map((args) => runCli(args)))
    results.forEach((result, i) => {
      assert.equal(result.code, 2, mistakes[i]!.join(' '))
      assert.match(result.stderr, /See "dynamic-guard dev --help"/)
    })
    assert.match(results[0]!.stderr, /--unsafe-listen-any-host/)
    const help = await runCli(['dev', '--help'])
    for (const flag of [
      '--otp-code',
      '--required-fields',
      '--cookie-auth',
      '--require-mfa',
      '--webhook-url',
      '--webhook-secret',
      '--cors-origin',
      '--unsafe-listen-any-host',
    ])
      assert.ok(help.stdout.includes(flag), flag)
  })
})
