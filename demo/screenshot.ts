/**
 * `npm run screenshot`: starts the demo, signs in as Ada through Dynamic's client in headless
 * Chromium (email, the code the local Dynamic sent, verify), tries the MFA-pending case, and saves
 * the page to docs/demo.png (or the path given as argument). With `--wallet`, signs in with the
 * injected test wallet instead, links the second one and calls the API with the ID token.
 */
import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startDemo } from './app.js'
import { launchChromium } from './chromium.js'

const args = process.argv.slice(2)
const wallet = args.includes('--wallet')
const path = args.find((arg) => !arg.startsWith('--'))
const target = resolve(path ?? fileURLToPath(new URL('../docs/demo.png', import.meta.url)))
const demo = await startDemo({ port: 0 })
const browser = await launchChromium()
try {
  const page = await browser.newPage({ viewport: { width: 1360, height: 980 }, deviceScaleFactor: 1 })
  await page.goto(demo.url)
  await page.waitForSelector('body[data-ready="true"]')
  if (wallet) {
    await page.click('#wallet-0')
    await page.waitForFunction(() =>
      document.getElementById('session-line')?.textContent?.startsWith('Signed in as 0x'),
    )
    await page.click('#wallet-1')
    await page.waitForFunction(() => document.getElementById('session-line')?.textContent?.startsWith('Linked'))
    await page.click('#call-me-bearer')
    await page.waitForSelector('#answer[data-state="ok"]')
  } else {
    await page.fill('#email', 'ada@example.com')
    await page.click('#send-code')
    await page.waitForSelector('#inbox:not([hidden])')
    await page.fill('#code', await page.locator('#inbox-code').innerText())
    await page.click('#verify-code')
    await page.waitForSelector('#checks li[data-check="scope"]')
    await page.click('#case-mfa')
    await page.waitForSelector('#answer[data-state="refused"]')
    await page.waitForSelector('#checks li[data-check="scope"][data-status="fail"]')
  }
  mkdirSync(dirname(target), { recursive: true })
  await page.screenshot({ path: target, fullPage: true })
  console.log(`Saved ${target}`)
} finally {
  await browser.close()
  await demo.close()
}
