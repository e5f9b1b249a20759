/**
 * The demo end to end: its page driven in Debian's headless Chromium (playwright-core, never a
 * downloaded browser), signing in through Dynamic's real client (`@dynamic-labs-sdk/client`,
 * bundled for the browser) against the local Dynamic, on another origin (CORS) in cookie mode; and
 * `npm start`'s entry point started, asked for its page and stopped.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { createDynamicAuth } from '../../src/index.js'
import { OTHER_ENVIRONMENT_ID } from '../../src/testing/index.js'
import { generateSessionKeyPair, jwkSessionSigner, signRequest } from '../../src/session-key/client.js'
import { startDemo, type RunningDemo } from '../../demo/app.js'
import { CHROMIUM_PATH, launchChromium } from '../../demo/chromium.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const pinnedClient = (
  JSON.parse(readFileSync(new URL('node_modules/@dynamic-labs-sdk/client/package.json', `file://${root}`), 'utf8')) as {
    version: string
  }
).version

describe("the demo page in headless Chromium, signing in through Dynamic's client", () => {
  let demo: RunningDemo
  let browser: Browser
  let context: BrowserContext
  let page: Page
  let pageOrigin: string
  let dynamicOrigin: string
  /** Every request the page made: method, URL and the Origin header it carried. */
  const requests: Array<{ method: string; url: string; origin: string | undefined; cookie: boolean; bearer: boolean }> =
    []
  /** The answers of the local Dynamic's SDK API to the page, with their CORS headers. */
  const corsAnswers: Array<{
    url: string
    status: number
    allowOrigin: string | undefined
    allowCredentials: string | undefined
  }> = []
  /** What the browser reported while the page loaded and ran: console errors and uncaught exceptions. */
  const consoleErrors: string[] = []
  const pageErrors: string[] = []
  const email = 'grace@example.com'
  let token = ''
  let sessionId = ''

  before(async () => {
    assert.ok(
      existsSync(CHROMIUM_PATH),
      `Chromium is not at ${CHROMIUM_PATH}: install Debian's chromium package (apt-get install chromium).`,
    )
    demo = await startDemo({ port: 0 })
    pageOrigin = new URL(demo.url).origin
    dynamicOrigin = demo.emulatorServer.origin
    assert.notEqual(
      pageOrigin,
      dynamicOrigin,
      'the page and the local Dynamic must be two origins, so that CORS is exercised',
    )
    browser = await launchChromium()
    context = await browser.newContext()
    // Every text the JWKS tile shows, in order, from the first paint: a wrong reading that lasts
    // only until the next refresh is still what a person saw.
    await context.addInitScript(() => {
      const seen: string[] = []
      Object.assign(window, { jwksTileTexts: seen })
      document.addEventListener('DOMContentLoaded', () => {
        const tile = document.getElementById('metric-jwks')
        if (!tile) return
        seen.push(tile.textContent ?? '')
        new MutationObserver(() => seen.push(tile.textContent ?? '')).observe(tile, {
          childList: true,
          characterData: true,
          subtree: true,
        })
      })
    })
    page = await context.newPage()
    page.setDefaultTimeout(90_000) // a busy machine is slow, not broken
    page.on('console', (message) => {
      if (message.type() === 'error')
        consoleErrors.push(message.location().url ? `${message.text()} <${message.location().url}>` : message.text())
    })
    page.on('pageerror', (error) => pageErrors.push(String(error)))
    page.on('request', (request) => {
      const entry: (typeof requests)[number] = {
        method: request.method(),
        url: request.url(),
        origin: undefined,
        cookie: false,
        bearer: false,
      }
      requests.push(entry)
      // Origin and Cookie are added by the network stack: allHeaders() has them.
      void request.allHeaders().then(
        (headers) => {
          entry.origin = headers.origin
          entry.cookie = /(^|;\s*)DYNAMIC_JWT_TOKEN=/.test(headers.cookie ?? '')
          entry.bearer = /^Bearer /i.test(headers.authorization ?? '')
        },
        () => {},
      )
    })
    page.on('response', (response) => {
      if (!response.url().startsWith(`${dynamicOrigin}/api/v0/sdk/`)) return
      const headers = response.headers()
      corsAnswers.push({
        url: response.url(),
        status: response.status(),
        allowOrigin: headers['access-control-allow-origin'],
        allowCredentials: headers['access-control-allow-credentials'],
      })
    })
    await page.goto(demo.url)
    await page.waitForSelector('body[data-ready="true"]')
  })
  after(async () => {
    await browser?.close()
    await demo?.close()
  })

  const answerStatus = () => page.locator('#answer-status').innerText()
  const answerBody = () => page.locator('#answer-body').innerText()
  /** Waits for an answer in `state` with `status`, and to a request whose line contains `request` when given (the previous answer may have the same state and status). */
  async function waitForAnswer(state: 'ok' | 'refused', status: string, request = ''): Promise<void> {
    await page.waitForFunction(
      ([s, text, line]) =>
        document.getElementById('answer')?.dataset.state === s &&
        document.getElementById('answer-status')?.textContent?.startsWith(text) &&
        document.getElementById('answer-request')?.textContent?.includes(line),
      [state, status, request] as const,
    )
  }
  async function checkStatuses(): Promise<Record<string, string>> {
    return page.$$eval('#checks li[data-check]', (items) =>
      Object.fromEntries(items.map((li) => [li.getAttribute('data-check'), li.getAttribute('data-status')])),
    )
  }
  /**
   * Boxes a person would see with nothing in them: every challenge row and every box of the
   * answer card, judged by computed style and size (not the `hidden` attribute, which a CSS
   * display rule can override).
   */
  async function visibleEmptyBoxes(): Promise<string[]> {
    return page.$$eval('#answer .challenge, #answer [id^="answer-challenge"]', (nodes) =>
      nodes
        .filter((node) => {
          const style = getComputedStyle(node)
          const box = node.getBoundingClientRect()
          const shown =
            style.display !== 'none' &&
            style.visibility !== 'hidden' &&
            Number(style.opacity) > 0 &&
            box.width > 0 &&
            box.height > 0
          const text = node.classList.contains('challenge')
            ? (node.querySelector('code')?.textContent ?? '')
            : (node.textContent ?? '')
          return shown && text.trim() === ''
        })
        .map((node) => `${node.tagName.toLowerCase()}#${node.id || node.className}`),
    )
  }
  /** The server's answer as a person reads it: status line, request line and the error code of the body, if any. */
  async function shownAnswer(): Promise<{ status: string; request: string; code: string | null; body: string }> {
    const body = await answerBody()
    return {
      status: await answerStatus(),
      request: await page.locator('#answer-request').innerText(),
      code: /"code": "([a-z_]+)"/.exec(body)?.[1] ?? null,
      body,
    }
  }
  /** The relative time shown next to a time claim (iat, exp) in the decoded token. */
  async function claimWhen(name: string): Promise<string> {
    return page.$$eval(
      '#claims tr',
      (rows, claim) =>
        (rows as HTMLTableRowElement[]).find((row) => row.cells[0]?.textContent === claim)?.querySelector('.when')
          ?.textContent ?? '',
      name,
    )
  }
  async function jwksKeyCount(): Promise<number> {
    return ((await (await fetch(demo.emulatorServer.jwksUrl)).json()) as { keys: unknown[] }).keys.length
  }
  async function dynamicCookie() {
    return (await context.cookies(pageOrigin)).find((cookie) => cookie.name === 'DYNAMIC_JWT_TOKEN')
  }
  const claimsOf = (jwt: string): Record<string, unknown> =>
    JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'))
  async function lastCode(address: string): Promise<string> {
    const response = await fetch(`${demo.emulatorServer.otpUrl}?email=${encodeURIComponent(address)}`)
    assert.equal(response.status, 200)
    return ((await response.json()) as { code: string }).code
  }

  test("the page names the environment and Dynamic's client initialised in cookie mode", async () => {
    assert.equal(await page.locator('#env-id').innerText(), demo.environmentId)
    await page.waitForFunction(() => document.getElementById('session-line')?.textContent?.includes('client is ready'))
    assert.match(
      await page.locator('#session-line').innerText(),
      /^Not signed in\. Dynamic's client is ready \(cookie mode\)\.$/,
    )
    const settings = requests.find((r) =>
      r.url.startsWith(`${dynamicOrigin}/api/v0/sdk/${demo.environmentId}/settings?`),
    )
    assert.ok(settings, 'the client fetched the project settings from the local Dynamic')
    assert.match(settings.url, new RegExp(`sdkVersion=ClientSDK%2F${pinnedClient.replaceAll('.', '\\.')}`))
  })

  test("a clean load: no page error, and no console error but the browser's note of the signed-out refresh", async () => {
    assert.deepEqual(pageErrors, [], 'no uncaught exception on the page')
    // Dynamic's client in cookie mode refreshes the session while it initialises, signed in or not.
    // Signed out, Dynamic answers 401 (the local Dynamic answers as Dynamic does), and Chromium
    // notes every 4xx load in the console: that line is the browser's, about Dynamic's protocol.
    // The client would also log "Session expired during initialization" at error level, although
    // its own source calls this 401 expected: the page's logger keeps it as information.
    const refreshUrl = `${dynamicOrigin}/api/v0/sdk/${demo.environmentId}/refresh`
    const signedOutRefresh = (text: string) =>
      text === `Failed to load resource: the server responded with a status of 401 (Unauthorized) <${refreshUrl}>`
    assert.deepEqual(
      consoleErrors.filter((text) => !signedOutRefresh(text)),
      [],
      'no other console error on a clean load',
    )
    assert.ok(consoleErrors.length <= 1, `console errors: ${JSON.stringify(consoleErrors)}`)
    assert.ok(
      !consoleErrors.some((text) => /Session expired during initialization/.test(text)),
      'the expected 401 is not logged as an error',
    )
  })

  test('a clean load: no request yet, and no empty WWW-Authenticate box in view', async () => {
    assert.equal(await answerStatus(), 'No request yet')
    assert.deepEqual(await visibleEmptyBoxes(), [], 'no empty WWW-Authenticate box before any request')
  })

  test('a clean load: the JWKS tile says "not fetched yet", or the real key count once the health check fetched them', async () => {
    // Before the keys are fetched the tile says so; once the health check fetched them, their number.
    const keys = await jwksKeyCount()
    const fresh = `fresh, ${keys} key${keys === 1 ? '' : 's'}`
    // Past the panel's first refreshes: the health check has fetched the keys by then.
    await page.waitForFunction(() => (window as unknown as { jwksTileTexts: string[] }).jwksTileTexts.length >= 2)
    const texts = await page.evaluate(() => (window as unknown as { jwksTileTexts: string[] }).jwksTileTexts)
    assert.deepEqual(
      texts.filter((text) => text !== 'not fetched yet' && text !== fresh),
      [],
      `the JWKS tile read ${JSON.stringify(texts)}`,
    )
    assert.equal(texts[0], 'not fetched yet', 'before the first reading')
    await page.screenshot({ path: join(tmpdir(), 'dynamic-guard-demo-landing.png'), fullPage: true })
  })

  test('the public endpoint answers without a token', async () => {
    await page.click('#call-public')
    await waitForAnswer('ok', '200')
    assert.match(await answerBody(), /no token needed/)
    assert.deepEqual(await visibleEmptyBoxes(), [], 'a 200 has no challenge: no box')
  })

  test('without signing in, the protected endpoint answers 401 with a Bearer challenge', async () => {
    await page.click('#call-me-bearer')
    await waitForAnswer('refused', '401')
    assert.match(await answerBody(), /"code": "token_missing"/)
    assert.match(await page.locator('#answer-challenge').innerText(), /^Bearer realm="api"/)
    assert.equal(await page.locator('#answer-challenge-row').isVisible(), true)
    assert.deepEqual(await visibleEmptyBoxes(), [])
  })

  test('email code through the client: the page shows the code the local Dynamic sent; a wrong code is refused', async () => {
    await page.fill('#email', email)
    await page.click('#send-code')
    await page.waitForSelector('#inbox:not([hidden])')
    const code = await lastCode(email)
    assert.match(code, /^\d{6}$/)
    assert.equal(await page.locator('#inbox-code').innerText(), code)
    assert.equal(await page.locator('#inbox-to').innerText(), email)
    const wrong = code.replace(/\d$/, (digit) => String((Number(digit) + 1) % 10))
    await page.fill('#code', wrong)
    await page.click('#verify-code')
    await page.waitForFunction(() =>
      document.getElementById('session-line')?.textContent?.startsWith('The code was refused'),
    )
    assert.equal(await dynamicCookie(), undefined)
  })

  test("the right code signs in: client.token verifies against the local Dynamic's JWKS, the client wrote the cookie", async () => {
    await page.fill('#code', await lastCode(email))
    await page.click('#verify-code')
    await page.waitForFunction(() => document.getElementById('session-line')?.textContent?.startsWith('Signed in as'))
    assert.match(
      await page.locator('#session-line').innerText(),
      /^Signed in as grace@example\.com through Dynamic's client · session [0-9a-f]{8}… · cookie set$/,
    )
    await page.waitForSelector('#checks li[data-check="scope"]')
    assert.deepEqual(await checkStatuses(), {
      format: 'pass',
      signature: 'pass',
      expiry: 'pass',
      issuer: 'pass',
      environment: 'pass',
      scope: 'pass',
    })

    token = (await page.locator('#token-raw').textContent()) ?? ''
    const auth = createDynamicAuth({ environmentId: demo.environmentId, jwks: { url: demo.emulatorServer.jwksUrl } })
    const session = await auth.verifyToken(token)
    assert.equal(session.tokenKind, 'access')
    assert.ok(session.scopes.includes('user:basic'))
    sessionId = session.sessionId!
    assert.ok(sessionId)

    // Cookie mode: Dynamic's client wrote DYNAMIC_JWT_TOKEN itself, host-only on the page's host.
    const cookie = await dynamicCookie()
    assert.ok(cookie, 'the client wrote the DYNAMIC_JWT_TOKEN cookie')
    assert.equal(cookie.value, token)
    assert.equal(cookie.domain, '127.0.0.1')
    assert.equal(cookie.path, '/')
    assert.equal(cookie.sameSite, 'Lax')

    // The sign-in went from the page's origin to the local Dynamic's: a cross-origin call, allowed by CORS with credentials.
    const signin = requests.find(
      (r) =>
        r.method === 'POST' && r.url === `${dynamicOrigin}/api/v0/sdk/${demo.environmentId}/emailVerifications/signin`,
    )
    assert.ok(signin, 'the client posted the code to the local Dynamic')
    assert.equal(signin.origin, pageOrigin)
    const answer = corsAnswers.find((a) => a.url === signin.url && a.status === 200)
    assert.ok(answer, 'the local Dynamic answered the sign-in')
    assert.equal(answer.allowOrigin, pageOrigin)
    assert.equal(answer.allowCredentials, 'true')
  })

  test("after sign-in, the server's answer is about the new token: 200 for this session, not an earlier 401", async () => {
    await waitForAnswer('ok', '200')
    const shown = await shownAnswer()
    assert.equal(shown.status, '200 OK')
    assert.match(shown.request, /^GET \/api\/me with Authorization: Bearer <access token>$/)
    assert.equal(shown.code, null)
    assert.equal((JSON.parse(shown.body) as { sessionId?: string }).sessionId, sessionId)
    assert.deepEqual(await visibleEmptyBoxes(), [])
  })

  test('a token minted a moment ago was issued "just now" (or seconds ago), never "in 0 s"; it expires in the future', async () => {
    assert.match(await claimWhen('iat'), / · (just now|\d+ s ago)$/)
    assert.doesNotMatch(await claimWhen('iat'), / in /)
    assert.match(await claimWhen('exp'), / · in (\d+ h )?\d+ min$/)
    // What the page writes for a time of "now" does not depend on how fast the machine rendered it:
    // the page's own formatter, given this very second (iat is now, rounded down) and this instant.
    const forNow = await page.evaluate(() => {
      const format = (globalThis as unknown as { humanTime: (seconds: number) => string }).humanTime
      return [
        format(Math.floor(Date.now() / 1000)),
        format(Date.now() / 1000),
        format(Date.now() / 1000 - 30),
        format(Date.now() / 1000 + 90),
      ]
    })
    assert.deepEqual(
      forNow.map((text) => text.split(' · ')[1]),
      ['just now', 'just now', '30 s ago', 'in 1 min'],
    )
  })

  test("after sign-in, the JWKS tile shows the environment's keys, as many as its JWKS holds", async () => {
    const keys = await jwksKeyCount()
    await page.waitForFunction(
      (text) => document.getElementById('metric-jwks')?.textContent === text,
      `fresh, ${keys} key${keys === 1 ? '' : 's'}`,
    )
    await page.screenshot({ path: join(tmpdir(), 'dynamic-guard-demo-signed-in.png'), fullPage: true })
  })

  test('the protected API with client.token as Bearer: 200', async () => {
    await page.click('#call-me-bearer')
    await waitForAnswer('ok', '200')
    const body = JSON.parse(await answerBody()) as Record<string, unknown>
    assert.equal(body.tokenSentAs, 'Authorization: Bearer header')
    assert.equal(body.sessionId, sessionId)
    assert.equal(body.tokenKind, 'access')
    assert.match(
      await page.locator('#answer-request').innerText(),
      /GET \/api\/me with Authorization: Bearer <access token>/,
    )
  })

  test('the same session through the cookie the client wrote: 200', async () => {
    await page.click('#call-me-cookie')
    await page.waitForFunction(() => document.getElementById('answer-body')?.textContent?.includes('cookie'))
    assert.equal(await answerStatus(), '200 OK')
    const body = JSON.parse(await answerBody()) as Record<string, unknown>
    assert.equal(body.tokenSentAs, 'DYNAMIC_JWT_TOKEN cookie')
    assert.equal(body.sessionId, sessionId)
  })

  test('the ID token of the same sign-in as Bearer: 200 with the email it carries', async () => {
    await page.click('.segmented button[data-form="id"]')
    await page.click('#call-me-bearer')
    await page.waitForFunction(() => document.getElementById('answer-body')?.textContent?.includes('"tokenKind": "id"'))
    const body = JSON.parse(await answerBody()) as Record<string, unknown>
    assert.equal(body.email, email)
    assert.equal(body.sessionId, sessionId)
    assert.match(String(body.message), /^Hello, grace@example\.com\./)
    await page.click('.segmented button[data-form="access"]')
  })

  test('MFA pending: 403 insufficient_scope, and the reason is on the page', async () => {
    await page.click('#case-mfa')
    await waitForAnswer('refused', '403')
    assert.equal(await answerStatus(), '403 Forbidden')
    assert.equal((await shownAnswer()).request, 'GET /api/me with Authorization: Bearer <an MFA-pending access token>')
    const body = await answerBody()
    assert.match(body, /"code": "insufficient_scope"/)
    assert.match(body, /\(MFA\)/)
    assert.match(await page.locator('#answer-challenge').innerText(), /error="insufficient_scope".*scope="user:basic"/)
    const checks = await checkStatuses()
    assert.equal(checks.scope, 'fail')
    assert.equal(checks.signature, 'pass')
    assert.match(await page.locator('#checks li[data-check="scope"] .detail').innerText(), /MFA/)
  })

  const cases: Array<[string, string, string, string, string]> = [
    ['#case-expired', 'token_expired', 'expiry', 'Expired', 'an expired'],
    ['#case-tampered', 'signature_invalid', 'signature', 'tampered', 'a tampered'],
  ]
  for (const [button, code, check, label, sent] of cases) {
    test(`${label}: 401 ${code}, the ${check} check failed`, async () => {
      await page.click(button)
      await page.waitForFunction(
        (c) => document.getElementById('answer-body')?.textContent?.includes(`"code": "${c}"`),
        code,
      )
      const shown = await shownAnswer()
      assert.match(shown.status, /^401/)
      assert.equal(shown.code, code)
      assert.equal(shown.request, `GET /api/me with Authorization: Bearer <${sent} access token>`)
      assert.match(await page.locator('#answer-challenge').innerText(), /error="invalid_token"/)
      assert.equal((await checkStatuses())[check], 'fail')
      assert.deepEqual(await visibleEmptyBoxes(), [])
    })
  }

  test("another environment's token: its key is not in this JWKS, so 401 key_not_found, naming both environments", async () => {
    await page.click('#case-environment')
    await page.waitForFunction(() =>
      document.getElementById('answer-body')?.textContent?.includes('"code": "key_not_found"'),
    )
    const shown = await shownAnswer()
    assert.match(shown.status, /^401/)
    assert.equal(shown.code, 'key_not_found')
    assert.equal(shown.request, "GET /api/me with Authorization: Bearer <another environment's access token>")
    assert.match(
      shown.body,
      new RegExp(
        `issued for Dynamic environment ${OTHER_ENVIRONMENT_ID}, but this server verifies environment ${demo.environmentId}`,
      ),
    )
    assert.match(await page.locator('#answer-challenge').innerText(), /error="invalid_token"/)
    // The token really comes from another issuer: another environment in iss, a kid this JWKS lacks.
    const shownToken = (await page.locator('#token-raw').textContent()) ?? ''
    assert.equal(claimsOf(shownToken).iss, `app.dynamicauth.com/${OTHER_ENVIRONMENT_ID}`)
    const kid = (JSON.parse(Buffer.from(shownToken.split('.')[0]!, 'base64url').toString('utf8')) as { kid: string })
      .kid
    assert.ok(
      !((await (await fetch(demo.emulatorServer.jwksUrl)).json()) as { keys: Array<{ kid: string }> }).keys.some(
        (key) => key.kid === kid,
      ),
    )
    const checks = await checkStatuses()
    assert.equal(checks.signature, 'fail')
    assert.equal(checks.environment, 'fail')
    const detail = await page.locator('#checks li[data-check="signature"] .detail').innerText()
    assert.match(detail, /^key_not_found: /)
    assert.match(detail, new RegExp(OTHER_ENVIRONMENT_ID))
    assert.deepEqual(await visibleEmptyBoxes(), [])
    await page.screenshot({ path: join(tmpdir(), 'dynamic-guard-demo-wrong-environment.png'), fullPage: true })
  })

  test("the failing cases left the client's session and cookie alone", async () => {
    assert.equal((await dynamicCookie())?.value, token)
    await page.click('#call-me-bearer')
    await page.waitForFunction((sid) => document.getElementById('answer-body')?.textContent?.includes(sid), sessionId)
    assert.equal(await answerStatus(), '200 OK')
  })

  test("step-up through Dynamic's client: the export is refused 403 naming wallet:export; checkStepUpAuth, a code with requestedScopes, and the retry with the elevated token: 200", async () => {
    const seen = requests.length
    await page.click('#call-export')
    await page.waitForSelector('#step-up-form:not([hidden])')
    const refused = await shownAnswer()
    assert.match(refused.status, /^403/)
    assert.equal(refused.code, 'elevated_token_missing')
    assert.match(refused.body, /"required_scopes": \[\s*"wallet:export"\s*\]/)
    assert.match(
      await page.locator('#answer-challenge').innerText(),
      /error="insufficient_scope".*scope="wallet:export"/,
    )
    assert.match(
      refused.request,
      /POST \/api\/wallet\/export with Authorization: Bearer <access token> and no elevated token/,
    )
    assert.ok(
      requests
        .slice(seen)
        .some((r) => r.method === 'POST' && r.url === `${dynamicOrigin}/api/v0/sdk/${demo.environmentId}/stepUp/check`),
      "the page asked Dynamic's client, which asked the local Dynamic (stepUp/check)",
    )
    const code = await lastCode(email)
    assert.equal(await page.locator('#step-up-code').innerText(), code)
    await page.fill('#step-up-otp', code)
    await page.click('#step-up-verify')
    await waitForAnswer('ok', '200')
    const accepted = await shownAnswer()
    assert.match(
      accepted.request,
      /POST \/api\/wallet\/export with Authorization: Bearer <access token> and x-dyn-elevated-access-token/,
    )
    const body = JSON.parse(accepted.body) as { userId: string; elevated: { scopes: string[]; singleUse: boolean } }
    assert.equal(body.userId, claimsOf(token).sub)
    assert.deepEqual(body.elevated.scopes, ['wallet:export'])
    assert.equal(body.elevated.singleUse, true)
    assert.match(await page.locator('#actions-line').innerText(), /^Stepped up through Dynamic's client/)
    assert.ok(await page.locator('#step-up-form').isHidden())
  })

  test("a request signed with the session key in the client's keychain: 200; the same token without the signature, or signed by another key: 401", async () => {
    await page.click('#call-transfer-signed')
    // The export's 200 is still shown until this answer arrives.
    await waitForAnswer('ok', '200', 'POST /api/transfers')
    const signed = await shownAnswer()
    assert.match(
      signed.request,
      /POST \/api\/transfers with Authorization: Bearer <access token> and x-session-signature/,
    )
    const body = JSON.parse(signed.body) as { userId: string; transfer: unknown; sessionPublicKey: string }
    const claims = claimsOf(token)
    assert.equal(body.userId, claims.sub)
    assert.deepEqual(body.transfer, { amount: '10.5', to: '0x71C7656EC7ab88b098defB751B7401B5f6d8976F' })
    // The key the client made at sign-in (non-extractable, in IndexedDB), bound into the token.
    assert.match(body.sessionPublicKey, /^0[23][0-9a-f]{64}$/)
    assert.equal(body.sessionPublicKey, claims.session_public_key)

    await page.click('#call-transfer-unsigned')
    await waitForAnswer('refused', '401')
    const unsigned = await shownAnswer()
    assert.equal(unsigned.code, 'session_signature_missing')
    assert.match(await page.locator('#answer-challenge').innerText(), /error="invalid_token"/)

    // The token copied out of the page, signed by a key of the copier's own: refused.
    const stranger = await jwkSessionSigner((await generateSessionKeyPair()).privateKeyJwk)
    const transfer = JSON.stringify({ amount: '10.5', to: '0x71C7656EC7ab88b098defB751B7401B5f6d8976F' })
    const url = `${pageOrigin}/api/transfers`
    const forged = await fetch(url, {
      method: 'POST',
      body: transfer,
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        ...(await signRequest({ method: 'POST', url, body: transfer }, stranger)),
      },
    })
    assert.equal(forged.status, 401)
    assert.equal(((await forged.json()) as { code: string }).code, 'session_signature_invalid')
    assert.deepEqual(pageErrors, [], 'no uncaught exception on the page')
  })

  test("cookie mode: with the client's storage wiped, a reload gets the session back through the cookie alone (refresh, same originalSid)", async () => {
    const before = await createDynamicAuth({
      environmentId: demo.environmentId,
      jwks: { url: demo.emulatorServer.jwksUrl },
    }).verifyToken(token)
    // Only the cookie is left: no token in the client's storage to send as Bearer.
    await page.evaluate(() => localStorage.clear())
    const seen = requests.length
    await page.reload()
    await page.waitForSelector('body[data-ready="true"]')
    await page.waitForFunction(() => document.getElementById('session-line')?.textContent?.startsWith('Signed in as'))
    assert.match(
      await page.locator('#session-line').innerText(),
      /^Signed in as grace@example\.com through Dynamic's client/,
    )
    const refresh = requests
      .slice(seen)
      .find((r) => r.method === 'POST' && r.url === `${dynamicOrigin}/api/v0/sdk/${demo.environmentId}/refresh`)
    assert.ok(refresh, 'the client refreshed the session while it initialised')
    assert.deepEqual(
      { cookie: refresh.cookie, bearer: refresh.bearer, origin: refresh.origin },
      { cookie: true, bearer: false, origin: pageOrigin },
    )
    const refreshed = (await page.locator('#token-raw').textContent()) ?? ''
    const session = await createDynamicAuth({
      environmentId: demo.environmentId,
      jwks: { url: demo.emulatorServer.jwksUrl },
    }).verifyToken(refreshed)
    assert.equal(session.userId, before.userId)
    assert.notEqual(session.sessionId, before.sessionId, 'a refresh starts a new sid')
    assert.equal(session.claims.originalSid ?? session.sessionId, before.claims.originalSid ?? before.sessionId)
    assert.equal((await dynamicCookie())?.value, refreshed)
    token = refreshed
    sessionId = session.sessionId!
    await page.click('#call-me-cookie')
    await page.waitForFunction((sid) => document.getElementById('answer-body')?.textContent?.includes(sid), sessionId)
    assert.equal(await answerStatus(), '200 OK')
  })

  test('sign out through the client: the session is revoked at the local Dynamic, the cookie is gone, the API refuses', async () => {
    await page.click('#sign-out')
    await page.waitForFunction(() => document.getElementById('session-line')?.textContent?.startsWith('Signed out'))
    // The server's answer follows the sign-out: with the cookie gone, the API has no token.
    await page.waitForFunction(() => document.getElementById('answer-body')?.textContent?.includes('token_missing'))
    assert.equal((await shownAnswer()).request, 'GET /api/me with the DYNAMIC_JWT_TOKEN cookie')
    const revoke = requests.find(
      (r) => r.method === 'POST' && r.url === `${dynamicOrigin}/api/v0/sdk/${demo.environmentId}/revoke`,
    )
    assert.ok(revoke, 'logout posted revoke to the local Dynamic')
    assert.equal(await dynamicCookie(), undefined)
    // The local Dynamic reports the session revoked to whoever asks.
    const check = await fetch(`${demo.emulatorServer.apiBaseUrl}/sdk/${demo.environmentId}/session`, {
      headers: { authorization: `Bearer ${token}` },
    })
    assert.equal(check.status, 401)
    await page.click('#call-me-cookie')
    await page.waitForFunction(() => document.getElementById('answer-body')?.textContent?.includes('token_missing'))
    assert.match(await answerStatus(), /^401/)
  })

  test('every request stayed on 127.0.0.1: the page, its API and the local Dynamic', (t) => {
    const byOrigin = new Map<string, number>()
    for (const { url } of requests) {
      const origin = url.startsWith('data:') ? 'data:' : new URL(url).origin
      byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + 1)
    }
    t.diagnostic(`requests by origin: ${JSON.stringify(Object.fromEntries(byOrigin))}`)
    const foreign = requests.filter(({ url }) => !url.startsWith('data:') && new URL(url).hostname !== '127.0.0.1')
    assert.deepEqual(foreign, [])
    assert.deepEqual(
      [...byOrigin.keys()].filter((origin) => origin !== 'data:').sort(),
      [pageOrigin, dynamicOrigin].sort(),
    )
    assert.ok(
      requests.some((r) => r.url === `${pageOrigin}/build/sign-in.js`),
      'the client was loaded from the demo itself',
    )
  })
})

describe('the demo page in headless Chromium, signing in with the injected test wallet', () => {
  let demo: RunningDemo
  let browser: Browser
  let page: Page
  let pageOrigin: string
  let dynamicOrigin: string
  const requests: Array<{ method: string; url: string; origin: string | undefined }> = []
  let auth: ReturnType<typeof createDynamicAuth>

  before(async () => {
    demo = await startDemo({ port: 0 })
    pageOrigin = new URL(demo.url).origin
    dynamicOrigin = demo.emulatorServer.origin
    auth = createDynamicAuth({ environmentId: demo.environmentId, jwks: { url: demo.emulatorServer.jwksUrl } })
    browser = await launchChromium()
    page = await (await browser.newContext({ viewport: { width: 1360, height: 1100 } })).newPage()
    page.setDefaultTimeout(90_000)
    page.on('request', (request) => {
      const entry: (typeof requests)[number] = { method: request.method(), url: request.url(), origin: undefined }
      requests.push(entry)
      void request.allHeaders().then(
        (headers) => void (entry.origin = headers.origin),
        () => {},
      )
    })
    await page.goto(demo.url)
    await page.waitForSelector('body[data-ready="true"]')
  })
  after(async () => {
    await browser?.close()
    await demo?.close()
  })

  const claimsOf = (token: string): Record<string, unknown> =>
    JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'))
  const shownToken = async () => (await page.locator('#token-raw').textContent()) ?? ''
  type Credential = {
    id: string
    format: string
    address?: string
    chain?: string
    wallet_name?: string
    wallet_provider?: string
    email?: string
  }

  test("the page found both injected wallets (EIP-6963) and registered them in Dynamic's client", async () => {
    await page.waitForSelector('#wallet-1')
    const shown = await page.$$eval('#wallets .wallet', (items) =>
      items.map((item) => item.getAttribute('data-address')),
    )
    assert.deepEqual(
      shown,
      demo.testWallets.map((wallet) => wallet.address),
    )
    assert.equal(await page.locator('#wallet-0').getAttribute('data-key'), 'testwalletevm:browserExtension')
  })

  test("the client connects the wallet, it signs, the local Dynamic verifies; the token's wallet credential matches", async () => {
    const [wallet] = demo.testWallets
    await page.click('#wallet-0')
    await page.waitForFunction(() =>
      document.getElementById('session-line')?.textContent?.startsWith('Signed in as 0x'),
    )
    const signin = requests.find(
      (r) => r.method === 'POST' && r.url === `${dynamicOrigin}/api/v0/sdk/${demo.environmentId}/wallets/signin`,
    )
    assert.ok(signin, 'the client posted the signed message to the local Dynamic')
    assert.equal(signin.origin, pageOrigin)
    assert.ok(
      requests.some((r) => r.url.startsWith(`${dynamicOrigin}/api/v0/sdk/${demo.environmentId}/nonces`)),
      'the client fetched nonces',
    )

    // The decoded token is the ID token: its wallet credential is the injected wallet.
    const idToken = await shownToken()
    const session = await auth.verifyToken(idToken)
    assert.equal(session.tokenKind, 'id')
    assert.deepEqual(
      session.wallets.map((w) => [w.address, w.chain, w.walletName, w.walletProvider]),
      [[wallet!.address, 'eip155', 'testwalletevm', 'browserExtension']],
    )
    const [credential] = claimsOf(idToken).verified_credentials as Credential[]
    assert.equal(claimsOf(idToken).last_verified_credential_id, credential!.id)
    assert.equal(claimsOf(idToken).aud, pageOrigin, 'the audience is the page')
    assert.match(await page.locator('#claims').innerText(), new RegExp(wallet!.address))
    const item = page.locator(`#credentials li[data-identifier="${wallet!.address}"]`)
    assert.equal(await item.getAttribute('data-format'), 'blockchain')
    assert.equal(await item.getAttribute('data-last'), 'true')

    // The protected route, with the ID token as Bearer and with the cookie (the access token).
    await page.click('#call-me-bearer')
    await page.waitForFunction(() => document.getElementById('answer-body')?.textContent?.includes('"tokenKind": "id"'))
    const bearer = JSON.parse(await page.locator('#answer-body').innerText()) as Record<string, unknown>
    assert.deepEqual(bearer.wallets, [wallet!.address])
    assert.equal(bearer.lastVerifiedCredentialId, credential!.id)
    await page.click('#call-me-cookie')
    await page.waitForFunction(() =>
      document.getElementById('answer-body')?.textContent?.includes('"tokenKind": "access"'),
    )
    const cookie = JSON.parse(await page.locator('#answer-body').innerText()) as Record<string, unknown>
    assert.equal(cookie.lastVerifiedCredentialId, credential!.id, 'the access token points at the wallet too')
    assert.equal(cookie.userId, session.userId)
  })

  test('linking the second wallet and unlinking it show in the next token', async () => {
    const [first, second] = demo.testWallets
    await page.click('#wallet-1')
    await page.waitForFunction(() =>
      document.getElementById('session-line')?.textContent?.startsWith('Linked Second Test Wallet.'),
    )
    assert.ok(
      requests.some(
        (r) => r.method === 'POST' && r.url === `${dynamicOrigin}/api/v0/sdk/${demo.environmentId}/verify/link`,
      ),
    )
    let claims = claimsOf(await shownToken())
    let credentials = claims.verified_credentials as Credential[]
    assert.deepEqual(
      credentials.map((c) => c.address),
      [first!.address, second!.address],
    )
    assert.equal(claims.last_verified_credential_id, credentials[1]!.id)
    assert.equal(
      await page.locator(`#credentials li[data-identifier="${second!.address}"]`).getAttribute('data-last'),
      'true',
    )
    await page.screenshot({ path: join(tmpdir(), 'dynamic-guard-demo-wallet.png'), fullPage: true })

    await page.click(`[data-unlink="${credentials[1]!.id}"]`)
    await page.waitForFunction(() =>
      document.getElementById('session-line')?.textContent?.startsWith('Unlinked a wallet.'),
    )
    claims = claimsOf(await shownToken())
    credentials = claims.verified_credentials as Credential[]
    assert.deepEqual(
      credentials.map((c) => c.address),
      [first!.address],
    )
    assert.equal((await auth.verifyToken(await shownToken())).wallets.length, 1)
    assert.equal(await page.locator('#credentials li').count(), 1)
  })

  test('an email code while signed in with the wallet adds the email to the same user', async () => {
    const [first] = demo.testWallets
    const userId = (await auth.verifyToken(await shownToken())).userId
    await page.fill('#email', 'wallet-owner@example.com')
    await page.click('#send-code')
    await page.waitForSelector('#inbox:not([hidden])')
    await page.fill('#code', await page.locator('#inbox-code').innerText())
    await page.click('#verify-code')
    await page.waitForSelector('#credentials li[data-format="email"]')
    assert.ok(
      requests.some(
        (r) =>
          r.method === 'POST' &&
          r.url === `${dynamicOrigin}/api/v0/sdk/${demo.environmentId}/emailVerifications/verify`,
      ),
    )
    const session = await auth.verifyToken(await shownToken())
    assert.equal(session.userId, userId, 'the same user')
    assert.equal(session.email, 'wallet-owner@example.com')
    assert.deepEqual(
      session.credentials.map((c) => c.format),
      ['blockchain', 'email'],
    )
    assert.deepEqual(session.walletAddresses, [first!.address])
  })

  test('every request stayed on 127.0.0.1', () => {
    assert.deepEqual(
      requests.filter(({ url }) => !url.startsWith('data:') && new URL(url).hostname !== '127.0.0.1'),
      [],
    )
  })
})

describe('npm start (demo/server.ts)', () => {
  test('PORT=0: prints its URL, serves the page, stops cleanly on SIGINT', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'demo/server.ts'], {
      cwd: root,
      env: { ...process.env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          stdout += chunk
          const match = /running at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout)
          if (match && stdout.includes('Ctrl-C')) resolve(match[1]!)
        })
        void exited.then((code) => reject(new Error(`exited with ${code}: ${stderr}`)))
      })
      const page = await fetch(url)
      assert.equal(page.status, 200)
      assert.match(await page.text(), /<title>dynamic-guard demo<\/title>/)
      const me = await fetch(new URL('/api/me', url))
      assert.equal(me.status, 401)
      // The sign-in module, Dynamic's client inside, bundled when the demo started.
      const bundle = await fetch(new URL('/build/sign-in.js', url))
      assert.equal(bundle.status, 200)
      assert.match(bundle.headers.get('content-type') ?? '', /^text\/javascript/)
      assert.ok((await bundle.text()).length > 100_000)
    } finally {
      child.kill('SIGINT')
    }
    assert.equal(await exited, 0, stderr)
    assert.match(stdout, /Demo stopped \(SIGINT\)/)
  })

  test('a PORT that is not a number: exit 2 and why', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'demo/server.ts'], {
      cwd: root,
      env: { ...process.env, PORT: 'eighty' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    assert.equal(code, 2)
    assert.match(stderr, /PORT must be a port number/)
  })
})
