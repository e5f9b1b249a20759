/**
 * One table of HTTP scenarios run against every adapter. Each adapter's test file builds the same
 * small app on a real framework instance listening on 127.0.0.1 (an ephemeral port):
 *
 *   /api/me        GET POST PUT PATCH DELETE   dynamicAuth(auth)                  → { userId, method }
 *   /api/me        OPTIONS                     the app's own CORS answer, mounted AFTER the guard (never reached)
 *   /api/sign      GET                         dynamicAuth(auth) + requireScopes('wallet:sign')
 *   /scoped/me     GET                         dynamicAuth(auth, { requiredScopes: ['wallet:sign'] })
 *   /opt/me        GET POST                    dynamicAuth(auth, { optional: true }) → { userId | null }
 *   /all/me        every method                dynamicAuth(auth), then a handler for all methods
 *                                              → { secret: PROTECTED, userId, method }
 *   /pass/me       every method                dynamicAuth(auth, { passPreflightsToApp: true }) +
 *                                              requireScopes('wallet:sign'), then the same handler
 *   /cors/me       GET (+ preflights)          a CORS middleware BEFORE dynamicAuth(auth), answering
 *                                              preflights with access-control-allow-origin: CORS_ORIGIN
 *   /custom/me     GET                         dynamicAuth(auth, { refusals: 'forward' }), the refusal
 *   /custom/sign   GET                         handled by the app's own error handling (+ requireScopes
 *                                              on /custom/sign): 401 { custom: true, code } + x-custom: yes
 *
 * and the harness sends real HTTP requests with fetch.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { createDynamicAuth, type DynamicAuth } from '../../src/index.js'
import { createTestIssuer, TEST_USER_ID, type TestIssuer, type TestIssuerServer } from '../../src/testing/index.js'

export interface RunningApp {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string
  close(): Promise<void>
}

/** Listens on 127.0.0.1, an ephemeral port; `close` ends every connection. */
export async function listen(server: Server): Promise<RunningApp> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Serves a fetch handler (Request → Response) with @hono/node-server on 127.0.0.1, an ephemeral port. */
export async function serveFetch(fetch: (request: Request) => Response | Promise<Response>): Promise<RunningApp> {
  let server!: ReturnType<typeof serve>
  const port = await new Promise<number>((resolve) => {
    server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve(info.port))
  })
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        ;(server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.()
        server.close(() => resolve())
      }),
  }
}

export interface AdapterFixture {
  readonly name: string
  start(auth: DynamicAuth): Promise<RunningApp>
}

/** What the handlers mounted for all methods return: data a request without a session must never see. */
export const PROTECTED = 'protected-data'
/** The origin the CORS middleware mounted before the guard allows. */
export const CORS_ORIGIN = 'https://app.example'
/** The headers of a request shaped like a CORS preflight. */
export const PREFLIGHT_HEADERS: Readonly<Record<string, string>> = {
  origin: CORS_ORIGIN,
  'access-control-request-method': 'POST',
  'access-control-request-headers': 'authorization',
}

/** A tiny CORS middleware's answer to a preflight (as the `cors` packages give it). */
export const CORS_PREFLIGHT_ANSWER: Readonly<Record<string, string>> = {
  'access-control-allow-origin': CORS_ORIGIN,
  'access-control-allow-methods': 'GET,POST',
  'access-control-allow-headers': 'authorization',
}

export interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  readonly body: Record<string, unknown> | undefined
}

export interface CallOptions {
  method?: string
  token?: string
  /** The raw Authorization header. */
  authorization?: string
  cookie?: string
  headers?: Record<string, string>
}

export async function call(url: string, options: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  if (options.authorization !== undefined) headers.authorization = options.authorization
  if (options.cookie !== undefined) headers.cookie = options.cookie
  const method = options.method ?? 'GET'
  const response = await fetch(url, {
    method,
    headers,
    ...(method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? {} : { body: '{}' }),
  })
  const text = await response.text()
  let body: Record<string, unknown> | undefined
  try {
    body = JSON.parse(text) as Record<string, unknown>
  } catch {
    body = undefined
  }
  return { status: response.status, headers: response.headers, text, body }
}

/** Asserts an RFC 6750 refusal: status, JSON body, challenge (or its absence), no token, no stack. */
export function assertRefusal(
  answer: Answer,
  expected: { status: number; error: string; code: string | RegExp; challenge?: RegExp | null; token?: string },
): void {
  assert.equal(answer.status, expected.status, `status (body: ${answer.text})`)
  assert.ok(answer.body, `a JSON body, got: ${answer.text}`)
  // `pending_step` joins insufficient_scope refusals that name the step the user still owes.
  assert.deepEqual(
    Object.keys(answer.body)
      .filter((key) => key !== 'pending_step')
      .sort(),
    ['code', 'error', 'error_description'],
  )
  assert.equal(answer.body.error, expected.error)
  if (typeof expected.code === 'string') assert.equal(answer.body.code, expected.code)
  else assert.match(String(answer.body.code), expected.code)
  assert.equal(typeof answer.body.error_description, 'string')
  assert.ok((answer.body.error_description as string).length > 0)
  assert.match(answer.headers.get('content-type') ?? '', /^application\/json/)
  assert.equal(answer.headers.get('cache-control'), 'no-store')
  const challenge = answer.headers.get('www-authenticate')
  if (expected.challenge === null) assert.equal(challenge, null, 'no WWW-Authenticate')
  else if (expected.challenge) assert.match(challenge ?? '', expected.challenge)
  assert.doesNotMatch(answer.text, /\bat .*\.(ts|js):\d+/, 'no stack trace')
  if (expected.token) {
    assert.ok(!answer.text.includes(expected.token), 'the body never echoes the token')
    assert.ok(!(challenge ?? '').includes(expected.token), 'the challenge never echoes the token')
  }
}

const OTHER_ENVIRONMENT = '11111111-2222-4333-8444-555555555555'

/** Runs the whole table against one adapter. */
export function runAdapterSuite(fixture: AdapterFixture): void {
  describe(`${fixture.name} adapter`, () => {
    let issuer: TestIssuer
    let jwksServer: TestIssuerServer
    let app: RunningApp // in-process JWKS
    let httpApp: RunningApp // JWKS over HTTP
    let downApp: RunningApp // JWKS unreachable
    let token: string

    before(async () => {
      issuer = createTestIssuer()
      token = issuer.mint()
      app = await fixture.start(createDynamicAuth(issuer.authOptions()))
      jwksServer = await issuer.listen()
      httpApp = await fixture.start(
        createDynamicAuth({ environmentId: issuer.environmentId, jwks: { url: jwksServer.jwksUrl } }),
      )
      // A JWKS endpoint that refuses connections: an emulator started and stopped at once.
      const gone = await createTestIssuer({ environmentId: issuer.environmentId }).listen()
      await gone.close()
      downApp = await fixture.start(
        createDynamicAuth({ environmentId: issuer.environmentId, jwks: { url: gone.jwksUrl, timeout: 10_000 } }),
      )
    })

    after(async () => {
      await Promise.all([app?.close(), httpApp?.close(), downApp?.close(), jwksServer?.close()])
    })

    describe('accepts', () => {
      it('a valid Authorization header, and puts the session where the framework expects it', async () => {
        const answer = await call(`${app.url}/api/me`, { token })
        assert.equal(answer.status, 200, answer.text)
        assert.deepEqual(answer.body, { userId: TEST_USER_ID, method: 'GET' })
      })

      it('a valid token with the JWKS fetched over HTTP', async () => {
        const answer = await call(`${httpApp.url}/api/me`, { token })
        assert.equal(answer.status, 200, answer.text)
        assert.equal(answer.body?.userId, TEST_USER_ID)
        assert.ok(jwksServer.jwksRequests >= 1)
        const cookie = await call(`${httpApp.url}/api/me`, { cookie: `DYNAMIC_JWT_TOKEN=${token}` })
        assert.equal(cookie.status, 200, cookie.text)
      })

      it("a valid token in Dynamic's cookie, among other cookies", async () => {
        const answer = await call(`${app.url}/api/me`, { cookie: `theme=dark; DYNAMIC_JWT_TOKEN=${token}; other=1` })
        assert.equal(answer.status, 200, answer.text)
        assert.equal(answer.body?.userId, TEST_USER_ID)
      })

      it('a lowercase scheme and several spaces', async () => {
        for (const authorization of [`bearer ${token}`, `BEARER ${token}`, `Bearer    ${token}`]) {
          const answer = await call(`${app.url}/api/me`, { authorization })
          assert.equal(answer.status, 200, `${authorization.slice(0, 12)}: ${answer.text}`)
        }
      })

      it('the header over the cookie when both are present', async () => {
        const headerWins = await call(`${app.url}/api/me`, { token, cookie: 'DYNAMIC_JWT_TOKEN=not-a-token' })
        assert.equal(headerWins.status, 200, headerWins.text)
        const badHeader = await call(`${app.url}/api/me`, {
          token: 'not-a-token',
          cookie: `DYNAMIC_JWT_TOKEN=${token}`,
        })
        assertRefusal(badHeader, {
          status: 401,
          error: 'invalid_token',
          code: 'token_malformed',
          challenge: /error="invalid_token"/,
        })
      })

      it('a route scope the token has', async () => {
        const signer = issuer.mint({ scopes: ['wallet:sign'] })
        for (const path of ['/api/sign', '/scoped/me']) {
          const answer = await call(`${app.url}${path}`, { token: signer })
          assert.equal(answer.status, 200, `${path}: ${answer.text}`)
          assert.equal(answer.body?.userId, TEST_USER_ID)
        }
      })
    })

    describe('refuses (RFC 6750)', () => {
      it('no token: 401 with a bare Bearer challenge', async () => {
        const answer = await call(`${app.url}/api/me`)
        assertRefusal(answer, { status: 401, error: 'unauthorized', code: 'token_missing' })
        assert.equal(answer.headers.get('www-authenticate'), 'Bearer realm="api"')
      })

      it('another scheme: 401 with a bare Bearer challenge', async () => {
        const answer = await call(`${app.url}/api/me`, { authorization: 'Basic dXNlcjpwYXNz' })
        assertRefusal(answer, { status: 401, error: 'unauthorized', code: 'token_missing' })
        assert.equal(answer.headers.get('www-authenticate'), 'Bearer realm="api"')
      })

      it('a malformed Authorization header: 400 invalid_request', async () => {
        for (const authorization of ['Bearer', 'Bearer ', `Bearer ${token} extra`, `Bearer ${token},x`]) {
          const answer = await call(`${app.url}/api/me`, { authorization })
          assertRefusal(answer, {
            status: 400,
            error: 'invalid_request',
            code: 'invalid_request',
            challenge: /^Bearer realm="api", error="invalid_request", error_description="[^"]+"$/,
            token,
          })
        }
      })

      it('a token that is not a JWT: 401 invalid_token, never echoed', async () => {
        const garbage = 'eyJhbGciOiJub25lIn0.secret-looking-garbage'
        const answer = await call(`${app.url}/api/me`, { token: garbage })
        assertRefusal(answer, {
          status: 401,
          error: 'invalid_token',
          code: 'token_malformed',
          challenge: /error="invalid_token"/,
          token: garbage,
        })
      })

      it('an expired token: 401 invalid_token with an error_description', async () => {
        const expired = issuer.mint({ expired: true })
        const answer = await call(`${app.url}/api/me`, { token: expired })
        assertRefusal(answer, {
          status: 401,
          error: 'invalid_token',
          code: 'token_expired',
          challenge: /^Bearer realm="api", error="invalid_token", error_description="[^"]+"$/,
          token: expired,
        })
      })

      it('a tampered token: 401 invalid_token', async () => {
        const answer = await call(`${app.url}/api/me`, { token: issuer.mint({ tampered: true }) })
        assertRefusal(answer, {
          status: 401,
          error: 'invalid_token',
          code: 'signature_invalid',
          challenge: /error="invalid_token"/,
        })
      })

      it('a token of another environment: 401 invalid_token', async () => {
        const answer = await call(`${app.url}/api/me`, { token: issuer.mint({ environmentId: OTHER_ENVIRONMENT }) })
        assertRefusal(answer, {
          status: 401,
          error: 'invalid_token',
          code: 'environment_mismatch',
          challenge: /error="invalid_token"/,
        })
      })

      it('MFA pending (no user:basic): 403 insufficient_scope with scope="user:basic"', async () => {
        const answer = await call(`${app.url}/api/me`, { token: issuer.mint({ mfaPending: true }) })
        assertRefusal(answer, {
          status: 403,
          error: 'insufficient_scope',
          code: 'insufficient_scope',
          challenge: /^Bearer realm="api", error="insufficient_scope", error_description="[^"]+", scope="user:basic"$/,
        })
      })

      it('a route scope the token lacks: 403 insufficient_scope naming it', async () => {
        for (const path of ['/api/sign', '/scoped/me']) {
          const answer = await call(`${app.url}${path}`, { token })
          assertRefusal(answer, {
            status: 403,
            error: 'insufficient_scope',
            code: 'insufficient_scope',
            challenge: /scope="user:basic wallet:sign"$/,
          })
          assert.match(answer.body!.error_description as string, /wallet:sign/)
        }
      })

      it('keys unavailable: 503 with Retry-After, never 401', async () => {
        const answer = await call(`${downApp.url}/api/me`, { token })
        assertRefusal(answer, {
          status: 503,
          error: 'temporarily_unavailable',
          code: 'jwks_unavailable',
          challenge: null,
          token,
        })
        assert.match(answer.headers.get('retry-after') ?? '', /^[1-9]\d*$/)
      })

      it('the query string unless enabled', async () => {
        const answer = await call(`${app.url}/api/me?access_token=${token}&token=${token}`)
        assertRefusal(answer, { status: 401, error: 'unauthorized', code: 'token_missing' })
      })
    })

    describe('CSRF protection of cookie tokens', () => {
      const cookie = () => `DYNAMIC_JWT_TOKEN=${token}`

      it('refuses a state-changing cookie request from another site: 403 origin_not_allowed', async () => {
        for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
          const answer = await call(`${app.url}/api/me`, {
            method,
            cookie: cookie(),
            headers: { origin: 'https://evil.example' },
          })
          assertRefusal(answer, { status: 403, error: 'forbidden', code: 'origin_not_allowed', challenge: null, token })
        }
      })

      it('refuses one with a foreign Referer and no Origin, and one with neither', async () => {
        const referer = await call(`${app.url}/api/me`, {
          method: 'POST',
          cookie: cookie(),
          headers: { referer: 'https://evil.example/page' },
        })
        assertRefusal(referer, { status: 403, error: 'forbidden', code: 'origin_not_allowed', challenge: null })
        const none = await call(`${app.url}/api/me`, { method: 'POST', cookie: cookie() })
        assertRefusal(none, { status: 403, error: 'forbidden', code: 'origin_not_allowed', challenge: null })
        const opaque = await call(`${app.url}/api/me`, {
          method: 'POST',
          cookie: cookie(),
          headers: { origin: 'null' },
        })
        assertRefusal(opaque, { status: 403, error: 'forbidden', code: 'origin_not_allowed', challenge: null })
      })

      it('accepts the same origin, a same-origin Referer, and the token audience', async () => {
        const same = await call(`${app.url}/api/me`, { method: 'POST', cookie: cookie(), headers: { origin: app.url } })
        assert.equal(same.status, 200, same.text)
        assert.deepEqual(same.body, { userId: TEST_USER_ID, method: 'POST' })
        const referer = await call(`${app.url}/api/me`, {
          method: 'DELETE',
          cookie: cookie(),
          headers: { referer: `${app.url}/settings?tab=1` },
        })
        assert.equal(referer.status, 200, referer.text)
        const audience = await call(`${app.url}/api/me`, {
          method: 'PUT',
          cookie: cookie(),
          headers: { origin: 'http://localhost:3000' },
        })
        assert.equal(audience.status, 200, audience.text)
      })

      it('does not apply to safe methods or to header tokens', async () => {
        const get = await call(`${app.url}/api/me`, { cookie: cookie(), headers: { origin: 'https://evil.example' } })
        assert.equal(get.status, 200, get.text)
        const header = await call(`${app.url}/api/me`, {
          method: 'POST',
          token,
          headers: { origin: 'https://evil.example' },
        })
        assert.equal(header.status, 200, header.text)
      })
    })

    describe('preflight-shaped requests (OPTIONS with Origin and Access-Control-Request-Method)', () => {
      const preflight = (path: string) =>
        call(`${app.url}${path}`, { method: 'OPTIONS', headers: { ...PREFLIGHT_HEADERS } })
      const assertAnsweredByGuard = (answer: Answer, label: string) => {
        assert.equal(answer.status, 204, `${label}: status ${answer.status}: ${answer.text}`)
        assert.equal(answer.text, '', `${label}: an empty body`)
        assert.equal(answer.headers.get('www-authenticate'), null, label)
        assert.equal(
          answer.headers.get('access-control-allow-origin'),
          null,
          `${label}: no CORS header, so the browser's CORS check fails`,
        )
      }

      it('are answered by the guard (204, empty) and never reach a handler mounted for all methods', async () => {
        const answer = await preflight('/all/me')
        assertAnsweredByGuard(answer, '/all/me')
        assert.ok(!answer.text.includes(PROTECTED))
      })

      it('never reach CORS handling mounted after the guard: the 204 carries no Access-Control-Allow-Origin', async () => {
        assertAnsweredByGuard(await preflight('/api/me'), '/api/me')
      })

      it('a plain OPTIONS, or one without Origin, is authenticated like any request', async () => {
        assertRefusal(await call(`${app.url}/all/me`, { method: 'OPTIONS' }), {
          status: 401,
          error: 'unauthorized',
          code: 'token_missing',
        })
        const noOrigin = await call(`${app.url}/all/me`, {
          method: 'OPTIONS',
          headers: { 'access-control-request-method': 'POST' },
        })
        assertRefusal(noOrigin, { status: 401, error: 'unauthorized', code: 'token_missing' })
        assert.ok(!noOrigin.text.includes(PROTECTED))
        const signedIn = await call(`${app.url}/all/me`, { method: 'OPTIONS', token })
        assert.equal(signedIn.status, 200, signedIn.text)
        assert.deepEqual(signedIn.body, { secret: PROTECTED, userId: TEST_USER_ID, method: 'OPTIONS' })
      })

      it('go on to the app, with no session, only with passPreflightsToApp (requireScopes follows)', async () => {
        const passed = await preflight('/pass/me')
        assert.equal(passed.status, 200, passed.text)
        assert.deepEqual(passed.body, { secret: PROTECTED, userId: null, method: 'OPTIONS' })
        // Every other request is still authenticated, and scope-checked.
        assertRefusal(await call(`${app.url}/pass/me`), { status: 401, error: 'unauthorized', code: 'token_missing' })
        assertRefusal(await call(`${app.url}/pass/me`, { method: 'OPTIONS' }), {
          status: 401,
          error: 'unauthorized',
          code: 'token_missing',
        })
        assertRefusal(await call(`${app.url}/pass/me`, { token }), {
          status: 403,
          error: 'insufficient_scope',
          code: 'insufficient_scope',
        })
        const signer = await call(`${app.url}/pass/me`, { token: issuer.mint({ scopes: ['wallet:sign'] }) })
        assert.deepEqual(signer.body, { secret: PROTECTED, userId: TEST_USER_ID, method: 'GET' })
      })

      it('are answered by CORS middleware mounted before the guard, as before', async () => {
        const answer = await preflight('/cors/me')
        assert.ok(answer.status === 204 || answer.status === 200, `status ${answer.status}: ${answer.text}`)
        assert.equal(answer.headers.get('access-control-allow-origin'), CORS_ORIGIN)
        assert.match(answer.headers.get('access-control-allow-methods') ?? '', /POST/)
        assert.ok(!answer.text.includes(PROTECTED))
        const refused = await call(`${app.url}/cors/me`, { headers: { origin: CORS_ORIGIN } })
        assertRefusal(refused, { status: 401, error: 'unauthorized', code: 'token_missing' })
        const ok = await call(`${app.url}/cors/me`, { token, headers: { origin: CORS_ORIGIN } })
        assert.equal(ok.status, 200, ok.text)
        assert.equal(ok.body?.userId, TEST_USER_ID)
      })
    })

    describe('optional mode', () => {
      it('lets an anonymous request through without a session', async () => {
        const answer = await call(`${app.url}/opt/me`)
        assert.equal(answer.status, 200, answer.text)
        assert.deepEqual(answer.body, { userId: null })
      })

      it('attaches the session when a valid token is present', async () => {
        const header = await call(`${app.url}/opt/me`, { token })
        assert.deepEqual(header.body, { userId: TEST_USER_ID })
        const cookie = await call(`${app.url}/opt/me`, { cookie: `DYNAMIC_JWT_TOKEN=${token}` })
        assert.deepEqual(cookie.body, { userId: TEST_USER_ID })
      })

      it('still refuses a present but invalid token, and a cross-site cookie', async () => {
        const expired = await call(`${app.url}/opt/me`, { token: issuer.mint({ expired: true }) })
        assertRefusal(expired, {
          status: 401,
          error: 'invalid_token',
          code: 'token_expired',
          challenge: /error="invalid_token"/,
        })
        const csrf = await call(`${app.url}/opt/me`, {
          method: 'POST',
          cookie: `DYNAMIC_JWT_TOKEN=${token}`,
          headers: { origin: 'https://evil.example' },
        })
        assertRefusal(csrf, { status: 403, error: 'forbidden', code: 'origin_not_allowed', challenge: null })
      })
    })

    it("with refusals: 'forward', hands refusals to the app's own error handling (requireScopes follows)", async () => {
      const missing = await call(`${app.url}/custom/me`)
      assert.equal(missing.status, 401, missing.text)
      assert.deepEqual(missing.body, { custom: true, code: 'token_missing' })
      assert.equal(missing.headers.get('x-custom'), 'yes')
      const expired = await call(`${app.url}/custom/me`, { token: issuer.mint({ expired: true }) })
      assert.deepEqual(expired.body, { custom: true, code: 'token_expired' })
      const ok = await call(`${app.url}/custom/me`, { token })
      assert.equal(ok.status, 200, ok.text)
      const scope = await call(`${app.url}/custom/sign`, { token })
      assert.deepEqual(scope.body, { custom: true, code: 'insufficient_scope' })
      const signer = await call(`${app.url}/custom/sign`, { token: issuer.mint({ scopes: ['wallet:sign'] }) })
      assert.equal(signer.status, 200, signer.text)
    })
  })
}
