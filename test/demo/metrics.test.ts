/**
 * The demo's observability end to end, in Debian's headless Chromium (playwright-core with the
 * system browser): the page's live metrics move when a failing case is tried, the WWW-Authenticate
 * box shows only when the server sent the header, and `GET /metrics` parses as Prometheus text
 * with the documented names.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import type { Browser, Page } from 'playwright-core'
import { startDemo, type RunningDemo } from '../../demo/app.js'
import { CHROMIUM_PATH, launchChromium } from '../../demo/chromium.js'
import { METRIC_NAMES } from '../../src/telemetry.js'

/** The Prometheus name of an OpenTelemetry metric name (dots to underscores; counters end in `_total`). */
const prometheusName = (name: string, counter: boolean) => `${name.replace(/\./g, '_')}${counter ? '_total' : ''}`

interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

/** A strict parse of the text exposition format: every line is a comment, blank, or a well-formed sample. */
function parsePrometheus(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = []
  const types = new Map<string, string>()
  for (const line of text.split('\n')) {
    if (line === '') continue
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line)
    if (type) {
      types.set(type[1]!, type[2]!)
      continue
    }
    if (line.startsWith('# HELP ') || line.startsWith('# UNIT ')) continue
    const match =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*)\})? (-?[0-9.eE+-]+|\+Inf|-Inf|NaN)( -?\d+)?$/.exec(
        line,
      )
    assert.ok(match, `not a Prometheus sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[key!] = value!
    samples.push({ name: match[1]!, labels, value: Number(match[3]) })
  }
  return { samples, types }
}

describe("the demo's metrics in headless Chromium", () => {
  let demo: RunningDemo
  let browser: Browser
  let page: Page

  before(async () => {
    assert.ok(
      existsSync(CHROMIUM_PATH),
      `Chromium is not at ${CHROMIUM_PATH}: install Debian's chromium package (apt-get install chromium).`,
    )
    demo = await startDemo({ port: 0 })
    browser = await launchChromium()
    page = await (await browser.newContext()).newPage()
    page.setDefaultTimeout(90_000) // a busy machine is slow, not broken
    await page.goto(demo.url)
    await page.waitForSelector('body[data-ready="true"]')
  })
  after(async () => {
    await browser?.close()
    await demo?.close()
  })

  const tile = (id: string) => page.locator(`#${id}`).innerText()
  const codeCount = async (code: string): Promise<number> => {
    const row = page.locator(`#metric-codes tr[data-code="${code}"] td:last-child`)
    return (await row.count()) === 0 ? 0 : Number(await row.innerText())
  }

  test('the counters move when a failing case is tried', async () => {
    const refusedBefore = Number(await tile('metric-refused'))
    const expiredBefore = await codeCount('token_expired')
    await page.click('#case-expired')
    await page.waitForFunction(() => document.getElementById('answer')?.dataset.state === 'refused')
    await page.waitForFunction((n) => Number(document.getElementById('metric-refused')?.textContent) > n, refusedBefore)
    await page.waitForFunction(
      (n) =>
        Number(document.querySelector('#metric-codes tr[data-code="token_expired"] td:last-child')?.textContent ?? 0) >
        n,
      expiredBefore,
    )
    assert.equal(await codeCount('token_expired'), expiredBefore + 1)

    await page.click('#case-tampered')
    await page.waitForFunction(() => document.querySelector('#metric-codes tr[data-code="signature_invalid"]') !== null)
    assert.equal(await codeCount('signature_invalid'), 1)
    assert.match(await tile('metric-jwks'), /^fresh, \d+ keys?$/)
    assert.match(await page.locator('#metrics-health').innerText(), /health: ok/)
  })

  test('the WWW-Authenticate box shows only when the server sent the header', async () => {
    await page.click('#call-public')
    await page.waitForFunction(() => document.getElementById('answer')?.dataset.state === 'ok')
    assert.equal(await page.locator('#answer-challenge-row').isVisible(), false, 'no challenge box on a 200')
    await page.click('#case-expired')
    await page.waitForFunction(() => document.getElementById('answer')?.dataset.state === 'refused')
    assert.equal(await page.locator('#answer-challenge-row').isVisible(), true)
    assert.match(await page.locator('#answer-challenge').innerText(), /^Bearer /)
  })

  test('GET /metrics is Prometheus text with the documented names', async () => {
    const response = await fetch(new URL('metrics', demo.url))
    assert.equal(response.status, 200)
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/)
    const { samples, types } = parsePrometheus(await response.text())
    const names = new Set(samples.map((s) => s.name))
    const expect = (name: string, type: string, counter = false) => {
      const metric = prometheusName(name, counter)
      assert.ok(names.has(metric) || names.has(`${metric}_count`), `${metric} is exposed`)
      const base = type === 'counter' ? metric.replace(/_total$/, '') : metric
      assert.equal(types.get(base) ?? types.get(metric), type, `${metric} is a ${type}`)
    }
    expect(METRIC_NAMES.verifications, 'counter', true)
    expect(METRIC_NAMES.verificationDuration, 'histogram')
    expect(METRIC_NAMES.cacheLookups, 'counter', true)
    expect(METRIC_NAMES.cacheEvictions, 'counter', true)
    expect(METRIC_NAMES.jwksFetches, 'counter', true)
    expect(METRIC_NAMES.jwksKeys, 'gauge')
    expect(METRIC_NAMES.jwksAge, 'gauge')
    expect(METRIC_NAMES.jwksRefetchWait, 'gauge')
    expect(METRIC_NAMES.revocationConnected, 'gauge')
    expect(METRIC_NAMES.revocationEntries, 'gauge')
    const expired = samples.find(
      (s) => s.name === 'dynamic_guard_verifications_total' && s.labels.error_type === 'token_expired',
    )
    assert.ok(expired && expired.value >= 2)
    assert.equal(expired.labels.dynamic_guard_outcome, 'refused')
    for (const sample of samples) {
      for (const value of Object.values(sample.labels))
        assert.doesNotMatch(value, /eyJ/, `${sample.name} carries a token`)
    }
  })
})
