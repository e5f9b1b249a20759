/**
 * The session-key module on every runtime the package supports: bundled alone (no Node built-in
 * may come along), then run on Bun, Deno and workerd (through Miniflare, without nodejs_compat)
 * besides this Node. WebCrypto alone must do: key import from compressed points, ECDSA P-256,
 * SHA-256.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { readMarkedJson, runOn, type RuntimeName, type TestApp } from '../conformance/runtime-host.js'
import { runSessionKeyChecks } from './runtime-check.js'

const EXPECTED = {
  agent: 'ok',
  replay: 'replayed',
  browser: 'ok',
  alteredBody: 'signature_invalid',
  otherKey: 'signature_invalid',
  skew: 'timestamp_out_of_range',
  documented: 'ok',
}

describe('the session-key module on every runtime', { timeout: 300_000 }, () => {
  let dir = ''
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dynamic-guard-session-key-'))
    const entry = fileURLToPath(new URL('./runtime-check.ts', import.meta.url))
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      logLevel: 'silent',
    })
    const code = result.outputFiles[0]!.text
    assert.doesNotMatch(code, /from\s*["']node:/, 'the module imports no Node built-in')
    await writeFile(join(dir, 'checks.mjs'), code)
    await writeFile(
      join(dir, 'main.mjs'),
      "import { runSessionKeyChecks } from './checks.mjs'\nconsole.log('SESSION_KEY ' + JSON.stringify(await runSessionKeyChecks()))\n",
    )
    await writeFile(
      join(dir, 'worker.mjs'),
      "import { runSessionKeyChecks } from './checks.mjs'\nexport default { async fetch() { return Response.json(await runSessionKeyChecks()) } }\n",
    )
  })
  after(() => rm(dir, { recursive: true, force: true }))

  test('node (this process)', async () => {
    assert.deepEqual(await runSessionKeyChecks(), EXPECTED)
  })

  for (const runtime of ['bun', 'deno', 'workerd'] as const satisfies readonly RuntimeName[]) {
    test(runtime, { timeout: 120_000 }, async () => {
      const app = { dir } as TestApp
      const output = await runOn(runtime, app, join(dir, runtime === 'workerd' ? 'worker.mjs' : 'main.mjs'))
      if (runtime === 'workerd') {
        const line = output.stdout.split('\n').find((l) => l.startsWith('WORKER '))
        assert.ok(line, `workerd: no answer.\n${output.stdout}\n${output.stderr}`)
        const [, status, ...body] = line.split(' ')
        assert.equal(status, '200', line)
        assert.deepEqual(JSON.parse(body.join(' ')), EXPECTED)
      } else {
        assert.deepEqual(readMarkedJson(runtime, output, 'SESSION_KEY'), EXPECTED)
      }
    })
  }
})
