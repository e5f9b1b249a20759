/**
 * The emulator over plain HTTP, as a browser or a curl would meet it: CORS for loopback origins
 * (preflights with Dynamic's x-dyn-* and x-dynamic-* headers, credentials), refusal of other
 * origins and of non-loopback Host headers, the loopback-only listen rule, cookie mode, Dynamic's
 * error shape, and the emulator's own calls. Everything on 127.0.0.1.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { createTestIssuer, type TestIssuerServer } from '../../src/testing/index.js'
import { DynamicAuthConfigError } from '../../src/errors.js'

const issuer = createTestIssuer()
const env = issuer.environmentId

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'))
}

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
})

/** Signs in by email code over HTTP; returns Dynamic's verify answer. */
async function signIn(
  server: TestIssuerServer,
  email: string,
  headers: Record<string, string> = {},
): Promise<{ minifiedJwt: string; jwt: string; user: Record<string, unknown>; expiresAt: number }> {
  const sdk = `${server.apiBaseUrl}/sdk/${env}`
  const created = await fetch(`${sdk}/emailVerifications/create`, {
    ...json({ email }),
    headers: { 'content-type': 'application/json', ...headers },
  })
  assert.equal(created.status, 201)
  const { verificationUUID } = (await created.json()) as { verificationUUID: string }
  const code = server.emulator.lastCode(email)!
  const signedIn = await fetch(`${sdk}/emailVerifications/signin`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ verificationUUID, verificationToken: code }),
  })
  assert.equal(signedIn.status, 200)
  return (await signedIn.json()) as never
}

/** A raw request with a chosen Host header (fetch does not let one set it). */
function withHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode!, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('the emulator over HTTP', () => {
  let server: TestIssuerServer
  const sdk = () => `${server.apiBaseUrl}/sdk/${env}`

  before(async () => {
    server = await issuer.listen({ corsOrigins: ['https://app.example.test'] })
  })
  after(() => server.close())

  test('the server describes itself; the emulator endpoints still answer', async () => {
    assert.equal(server.apiBaseUrl, `${server.origin}/api/v0`)
    assert.equal(server.otpUrl, `${server.origin}/emulator/otp`)
    assert.equal(server.environmentId, env)
    const root = (await (await fetch(`${server.origin}/`)).json()) as Record<string, unknown>
    assert.equal(root.apiBaseUrl, server.apiBaseUrl)
    assert.equal(root.otpUrl, server.otpUrl)
    assert.equal((await fetch(server.jwksUrl)).status, 200)
    const minted = (await (await fetch(server.tokenUrl, json({ sub: 'someone' }))).json()) as { minifiedJwt: string }
    assert.equal(claimsOf(minted.minifiedJwt).sub, 'someone')
  })

  test("preflights from loopback and listed origins allow Dynamic's headers and credentials", async () => {
    const asked =
      'content-type, x-dyn-api-version, x-dyn-request-id, x-dyn-session-id, x-dyn-version, x-dynamic-platform, x-dynamic-device-nonce, authorization, x-evil'
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1:3000', 'https://app.example.test']) {
      const preflight = await fetch(`${sdk()}/emailVerifications/create`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': asked },
      })
      assert.equal(preflight.status, 204, origin)
      assert.equal(preflight.headers.get('access-control-allow-origin'), origin)
      assert.equal(preflight.headers.get('access-control-allow-credentials'), 'true')
      assert.match(preflight.headers.get('access-control-allow-methods')!, /PUT/)
      const allowed = preflight.headers.get('access-control-allow-headers')!.split(', ')
      for (const name of [
        'content-type',
        'authorization',
        'x-dyn-api-version',
        'x-dynamic-platform',
        'x-dynamic-device-nonce',
      ])
        assert.ok(allowed.includes(name), name)
      assert.ok(!allowed.includes('x-evil'))
    }
    const settings = await fetch(`${sdk()}/settings`, { headers: { origin: 'http://localhost:5173' } })
    assert.equal(settings.headers.get('access-control-allow-origin'), 'http://localhost:5173')
  })

  test('other origins and non-loopback Host headers are refused', async () => {
    const foreign = await fetch(`${sdk()}/emailVerifications/create`, {
      ...json({ email: 'x@example.com' }),
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
    })
    assert.equal(foreign.status, 403)
    assert.deepEqual(Object.keys((await foreign.json()) as object).sort(), ['code', 'error'])
    assert.equal(foreign.headers.get('access-control-allow-origin'), null)
    assert.equal(server.emulator.lastCode('x@example.com'), undefined, 'nothing was sent')
    const preflight = await fetch(`${sdk()}/settings`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    })
    assert.equal(preflight.status, 403)
    const rebound = await withHost(`${server.origin}/emulator/otp?email=a@example.com`, 'attacker.example:80')
    assert.equal(rebound.status, 403)
    assert.equal(JSON.parse(rebound.body).code, 'host_not_allowed')
    assert.equal((await withHost(`${server.jwksUrl}`, `localhost:${new URL(server.origin).port}`)).status, 200)
  })

  test("errors in Dynamic's shape; codes read once; tokens only from this emulator", async () => {
    const bad = await fetch(`${sdk()}/emailVerifications/create`, json({ email: 'not an email' }))
    assert.equal(bad.status, 400)
    assert.deepEqual(await bad.json(), { error: 'The email address is not valid.', code: 'invalid_email' })
    assert.equal((await fetch(`${sdk()}/emailVerifications/create`, { method: 'POST', body: '{' })).status, 400)
    assert.equal(
      (await fetch(`${sdk()}/emailVerifications/create`, json({ email: 'a@b.co', pad: 'x'.repeat(70_000) }))).status,
      413,
    )
    assert.equal(((await (await fetch(`${sdk()}/nowhere`)).json()) as { code: string }).code, 'not_emulated')
    const otp = await fetch(`${server.otpUrl}?email=nobody@example.com`)
    assert.equal(otp.status, 404)
    assert.equal(((await otp.json()) as { code: string }).code, 'no_code')

    const created = (await (
      await fetch(`${sdk()}/emailVerifications/create`, json({ email: 'once@example.com' }))
    ).json()) as { verificationUUID: string }
    const code = ((await (await fetch(`${server.otpUrl}?email=ONCE@example.com`)).json()) as { code: string }).code
    assert.match(code, /^\d{6}$/)
    const body = { verificationUUID: created.verificationUUID, verificationToken: code }
    assert.equal((await fetch(`${sdk()}/emailVerifications/signin`, json(body))).status, 200)
    const replay = await fetch(`${sdk()}/emailVerifications/signin`, json(body))
    assert.equal(replay.status, 400)
    assert.equal(((await replay.json()) as { code: string }).code, 'unknown_verification')

    const forged = issuer.mint({ sub: 'x' }) // signed by the same key, but never handed out by the emulator
    const users = await fetch(`${sdk()}/users`, { headers: { authorization: `Bearer ${forged}` } })
    assert.equal(users.status, 401)
    assert.equal(((await users.json()) as { code: string }).code, 'invalid_token')
    assert.equal((await fetch(`${sdk()}/session`)).status, 401)
    const nonces = (await (await fetch(`${sdk()}/nonces?count=3`)).json()) as { nonces: string[] }
    assert.equal(nonces.nonces.length, 3)
  })

  test('emulator calls: read and revoke a session; the revoked session answers 401', async () => {
    const signedIn = await signIn(server, 'calls@example.com')
    const sid = String(claimsOf(signedIn.minifiedJwt).sid)
    const info = (await (await fetch(`${server.origin}/emulator/sessions/${sid}`)).json()) as Record<string, unknown>
    assert.equal(info.id, sid)
    assert.equal(info.userId, signedIn.user.id)
    assert.equal(info.revokedAt, null)
    assert.equal(
      (await fetch(`${sdk()}/session`, { headers: { authorization: `Bearer ${signedIn.jwt}` } })).status,
      204,
      'the full token authenticates too',
    )
    const revoked = await fetch(`${server.origin}/emulator/sessions/${sid}/revoke`, { method: 'POST' })
    assert.equal(revoked.status, 200)
    assert.ok(((await revoked.json()) as { revokedAt: string }).revokedAt)
    assert.equal(
      (await fetch(`${sdk()}/session`, { headers: { authorization: `Bearer ${signedIn.minifiedJwt}` } })).status,
      401,
    )
    assert.equal(
      (
        await fetch(`${sdk()}/refresh`, {
          method: 'POST',
          headers: { authorization: `Bearer ${signedIn.minifiedJwt}` },
        })
      ).status,
      401,
    )
    assert.equal(
      (await fetch(`${sdk()}/revoke`, { method: 'POST', headers: { authorization: `Bearer ${signedIn.minifiedJwt}` } }))
        .status,
      204,
      'logging out of an ended session is done',
    )
    assert.equal((await fetch(`${server.origin}/emulator/sessions/nope/revoke`, { method: 'POST' })).status, 404)
    assert.equal((await fetch(`${server.origin}/emulator/users/nope`, { method: 'DELETE' })).status, 404)
    assert.equal((await fetch(`${server.origin}/emulator/mfa/complete`, json({ sessionId: sid }))).status, 404)
  })
})

describe('cookie mode', () => {
  let server: TestIssuerServer
  before(async () => {
    server = await issuer.listen({ cookieAuth: true })
  })
  after(() => server.close())

  test("settings say cookie storage; Dynamic's cookie authenticates; the page origin is the audience", async () => {
    const settings = (await (await fetch(`${server.apiBaseUrl}/sdk/${env}/settings`)).json()) as {
      security: { auth: { storage: string[] } }
    }
    assert.deepEqual(settings.security.auth.storage, ['cookie'])
    const signedIn = await signIn(server, 'cookie@example.com', { origin: 'http://localhost:5173' })
    assert.equal(claimsOf(signedIn.minifiedJwt).aud, 'http://localhost:5173')
    const user = await fetch(`${server.apiBaseUrl}/sdk/${env}/users`, {
      headers: { cookie: `other=1; DYNAMIC_JWT_TOKEN=${signedIn.minifiedJwt}`, origin: 'http://localhost:5173' },
    })
    assert.equal(user.status, 200)
    assert.equal(user.headers.get('access-control-allow-credentials'), 'true')
    assert.equal(((await user.json()) as { email: string }).email, 'cookie@example.com')
    const refreshed = await fetch(`${server.apiBaseUrl}/sdk/${env}/refresh`, {
      method: 'POST',
      headers: { cookie: `DYNAMIC_JWT_TOKEN=${signedIn.minifiedJwt}` },
    })
    assert.equal(refreshed.status, 200)
    assert.equal(
      refreshed.headers.get('set-cookie'),
      null,
      'the client writes the cookie itself, as with a Dynamic sandbox',
    )
  })
})

describe('loopback only', () => {
  test('listen() refuses a non-loopback host unless told loudly; bad options are refused at once', async () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com']) {
      await assert.rejects(
        issuer.listen({ host }),
        (error: Error) => error instanceof DynamicAuthConfigError && /unsafeListenAnyHost/.test(error.message),
        host,
      )
    }
    await assert.rejects(issuer.listen({ otpCode: '12ab' }), TypeError)
    await assert.rejects(issuer.listen({ requiredFields: ['shoeSize' as never] }), TypeError)
    await assert.rejects(issuer.listen({ webhook: { url: 'ftp://x', secret: 's' } }), TypeError)
    await assert.rejects(issuer.listen({ corsOrigins: ['https://app.example/path'] }), TypeError)
  })

  test('with unsafeListenAnyHost, any Host header is answered', async () => {
    const open = await issuer.listen({ host: '127.0.0.1', unsafeListenAnyHost: true })
    try {
      assert.equal((await withHost(`${open.jwksUrl}`, 'dev-box.lan:4747')).status, 200)
    } finally {
      await open.close()
    }
  })
})
