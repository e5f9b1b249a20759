/**
 * Step-up and the session key in headless Chromium (Debian's, through playwright-core), with
 * Dynamic's real client bundled for the page: its own IndexedDB keychain makes the session key
 * (non-extractable), the local Dynamic binds it into the token, `checkStepUpAuth` and a verification
 * with `requestedScopes` bring a single-use elevated token, and a backend on 127.0.0.1 checks the
 * token, the elevated token and the request signed by the browser's key.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createPublicKey, verify as rsaVerify } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import type { Browser, Page } from 'playwright-core'
import { createDynamicAuth } from '../../src/index.js'
import { createTestIssuer, type TestIssuerServer } from '../../src/testing/index.js'
import { verifySessionKeyProof, type ReplayCheck } from '../../src/session-key/index.js'
import { launchChromium } from '../../demo/chromium.js'

const issuer = createTestIssuer()
const claimsOf = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'))

async function bundlePage(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./browser/step-up-page.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  })
  return result.outputFiles[0]!.text
}

interface StepUpPage {
  signIn(email: string, otpUrl: string): Promise<{ token: string; publicKey: string | null }>
  check(): Promise<{ isRequired: boolean; formats: string[] }>
  stepUp(email: string, otpUrl: string): Promise<{ held: boolean }>
  exportWallet(url: string, body: string): Promise<{ status: number; body: Record<string, unknown>; consumed: boolean }>
}
declare const stepUpPage: { start(config: { environmentId: string; apiBaseUrl: string }): Promise<StepUpPage> }
declare global {
  interface Window {
    page?: StepUpPage
  }
}

describe("step-up and a request signed with the session key, in headless Chromium through Dynamic's client", () => {
  let dynamic: TestIssuerServer
  let app: Server
  let appOrigin = ''
  let browser: Browser
  let page: Page
  const used = new Set<string>()
  const replayCheck: ReplayCheck = {
    claim: (id) => {
      if (used.has(id)) return false
      used.add(id)
      return true
    },
  }

  before(async () => {
    dynamic = await issuer.listen()
    const auth = createDynamicAuth({ environmentId: issuer.environmentId, jwks: { url: dynamic.jwksUrl } })
    const script = await bundlePage()
    const jwks = issuer.jwks().keys
    // The backend: the page, and one protected action that needs the session token, a wallet:export
    // elevated token of the same session, and the request signed with the token's session key.
    app = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        void (async () => {
          if (req.url === '/')
            return void res
              .writeHead(200, { 'content-type': 'text/html' })
              .end('<!doctype html><title>step-up</title><script type="module" src="/page.js"></script>')
          if (req.url === '/page.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(script)
          const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? ''
          const session = await auth.verifyToken(token)
          const elevated = String(req.headers['x-dyn-elevated-access-token'] ?? '')
          const [h, p, s] = elevated.split('.') as [string, string, string]
          const kid = JSON.parse(Buffer.from(h ?? '', 'base64url').toString('utf8') || '{}').kid
          const jwk = jwks.find((key) => key.kid === kid)
          const elevatedValid =
            !!jwk &&
            rsaVerify(
              'sha256',
              Buffer.from(`${h}.${p}`),
              createPublicKey({ key: jwk as never, format: 'jwk' }),
              Buffer.from(s ?? '', 'base64url'),
            )
          const elevatedClaims = elevatedValid ? claimsOf(elevated) : {}
          const proof = await verifySessionKeyProof({
            method: req.method ?? 'GET',
            url: req.url ?? '/',
            body: Buffer.concat(chunks),
            header: req.headers['x-session-signature'] as string | undefined,
            sessionPublicKey: session.claims.session_public_key,
            replayCheck,
          })
          const sameSession =
            elevatedClaims.sub === session.userId &&
            elevatedClaims.originalSid === (session.claims.originalSid ?? session.claims.sid)
          const ok =
            proof.ok &&
            elevatedValid &&
            sameSession &&
            String(elevatedClaims.scope).split(' ').includes('wallet:export')
          res.writeHead(ok ? 200 : 403, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              ok,
              proof: proof.ok ? 'ok' : proof.reason,
              elevatedScope: elevatedClaims.scope ?? null,
              singleUse: elevatedClaims.singleUse ?? null,
              sameSession,
            }),
          )
        })().catch((error: unknown) =>
          res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(error) })),
        )
      })
    })
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
    appOrigin = `http://127.0.0.1:${(app.address() as AddressInfo).port}`
    browser = await launchChromium()
    page = await browser.newPage()
    page.setDefaultTimeout(90_000)
    await page.goto(`${appOrigin}/`)
    await page.waitForFunction(() => 'stepUpPage' in window)
    await page.evaluate(
      async (config) => {
        window.page = await stepUpPage.start(config)
      },
      { environmentId: issuer.environmentId, apiBaseUrl: dynamic.apiBaseUrl },
    )
  })
  after(async () => {
    await browser?.close()
    app?.closeAllConnections()
    await new Promise<void>((resolve) => (app ? app.close(() => resolve()) : resolve()))
    await dynamic?.close()
  })

  test('signs in, steps up with an email code, and performs the protected action once', async () => {
    const email = 'browser-step-up@example.com'
    const signedIn = await page.evaluate(([e, otp]) => window.page!.signIn(e, otp), [email, dynamic.otpUrl] as const)
    assert.match(signedIn.publicKey ?? '', /^0[23][0-9a-f]{64}$/, 'the browser keychain made a P-256 key')
    assert.equal(claimsOf(signedIn.token).session_public_key, signedIn.publicKey, "the token carries the browser's key")

    assert.deepEqual(await page.evaluate(() => window.page!.check()), { isRequired: true, formats: ['email'] })
    assert.deepEqual(await page.evaluate(([e, otp]) => window.page!.stepUp(e, otp), [email, dynamic.otpUrl] as const), {
      held: true,
    })
    assert.equal((await page.evaluate(() => window.page!.check())).isRequired, false)

    const url = `${appOrigin}/api/wallet/export?format=hex`
    const first = await page.evaluate(([u]) => window.page!.exportWallet(u, '{"wallet":"main"}'), [url] as const)
    assert.equal(first.status, 200, JSON.stringify(first.body))
    assert.deepEqual(first.body, {
      ok: true,
      proof: 'ok',
      elevatedScope: 'wallet:export',
      singleUse: true,
      sameSession: true,
    })
    assert.equal(first.consumed, true, 'the client consumed the single-use token')

    // Again: no elevated token left in the client (a new signature, so only the step-up is missing).
    const second = await page.evaluate(([u]) => window.page!.exportWallet(u, '{"wallet":"main"}'), [url] as const)
    assert.equal(second.status, 403)
    assert.equal(second.body.proof, 'ok')
    assert.equal(second.body.elevatedScope, null)
  })
})
