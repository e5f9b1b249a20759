/**
 * The conformance suite (suite.ts) on every supported runtime: in-process on this Node (20), and
 * in a child process on Node 22, Node 24, Bun, Deno and workerd (through Miniflare), each loading the built
 * package by name and fetching the JWKS from an emulator on 127.0.0.1 started here. A runtime that
 * is not installed fails its test: CI installs them all (`npm ci --prefix runtimes`).
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import * as root from '../../src/index.js'
import * as extend from '../../src/extend.js'
import * as http from '../../src/http/index.js'
import * as fetchAdapter from '../../src/adapters/fetch.js'
import * as sessionKey from '../../src/session-key/client.js'
import { startControlServer } from './control-server.js'
import {
  createTestApp,
  readMarkedJson,
  ROOT,
  RUNTIMES,
  runOn,
  runtimeBinary,
  serveOn,
  type TestApp,
} from './runtime-host.js'
import { runConformance, type ConformanceReport } from './suite.js'

const SUITE = join(ROOT, 'test/conformance/suite.ts')
/** What the suite calls `lib`: the root, `dynamic-guard/extend`, `dynamic-guard/http` and `dynamic-guard/session-key` together. */
const lib = { ...root, ...extend, ...http, ...sessionKey }

/** Fails with every failed case, named with the runtime it failed on. */
function assertPassed(runtime: string, report: ConformanceReport): void {
  assert.ok(report.cases.length >= 30, `${runtime}: only ${report.cases.length} cases ran`)
  const failed = report.cases.filter((c) => !c.ok)
  assert.equal(
    failed.length,
    0,
    `${runtime}: ${failed.length} of ${report.cases.length} conformance cases failed:\n${failed.map((c) => `  - [${runtime}] ${c.name}: ${c.error}`).join('\n')}`,
  )
}

// Generous limits: each runtime starts a process, and CI runs other test files alongside.
const SUITE_TIMEOUT = { timeout: 600_000 }
const RUN_TIMEOUT = { timeout: 240_000 }

describe('conformance on every runtime', SUITE_TIMEOUT, () => {
  let app: TestApp

  before(async () => {
    app = await createTestApp(['index', 'extend', 'http', 'fetch', 'session-key'])
    await app.bundle(SUITE, 'suite.js')
    await app.write(
      'worker.mjs',
      `import * as root from 'dynamic-guard'
import * as extend from 'dynamic-guard/extend'
import * as http from 'dynamic-guard/http'
import * as fetchAdapter from 'dynamic-guard/fetch'
import * as sessionKey from 'dynamic-guard/session-key'
import { runConformance } from './suite.js'
const lib = { ...root, ...extend, ...http, ...sessionKey }
export default {
  async fetch(request) {
    const report = await runConformance(lib, fetchAdapter, new URL(request.url).searchParams.get('emulatorServer'))
    return Response.json({ ...report, resolved: 'dist/web/index.js' })
  },
}
`,
    )
  }, RUN_TIMEOUT)

  after(async () => {
    await app?.remove()
  })

  test('node 20 (in-process, from source)', RUN_TIMEOUT, async () => {
    const server = await startControlServer()
    try {
      const report = await runConformance(lib, fetchAdapter, server.origin)
      assert.match(report.runtime, /^node /)
      assertPassed(`node ${process.versions.node}`, report)
    } finally {
      await server.close()
    }
  })

  // Every runtime importing the package, and Node 22 and 24 also requiring it (the CommonJS build).
  const runs = [
    ...RUNTIMES.map((runtime) => ({ ...runtime, require: false })),
    ...RUNTIMES.filter((runtime) => runtime.name.startsWith('node')).map((runtime) => ({
      ...runtime,
      expectedBuild: 'dist/index.cjs',
      require: true,
    })),
  ]
  for (const runtime of runs) {
    const how = runtime.require ? 'required (CommonJS)' : 'imported'
    test(`${runtime.name}: the built package, ${how} through its export condition`, RUN_TIMEOUT, async () => {
      runtimeBinary(runtime.name) // a missing runtime fails here, named
      const server = await startControlServer()
      try {
        let script: string
        let workerUrl: string | undefined
        if (runtime.name === 'workerd') {
          script = await app.bundleWorker(join(app.dir, 'worker.mjs'), 'worker.js')
          workerUrl = `http://worker.test/?emulatorServer=${encodeURIComponent(server.origin)}`
        } else {
          const load = runtime.require
            ? `import { createRequire } from 'node:module'
const require = createRequire(import.meta.url)
const lib = { ...require('dynamic-guard'), ...require('dynamic-guard/extend'), ...require('dynamic-guard/http'), ...require('dynamic-guard/session-key') }
const fetchAdapter = require('dynamic-guard/fetch')
const resolved = require.resolve('dynamic-guard')`
            : `import * as root from 'dynamic-guard'
import * as extend from 'dynamic-guard/extend'
import * as http from 'dynamic-guard/http'
import * as fetchAdapter from 'dynamic-guard/fetch'
import * as sessionKey from 'dynamic-guard/session-key'
const lib = { ...root, ...extend, ...http, ...sessionKey }
const resolved = import.meta.resolve('dynamic-guard')`
          script = await app.write(
            `run-${runtime.name}${runtime.require ? '-cjs' : ''}.mjs`,
            `${load}
import { runConformance } from './suite.js'
const report = await runConformance(lib, fetchAdapter, ${JSON.stringify(server.origin)})
console.log('CONFORMANCE ' + JSON.stringify({ ...report, resolved }))
`,
          )
        }
        const output = await runOn(runtime.name, app, script, workerUrl ? { workerUrl } : {})
        let report: ConformanceReport & { resolved: string }
        if (runtime.name === 'workerd') {
          const line = output.stdout.split('\n').find((l) => l.startsWith('WORKER '))
          assert.ok(
            line,
            `workerd: Miniflare exited with ${output.code} without an answer.\nstdout: ${output.stdout.slice(-3000)}\nstderr: ${output.stderr.slice(-3000)}`,
          )
          const [, status, body] = /^WORKER (\d+) (.*)$/.exec(line)!
          assert.equal(
            status,
            '200',
            `workerd: the Worker answered ${status}: ${body?.slice(0, 3000)}\nstderr: ${output.stderr.slice(-3000)}`,
          )
          report = JSON.parse(body!) as typeof report
        } else {
          report = readMarkedJson(runtime.name, output, 'CONFORMANCE')
        }
        assert.ok(
          report.runtime.startsWith(runtime.reportsAs),
          `${runtime.name}: the suite ran on "${report.runtime}", not on ${runtime.name}`,
        )
        assert.ok(
          report.resolved.endsWith(`dynamic-guard/${runtime.expectedBuild}`) ||
            report.resolved === runtime.expectedBuild,
          `${runtime.name}: loaded ${report.resolved}, expected ${runtime.expectedBuild}`,
        )
        assertPassed(report.runtime, report)
      } finally {
        await server.close()
      }
    })
  }

  // The Bun.serve and Deno.serve handlers of docs/guide/frameworks/fetch.md, on the runtimes' own HTTP servers.
  const servers = {
    bun: (environmentId: string, jwksUrl: string) => `import { withDynamicAuth } from 'dynamic-guard/fetch'
const options = { environmentId: ${JSON.stringify(environmentId)}, jwks: { url: ${JSON.stringify(jwksUrl)} } }
const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: withDynamicAuth((_request, session) => Response.json({ userId: session.userId }), options) })
console.log('LISTENING ' + server.port)
`,
    deno: (environmentId: string, jwksUrl: string) => `import { withDynamicAuth } from 'dynamic-guard/fetch'
const options = { environmentId: ${JSON.stringify(environmentId)}, jwks: { url: ${JSON.stringify(jwksUrl)} } }
Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: ({ port }) => console.log('LISTENING ' + port) }, withDynamicAuth((_request, session) => Response.json({ userId: session.userId }), options))
`,
  } as const

  for (const runtime of ['bun', 'deno'] as const) {
    test(
      `${runtime}: a ${runtime === 'bun' ? 'Bun.serve' : 'Deno.serve'} handler protected by dynamic-guard/fetch`,
      RUN_TIMEOUT,
      async () => {
        runtimeBinary(runtime)
        const emulatorServer = await startControlServer()
        try {
          const state = (await (await fetch(`${emulatorServer.origin}/control/state`)).json()) as {
            environmentId: string
            jwksUrl: string
          }
          const mint = async (body: object): Promise<string> =>
            (
              (await (
                await fetch(`${emulatorServer.origin}/control/mint`, { method: 'POST', body: JSON.stringify(body) })
              ).json()) as { token: string }
            ).token
          const script = await app.write(`serve-${runtime}.mjs`, servers[runtime](state.environmentId, state.jwksUrl))
          const server = await serveOn(runtime, app, script)
          try {
            const ok = await fetch(`${server.origin}/me`, {
              headers: { authorization: `Bearer ${await mint({ sub: `${runtime}-user` })}` },
            })
            assert.equal(ok.status, 200, `${runtime}: status with a valid token`)
            assert.deepEqual(await ok.json(), { userId: `${runtime}-user` }, `${runtime}: body`)
            const anonymous = await fetch(`${server.origin}/me`)
            assert.equal(anonymous.status, 401, `${runtime}: status without a token`)
            assert.match(
              anonymous.headers.get('www-authenticate') ?? '',
              /^Bearer realm=/,
              `${runtime}: WWW-Authenticate`,
            )
            await anonymous.arrayBuffer()
            const expired = await fetch(`${server.origin}/me`, {
              headers: { authorization: `Bearer ${await mint({ expired: true })}` },
            })
            assert.equal(expired.status, 401, `${runtime}: status with an expired token`)
            assert.match(
              expired.headers.get('www-authenticate') ?? '',
              /error="invalid_token"/,
              `${runtime}: error="invalid_token"`,
            )
            await expired.arrayBuffer()
          } finally {
            await server.stop()
          }
        } finally {
          await emulatorServer.close()
        }
      },
    )
  }
})
