/**
 * The docs site end to end: `npm run docs:build` (the API reference from the TSDoc, then
 * VitePress, which fails on any dead link) into a temporary folder, served on 127.0.0.1, and
 * opened in Debian's headless Chromium (playwright-core, never a downloaded browser): the home
 * page, a framework guide, and the API page of createDynamicAuth reached through the reference's
 * own links. The site must make no request outside its own origin: it works offline.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { join, normalize, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { CHROMIUM_PATH, launchChromium } from '../../demo/chromium.js'
import { brokenLinks } from './built-links.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
}

/** A static server for a VitePress build with clean URLs (`/guide/x` → `guide/x.html`). */
function serve(folder: string): Promise<{ server: Server; origin: string }> {
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname)
    const base = normalize(join(folder, path))
    if (base !== folder && !base.startsWith(folder + sep) && base + sep !== folder + sep) {
      response.writeHead(403).end()
      return
    }
    const file = [base, `${base}.html`, join(base, 'index.html')].find(
      (candidate) => existsSync(candidate) && statSync(candidate).isFile(),
    )
    if (!file) {
      response.writeHead(404, { 'content-type': 'text/html' }).end(readFileSync(join(folder, '404.html')))
      return
    }
    const extension = /\.[a-z0-9]+$/.exec(file)?.[0] ?? ''
    response.writeHead(200, { 'content-type': TYPES[extension] ?? 'application/octet-stream' }).end(readFileSync(file))
  })
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as { port: number }
      resolve({ server, origin: `http://127.0.0.1:${address.port}` })
    }),
  )
}

/**
 * The first `h1` of the page once it reads `expected`. VitePress changes the URL before it has
 * rendered the new page, so reading the heading right after `waitForURL` can see the old one.
 */
async function headingOnceRendered(page: Page, expected: RegExp): Promise<string> {
  const heading = page.locator('.vp-doc h1', { hasText: expected }).first()
  await heading.waitFor({ timeout: 15_000 }).catch(() => undefined)
  return (await page.locator('.vp-doc h1').first().innerText()).trim()
}

describe('the docs site in headless Chromium', () => {
  mkdirSync(join(root, '.tmp'), { recursive: true })
  const out = mkdtempSync(join(root, '.tmp', 'site-'))
  let server: Server
  let origin: string
  let browser: Browser
  let page: Page
  const foreign: string[] = []

  before(async () => {
    assert.ok(existsSync(CHROMIUM_PATH), `Chromium is not at ${CHROMIUM_PATH}: run ./scripts/setup-test-env.sh`)
    const build = spawnSync('npm', ['run', 'docs:build', '--', '--outDir', out], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    })
    assert.equal(build.status, 0, `npm run docs:build failed:\n${build.stdout}\n${build.stderr}`)
    // VitePress and Vite warn with "(!)", TypeDoc with "[warning]", Shiki about unknown languages.
    assert.doesNotMatch(
      build.stdout + build.stderr,
      /\(!\)|\[warning\]|is not loaded, falling back/i,
      'the docs build printed a warning',
    )
    ;({ server, origin } = await serve(out))
    browser = await launchChromium()
    page = await browser.newPage()
    page.setDefaultTimeout(60_000)
    page.on('request', (request) => {
      if (!request.url().startsWith(`${origin}/`) && !request.url().startsWith('data:')) foreign.push(request.url())
    })
  })

  after(async () => {
    await browser?.close()
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)))
    rmSync(out, { recursive: true, force: true })
  })

  it('opens the home page', async () => {
    await page.goto(`${origin}/`)
    assert.equal((await page.locator('.VPHero .name').innerText()).trim(), 'dynamic-guard')
    assert.match(await page.locator('.VPHero .text').innerText(), /Verify Dynamic's JWTs/)
    await page.getByRole('link', { name: 'Get started' }).first().click()
    await page.waitForURL(`${origin}/guide/getting-started`)
    assert.match(await headingOnceRendered(page, /^Getting started\b/), /^Getting started\b/)
  })

  it('opens a framework guide, with its code and its place in the sidebar', async () => {
    await page.goto(`${origin}/guide/frameworks/express`)
    assert.match(await headingOnceRendered(page, /^Express\b/), /^Express\b/)
    assert.match(
      await page.locator('.vp-doc div[class*="language-ts"]').first().innerText(),
      /app\.use\('\/api', dynamicAuth\(auth\)\)/,
    )
    assert.ok(
      await page.locator('.VPSidebar a[href="/guide/frameworks/fastify"]').count(),
      'the sidebar lists the other frameworks',
    )
  })

  it('finds the API page of createDynamicAuth through the reference', async () => {
    await page.goto(`${origin}/api/`)
    await page
      .locator('.vp-doc a', { hasText: /^dynamic-guard$/ })
      .first()
      .click()
    await page.waitForURL(`${origin}/api/dynamic-guard/`)
    assert.match(await headingOnceRendered(page, /dynamic-guard/), /dynamic-guard/)
    await page
      .locator('.vp-doc a', { hasText: /^createDynamicAuth$/ })
      .first()
      .click()
    await page.waitForURL(`${origin}/api/dynamic-guard/functions/createDynamicAuth`)
    assert.match(await headingOnceRendered(page, /createDynamicAuth/), /createDynamicAuth/)
    assert.match(await page.locator('.vp-doc').innerText(), /function createDynamicAuth\(options\): DynamicAuth/)
  })

  it('every internal link of every page, generated API pages included, leads to a page and its anchor', (t) => {
    const { pages, links, broken } = brokenLinks(out)
    t.diagnostic(`${pages} pages, ${links} internal links`)
    assert.ok(pages > 100, `only ${pages} pages: the API reference is missing`)
    assert.deepEqual(broken.slice(0, 10), [], `${broken.length} broken links`)
  })

  it('lists createDynamicAuth first among the functions of the API sidebar, and has a favicon', async () => {
    await page.goto(`${origin}/api/dynamic-guard/functions/createDynamicAuth`)
    const functions = page
      .locator('.VPSidebar .VPSidebarItem', { has: page.locator(':scope > .item', { hasText: /^Functions$/ }) })
      .first()
    const names = (await functions.locator('.items a').allInnerTexts()).map((text) => text.trim())
    assert.equal(names[0], 'createDynamicAuth', names.join(', '))
    assert.deepEqual(
      names.slice(1),
      [...names.slice(1)].sort(
        (a, b) => Number(b.startsWith('create')) - Number(a.startsWith('create')) || a.localeCompare(b),
      ),
    )
    const icon = await page.locator('link[rel="icon"]').getAttribute('href')
    assert.equal(icon, '/favicon.svg')
    const response = await fetch(`${origin}${icon}`)
    assert.equal(response.status, 200)
    assert.match(await response.text(), /^<svg /)
  })

  it('fetched nothing from outside its own origin', () => {
    assert.deepEqual(foreign, [])
  })
})
