/**
 * Bun and Deno importing the packed package (a clean checkout's `npm pack`, installed by npm into
 * a fresh app outside the repository): each runs a TypeScript file of its own that verifies
 * tokens minted by dynamic-guard/testing and serves a request through dynamic-guard/fetch. The
 * runtimes are those of the conformance suite (`runtimes/`, from the npm registry).
 */
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { runtimeBinary } from '../conformance/runtime-host.js'
import { createFreshApp, secondsSince, type FreshApp } from './fresh-app.js'

const script = (runtime: string) => `import { createDynamicAuth } from 'dynamic-guard'
import { withDynamicAuth } from 'dynamic-guard/fetch'
import { createTestIssuer } from 'dynamic-guard/testing'

const issuer = createTestIssuer()
const auth = createDynamicAuth(issuer.authOptions())
const session = await auth.verifyToken(issuer.mint())
const refused = await auth.verifyToken(issuer.mint({ mfaPending: true })).then(() => 'accepted', (error: { code: string }) => error.code)
const handler = withDynamicAuth((_request, s) => Response.json({ userId: s.userId }), auth)
const answer = await handler(new Request('http://127.0.0.1/me', { headers: { authorization: 'Bearer ' + issuer.mint() } }))
const anonymous = await handler(new Request('http://127.0.0.1/me'))
console.log('RESULT ' + JSON.stringify({ runtime: ${JSON.stringify(runtime)}, userId: session.userId, refused, status: answer.status, body: await answer.json(), anonymous: anonymous.status, resolved: import.meta.resolve('dynamic-guard') }))
`

const runtimes = {
  bun: { args: ['run', 'app.ts'], build: '/dist/index.js' },
  deno: {
    args: ['run', '--node-modules-dir=manual', '--no-prompt', '--no-config', 'app.ts'],
    build: '/dist/web/index.js',
  },
} as const

describe('Bun and Deno importing the packed package', { timeout: 280_000 }, () => {
  const apps: FreshApp[] = []
  after(async () => {
    await Promise.all(apps.map((app) => app.remove()))
  })

  for (const [runtime, { args, build }] of Object.entries(runtimes)) {
    it(runtime, async () => {
      const binary = runtimeBinary(runtime as 'bun' | 'deno') // a missing runtime fails here, named
      const start = performance.now()
      const app = await createFreshApp(runtime, { type: 'module' })
      apps.push(app)
      await app.write({ 'app.ts': script(runtime) })
      const ran = await app.run(binary, args)
      const line = ran.stdout.split('\n').find((l) => l.startsWith('RESULT '))
      assert.ok(line, `${runtime}: no RESULT line:\n${ran.stdout}\n${ran.stderr}`)
      const result = JSON.parse(line.slice('RESULT '.length)) as Record<string, unknown>
      assert.match(String(result.userId), /^[0-9a-f-]{36}$/)
      assert.equal(result.refused, 'insufficient_scope')
      assert.equal(result.status, 200)
      assert.deepEqual(result.body, { userId: result.userId })
      assert.equal(result.anonymous, 401)
      assert.ok(
        String(result.resolved).endsWith(`node_modules/dynamic-guard${build}`),
        `${runtime} loaded ${String(result.resolved)}`,
      )
      console.log(`${runtime}: ${secondsSince(start)} s`)
    })
  }
})
