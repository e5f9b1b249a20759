import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTestIssuer, type TestIssuerServer } from '../../src/testing/index.js'
import { deadPort, runCli } from './run-cli.js'

const issuer = createTestIssuer()
let emulatorServer: TestIssuerServer
let unusable: Server
let unusableUrl: string

before(async () => {
  issuer.rotateKey() // two keys, as during a rotation
  emulatorServer = await issuer.listen()
  // A JWKS whose only key is meant for encryption: nothing dynamic-guard would trust.
  const key = { ...issuer.jwks().keys[0], use: 'enc' }
  unusable = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [key] })),
  )
  await new Promise<void>((resolve) => unusable.listen(0, '127.0.0.1', resolve))
  unusableUrl = `http://127.0.0.1:${(unusable.address() as AddressInfo).port}/jwks`
})
after(async () => {
  await emulatorServer.close()
  await new Promise<void>((resolve) => unusable.close(() => resolve()))
})

describe('jwks', { concurrency: 4 }, () => {
  test('lists every key: kid, size, alg, use, usable', async () => {
    const result = await runCli(['jwks', emulatorServer.jwksUrl])
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /2 keys, 2 usable by dynamic-guard/)
    for (const key of issuer.jwks().keys)
      assert.match(result.stdout, new RegExp(`${key.kid} +RSA 4096 +RS256 +sig +yes`))
  })

  test('--json', async () => {
    const result = await runCli(['jwks', emulatorServer.jwksUrl, '--json'])
    assert.equal(result.code, 0, result.stderr)
    const body = JSON.parse(result.stdout)
    assert.equal(body.url, emulatorServer.jwksUrl)
    assert.deepEqual(
      body.keys.map((k: { kid: string }) => k.kid),
      issuer.jwks().keys.map((k) => k.kid),
    )
    assert.deepEqual(body.keys[0], {
      kid: issuer.jwks().keys[0]!.kid,
      kty: 'RSA',
      bits: 4096,
      alg: 'RS256',
      use: 'sig',
      usable: true,
    })
  })

  test('no usable key: exit 1, and why', async () => {
    const result = await runCli(['jwks', unusableUrl])
    assert.equal(result.code, 1)
    assert.match(result.stdout, /no: the key is marked use "enc"/)
  })

  test('network error: exit 2', async () => {
    const result = await runCli(['jwks', `http://127.0.0.1:${await deadPort()}/jwks`])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /dynamic-guard jwks: .*request failed/)
  })

  test('usage errors: exit 2', async () => {
    const mistakes: Array<[string[], RegExp]> = [
      [['jwks'], /missing the environment id/],
      [['jwks', 'production'], /neither an environment id/],
      [['jwks', 'http://keys.example.com/jwks'], /must be https/],
      [['jwks', emulatorServer.jwksUrl, '--timeout', '0'], /--timeout must be a whole number/],
    ]
    const results = await Promise.all(mistakes.map(([args]) => runCli(args)))
    results.forEach((result, i) => {
      const [args, message] = mistakes[i]!
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`)
      assert.match(result.stderr, message)
    })
  })
})
