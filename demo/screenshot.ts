/**
 * `npm run screenshot`: starts the demo, signs in as Ada through Dynamic's client in headless
 * Chromium (email, the code the local Dynamic sent, verify), tries the MFA-pending case, and saves
 * the page to docs/demo.png (or the path given as argument).
 */
import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startDemo } from './app.js'
import { launchChromium } from './chromium.js'

const target = resolve(process.argv[2] ?? fileURLToPath(new URL('../docs/demo.png', import.meta.url)))
const demo = await startDemo({ port: 0 })
const browser = await launchChromium()
try {
  const page = await browser.newPage({ viewport: { width: 1360, height: 980 }, deviceScaleFactor: 1 })
  await page.goto(demo.url)
  await page.waitForSelector('body[data-ready="true"]')
  await page.fill('#email', 'ada@example.com')
  await page.click('#send-code')
  await page.waitForSelector('#inbox:not([hidden])')
  await page.fill('#code', await page.locator('#inbox-code').innerText())
  await page.click('#verify-code')
  await page.waitForSelector('#checks li[data-check="scope"]')
  await page.click('#case-mfa')
  await page.waitForSelector('#answer[data-state="refused"]')
  await page.waitForSelector('#checks li[data-check="scope"][data-status="fail"]')
  mkdirSync(dirname(target), { recursive: true })
  await page.screenshot({ path: target, fullPage: true })
  console.log(`Saved ${target}`)
} finally {
  await browser.close()
  await demo.close()
}
