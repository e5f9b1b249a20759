/**
 * The demo end to end: its page driven in Debian's headless Chromium (playwright-core, never a
 * downloaded browser), and `npm start`'s entry point started, asked for its page and stopped.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { startDemo, type RunningDemo } from '../../demo/app.js'
import { CHROMIUM_PATH, launchChromium } from '../../demo/chromium.js'

const root = fileURLToPath(new URL('../../', import.meta.url))

describe('the demo page in headless Chromium', () => {
  let demo: RunningDemo
  let browser: Browser
  let page: Page
  const foreignRequests: string[] = []

  before(async () => {
    assert.ok(existsSync(CHROMIUM_PATH), `Chromium is not at ${CHROMIUM_PATH}: install Debian's chromium package (apt-get install chromium).`)
    demo = await startDemo({ port: 0 })
    browser = await launchChromium()
    page = await browser.newPage()
    page.setDefaultTimeout(90_000) // a busy machine is slow, not broken
    const origin = new URL(demo.url).origin
    page.on('request', (request) => {
      if (!request.url().startsWith(origin) && !request.url().startsWith('data:')) foreignRequests.push(request.url())
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
  async function waitForAnswer(state: 'ok' | 'refused', status: string): Promise<void> {
    await page.waitForFunction(
      ([s, text]) => document.getElementById('answer')?.dataset.state === s && document.getElementById('answer-status')?.textContent?.startsWith(text),
      [state, status] as const,
    )
  }
  async function checkStatuses(): Promise<Record<string, string>> {
    return page.$$eval('#checks li[data-check]', (items) => Object.fromEntries(items.map((li) => [li.getAttribute('data-check'), li.getAttribute('data-status')])))
  }

  test('the page names the environment and lists the users', async () => {
    assert.equal(await page.locator('#env-id').innerText(), demo.environmentId)
    assert.equal(await page.locator('#users [role="radio"]').count(), 3)
  })

  test('the public endpoint answers without a token', async () => {
    await page.click('#call-public')
    await waitForAnswer('ok', '200')
    assert.match(await answerBody(), /no token needed/)
  })

  test('without signing in, the protected endpoint answers 401 with a Bearer challenge', async () => {
    await page.click('#call-me-bearer')
    await waitForAnswer('refused', '401')
    assert.match(await answerBody(), /"code": "token_missing"/)
    assert.match(await page.locator('#answer-challenge').innerText(), /^Bearer realm="api"/)
  })

  test('sign in, call the protected endpoint with the Bearer header: 200, every check passed', async () => {
    await page.click('[data-testid="user-grace"]')
    await page.click('#sign-in')
    await page.waitForSelector('#checks li[data-check="scope"]')
    assert.match(await page.locator('#session-line').innerText(), /^Signed in as Grace Hopper/)
    assert.deepEqual(await checkStatuses(), { format: 'pass', signature: 'pass', expiry: 'pass', issuer: 'pass', environment: 'pass', scope: 'pass' })
    assert.match(await page.locator('#claims').innerText(), /user:basic/)
    await page.click('#call-me-bearer')
    await waitForAnswer('ok', '200')
    const body = await answerBody()
    assert.match(body, /Hello, Grace Hopper/)
    assert.match(body, /"tokenSentAs": "Authorization: Bearer header"/)
    assert.match(await page.locator('#answer-request').innerText(), /GET \/api\/me with Authorization: Bearer <access token>/)
  })

  test('the same session through the DYNAMIC_JWT_TOKEN cookie: 200', async () => {
    await page.click('#call-me-cookie')
    await page.waitForFunction(() => document.getElementById('answer-body')?.textContent?.includes('cookie'))
    assert.equal(await answerStatus(), '200 OK')
    assert.match(await answerBody(), /"tokenSentAs": "DYNAMIC_JWT_TOKEN cookie"/)
  })

  test('the ID token as Bearer: 200 with the wallet and email it carries', async () => {
    await page.click('[data-testid="user-ada"]')
    await page.click('#sign-in')
    await page.waitForFunction(() => document.getElementById('session-line')?.textContent?.includes('Ada Lovelace'))
    await page.click('.segmented button[data-form="id"]')
    await page.click('#call-me-bearer')
    await page.waitForFunction(() => document.getElementById('answer-body')?.textContent?.includes('"tokenKind": "id"'))
    assert.match(await answerBody(), /0x71C7656EC7ab88b098defB751B7401B5f6d8976F/)
    await page.click('.segmented button[data-form="access"]')
  })

  test('MFA pending: 403 insufficient_scope, and the reason is on the page', async () => {
    await page.click('#case-mfa')
    await waitForAnswer('refused', '403')
    assert.equal(await answerStatus(), '403 Forbidden')
    const body = await answerBody()
    assert.match(body, /"code": "insufficient_scope"/)
    assert.match(body, /MFA\) is pending/)
    assert.match(await page.locator('#answer-challenge').innerText(), /error="insufficient_scope".*scope="user:basic"/)
    const checks = await checkStatuses()
    assert.equal(checks.scope, 'fail')
    assert.equal(checks.signature, 'pass')
    assert.match(await page.locator('#checks li[data-check="scope"] .detail').innerText(), /MFA/)
  })

  const cases: Array<[string, string, string, string]> = [
    ['#case-expired', 'token_expired', 'expiry', 'Expired'],
    ['#case-environment', 'environment_mismatch', 'environment', 'another environment'],
    ['#case-tampered', 'signature_invalid', 'signature', 'tampered'],
  ]
  for (const [button, code, check, label] of cases) {
    test(`${label}: 401 ${code}, the ${check} check failed`, async () => {
      await page.click(button)
      await page.waitForFunction((c) => document.getElementById('answer-body')?.textContent?.includes(`"code": "${c}"`), code)
      assert.match(await answerStatus(), /^401/)
      assert.match(await page.locator('#answer-challenge').innerText(), /error="invalid_token"/)
      assert.equal((await checkStatuses())[check], 'fail')
    })
  }

  test('sign out clears the cookie: the cookie call is refused again', async () => {
    await page.click('#sign-out')
    await page.waitForFunction(() => document.getElementById('session-line')?.textContent?.startsWith('Signed out'))
    await page.click('#call-me-cookie')
    await page.waitForFunction(() => document.getElementById('answer-body')?.textContent?.includes('token_missing'))
    assert.match(await answerStatus(), /^401/)
  })

  test('the page made no request beyond the demo\'s own origin', () => {
    assert.deepEqual(foreignRequests, [])
  })
})

describe('npm start (demo/server.ts)', () => {
  test('PORT=0: prints its URL, serves the page, stops cleanly on SIGINT', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'demo/server.ts'], { cwd: root, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] })
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
    } finally {
      child.kill('SIGINT')
    }
    assert.equal(await exited, 0, stderr)
    assert.match(stdout, /Demo stopped \(SIGINT\)/)
  })

  test('a PORT that is not a number: exit 2 and why', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'demo/server.ts'], { cwd: root, env: { ...process.env, PORT: 'eighty' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    assert.equal(code, 2)
    assert.match(stderr, /PORT must be a port number/)
  })
})
