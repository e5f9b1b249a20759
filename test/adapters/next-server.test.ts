/**
 * dynamic-guard/next inside a real Next.js server: the app in `next-app/` (route handlers wrapped
 * by `withDynamicAuth`, and a proxy, Next's middleware, made by `dynamicAuthMiddleware`) run by
 * `next dev` on 127.0.0.1, an ephemeral port, with real HTTP requests.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { cpSync, mkdirSync, rmSync } from 'node:fs'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { createTestIssuer, TEST_USER_ID } from '../../src/testing/index.js'
import { assertRefusal, call, PREFLIGHT_HEADERS, PROTECTED } from './harness.js'

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, '../..')

describe('Next.js server (next dev)', { timeout: 600_000 }, () => {
  const issuer = createTestIssuer()
  const dir = resolve(root, `.tmp/next-app-${process.pid}`)
  let child: ChildProcess | undefined
  let url: string

  before(async () => {
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dirname(dir), { recursive: true })
    cpSync(resolve(here, 'next-app'), dir, { recursive: true })
    // The package as an app would install it: dynamic-guard/next and the core, bundled from src.
    await build({
      stdin: {
        contents: `export * from ${JSON.stringify(resolve(root, 'src/adapters/next.ts'))}\nexport { createDynamicAuth } from ${JSON.stringify(resolve(root, 'src/index.ts'))}\n`,
        resolveDir: root,
        loader: 'ts',
      },
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      outfile: resolve(dir, 'lib/dynamic-guard.mjs'),
      external: ['next', 'next/*'],
      logLevel: 'silent',
    })
    const started = spawn(process.execPath, [resolve(dir, 'serve.mjs')], {
      cwd: dir,
      env: {
        ...process.env,
        DG_NEXT_ENVIRONMENT_ID: issuer.environmentId,
        DG_NEXT_JWKS: JSON.stringify(issuer.jwks()),
        NEXT_TELEMETRY_DISABLED: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child = started
    let output = ''
    started.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const port = await new Promise<number>((ready, fail) => {
      started.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString()
        const match = /READY (\d+)/.exec(output)
        if (match) ready(Number(match[1]))
      })
      started.once('exit', (code) => fail(new Error(`next dev exited (${code}): ${output.slice(-2000)}`)))
    })
    url = `http://127.0.0.1:${port}`
  })

  after(async () => {
    if (child && child.exitCode === null) {
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
    }
    rmSync(dir, { recursive: true, force: true })
  })

  it('a wrapped route handler answers with the session, and refuses per RFC 6750', async () => {
    const token = issuer.mint()
    const ok = await call(`${url}/api/me`, { token })
    assert.equal(ok.status, 200, ok.text)
    assert.deepEqual(ok.body, { userId: TEST_USER_ID, method: 'GET' })
    const cookie = await call(`${url}/api/me`, { cookie: `DYNAMIC_JWT_TOKEN=${token}` })
    assert.equal(cookie.status, 200, cookie.text)

    const missing = await call(`${url}/api/me`)
    assertRefusal(missing, { status: 401, error: 'unauthorized', code: 'token_missing' })
    assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="api"')
    assertRefusal(await call(`${url}/api/me`, { token: issuer.mint({ expired: true }) }), {
      status: 401,
      error: 'invalid_token',
      code: 'token_expired',
      challenge: /error="invalid_token"/,
    })
    assertRefusal(await call(`${url}/api/me`, { authorization: 'Bearer' }), {
      status: 400,
      error: 'invalid_request',
      code: 'invalid_request',
    })
    assertRefusal(await call(`${url}/api/me`, { token: issuer.mint({ mfaPending: true }) }), {
      status: 403,
      error: 'insufficient_scope',
      code: 'insufficient_scope',
      challenge: /scope="user:basic"$/,
    })
    assertRefusal(await call(`${url}/api/sign`, { token }), {
      status: 403,
      error: 'insufficient_scope',
      code: 'insufficient_scope',
      challenge: /scope="user:basic wallet:sign"$/,
    })
    assert.equal((await call(`${url}/api/sign`, { token: issuer.mint({ scopes: ['wallet:sign'] }) })).status, 200)
  })

  it('checks the origin of a cookie-authenticated POST', async () => {
    const cookie = `DYNAMIC_JWT_TOKEN=${issuer.mint()}`
    const foreign = await call(`${url}/api/me`, { method: 'POST', cookie, headers: { origin: 'https://evil.example' } })
    assertRefusal(foreign, { status: 403, error: 'forbidden', code: 'origin_not_allowed', challenge: null })
    const same = await call(`${url}/api/me`, { method: 'POST', cookie, headers: { origin: url } })
    assert.equal(same.status, 200, same.text)
  })

  it('a preflight-shaped request reaches neither a wrapped OPTIONS handler nor, through the proxy, a route', async () => {
    for (const path of ['/api/me', '/mw/me']) {
      const answer = await call(`${url}${path}`, { method: 'OPTIONS', headers: { ...PREFLIGHT_HEADERS } })
      assert.equal(answer.status, 204, `${path}: ${answer.status} ${answer.text}`)
      assert.equal(answer.text, '', path)
      assert.ok(!answer.text.includes(PROTECTED), path)
      assert.equal(answer.headers.get('access-control-allow-origin'), null, path)
    }
    // A plain OPTIONS is authenticated like any request.
    assertRefusal(await call(`${url}/mw/me`, { method: 'OPTIONS' }), {
      status: 401,
      error: 'unauthorized',
      code: 'token_missing',
    })
    const signedIn = await call(`${url}/mw/me`, { method: 'OPTIONS', token: issuer.mint() })
    assert.deepEqual(signedIn.body, { reached: 'route', secret: PROTECTED, userId: TEST_USER_ID })
  })

  it("the proxy (Next's middleware) refuses before the route, or lets the request on", async () => {
    const refused = await call(`${url}/mw/me`)
    assertRefusal(refused, { status: 401, error: 'unauthorized', code: 'token_missing' })
    const ok = await call(`${url}/mw/me`, { token: issuer.mint() })
    assert.equal(ok.status, 200, ok.text)
    assert.deepEqual(ok.body, { reached: 'route', userId: TEST_USER_ID })
    const forged = await call(`${url}/mw/me`, {
      token: issuer.mint({ sub: 'someone-else' }),
      headers: { 'x-dynamic-user-id': TEST_USER_ID },
    })
    assert.equal(forged.body?.userId, 'someone-else')
  })
})
