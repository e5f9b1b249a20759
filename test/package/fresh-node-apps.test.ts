/**
 * The packed package (a clean checkout's `npm pack`) installed into fresh Node apps outside the
 * repository, each built and run the way its setup does it:
 *
 * - ESM TypeScript run by tsx: an Express server protected by dynamic-guard/express, answering a
 *   real request on 127.0.0.1;
 * - CommonJS TypeScript with the classic resolver (`module: commonjs`, so `moduleResolution:
 *   node10`), compiled by tsc and run by node: the same server, `req.auth` typed;
 * - both servers run on the Node that runs the tests and on Node 24 (from `runtimes/`);
 * - Jest in CommonJS through ts-jest, and Vitest, each testing with dynamic-guard/testing.
 *
 * Each app prints the time it took (recorded, not checked).
 */
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { runtimeBinary } from '../conformance/runtime-host.js'
import { createFreshApp, secondsSince, type FreshApp } from './fresh-app.js'

/** The protected Express server both TypeScript apps run: it serves itself one good and one tokenless request. */
const server = (imports: string) => `${imports}

const issuer = createTestIssuer()
const auth = createDynamicAuth(issuer.authOptions())
const app = express()

app.get('/api/me', dynamicAuth(auth), (req, res) => {
  res.json({ userId: req.auth!.userId, scopes: req.auth!.scopes })
})

const listener = app.listen(0, '127.0.0.1', async () => {
  const { port } = listener.address() as AddressInfo
  const url = \`http://127.0.0.1:\${port}/api/me\`
  const ok = await fetch(url, { headers: { authorization: \`Bearer \${issuer.mint()}\` } })
  const anonymous = await fetch(url)
  console.log('RESULT ' + JSON.stringify({ ok: ok.status, body: await ok.json(), anonymous: anonymous.status }))
  listener.close()
})
`

const verifySpec = `const issuer = createTestIssuer()
const auth = createDynamicAuth(issuer.authOptions())

describe('dynamic-guard/testing', () => {
  test('a minted token verifies', async () => {
    const session = await auth.verifyToken(issuer.mint())
    expect(session.userId).toBe(TEST_USER_ID)
  })

  test('a token with an MFA step pending is refused', async () => {
    await expect(auth.verifyToken(issuer.mint({ mfaPending: true }))).rejects.toMatchObject({ code: 'insufficient_scope' })
  })
})
`

function assertServed(stdout: string): void {
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '))
  assert.ok(line, `no RESULT line in:\n${stdout}`)
  const result = JSON.parse(line.slice('RESULT '.length)) as {
    ok: number
    body: { userId: string; scopes: string[] }
    anonymous: number
  }
  assert.equal(result.ok, 200)
  assert.match(result.body.userId, /^[0-9a-f-]{36}$/)
  assert.ok(result.body.scopes.includes('user:basic'))
  assert.equal(result.anonymous, 401)
}

describe('fresh Node apps using the packed package', { timeout: 290_000 }, () => {
  const apps: FreshApp[] = []
  after(async () => {
    await Promise.all(apps.map((app) => app.remove()))
  })

  it('ESM TypeScript, run by tsx', async () => {
    const start = performance.now()
    const app = await createFreshApp('esm-tsx', { type: 'module' }, ['tsx', 'express', '@types'])
    apps.push(app)
    await app.write({
      'src/server.ts': server(`import type { AddressInfo } from 'node:net'
import express from 'express'
import { createDynamicAuth } from 'dynamic-guard'
import { dynamicAuth } from 'dynamic-guard/express'
import { createTestIssuer } from 'dynamic-guard/testing'`),
    })
    const ran = await app.run(process.execPath, ['--import', 'tsx', 'src/server.ts'])
    assertServed(ran.stdout)
    assertServed((await app.run(runtimeBinary('node24'), ['--import', 'tsx', 'src/server.ts'])).stdout)
    console.log(`ESM TypeScript with tsx (this Node and Node 24): ${secondsSince(start)} s`)
  })

  it('CommonJS TypeScript with the classic resolver (module: commonjs), compiled by tsc', async () => {
    const start = performance.now()
    const app = await createFreshApp('cjs-tsc', {}, ['typescript', 'express', '@types'])
    apps.push(app)
    await app.write({
      'tsconfig.json': JSON.stringify({
        compilerOptions: {
          module: 'commonjs',
          target: 'es2022',
          strict: true,
          esModuleInterop: true,
          skipLibCheck: true,
          outDir: 'dist',
          rootDir: 'src',
          types: ['node'],
        },
        include: ['src'],
      }),
      'src/server.ts': server(`import type { AddressInfo } from 'node:net'
import express from 'express'
import { createDynamicAuth } from 'dynamic-guard'
import { dynamicAuth } from 'dynamic-guard/express'
import { createTestIssuer } from 'dynamic-guard/testing'`),
    })
    await app.run(process.execPath, [join(app.dir, 'node_modules/typescript/bin/tsc'), '-p', '.'])
    const ran = await app.run(process.execPath, ['dist/server.js'])
    assertServed(ran.stdout)
    assertServed((await app.run(runtimeBinary('node24'), ['dist/server.js'])).stdout)
    console.log(
      `CommonJS TypeScript with tsc (module commonjs; run on this Node and Node 24): ${secondsSince(start)} s`,
    )
  })

  it('Jest in CommonJS with ts-jest, testing with dynamic-guard/testing', async () => {
    const start = performance.now()
    const app = await createFreshApp('jest-cjs', {}, ['jest', 'ts-jest', '@jest', 'typescript', '@types'])
    apps.push(app)
    await app.write({
      'tsconfig.json': JSON.stringify({
        compilerOptions: {
          module: 'commonjs',
          target: 'es2022',
          strict: true,
          esModuleInterop: true,
          skipLibCheck: true,
          types: ['node'],
        },
      }),
      'jest.config.js': `module.exports = { preset: 'ts-jest', testEnvironment: 'node' }\n`,
      'test/auth.test.ts': `import { describe, expect, test } from '@jest/globals'
import { createDynamicAuth } from 'dynamic-guard'
import { createTestIssuer, TEST_USER_ID } from 'dynamic-guard/testing'

${verifySpec}`,
    })
    const ran = await app.run(process.execPath, [
      join(app.dir, 'node_modules/jest/bin/jest.js'),
      '--ci',
      '--colors=false',
    ])
    const output = ran.stdout + ran.stderr
    assert.match(output, /Tests:\s+2 passed, 2 total/)
    assert.doesNotMatch(output, /TS151002|ts-jest\[config\] \(WARN\)/, 'ts-jest warns about the setup')
    console.log(`Jest (CommonJS, ts-jest): ${secondsSince(start)} s`)

    // module: node16, as the runtimes and testing guides say: ts-jest warns TS151002 until the
    // tsconfig sets isolatedModules, and then passes quietly.
    const node16 = async (isolatedModules: boolean): Promise<string> => {
      const name = `node16-${isolatedModules}`
      await app.write({
        [`tsconfig.${name}.json`]: JSON.stringify({
          compilerOptions: {
            module: 'node16',
            target: 'es2022',
            strict: true,
            esModuleInterop: true,
            skipLibCheck: true,
            isolatedModules,
            types: ['node'],
          },
        }),
        [`jest.${name}.config.js`]: `module.exports = { testEnvironment: 'node', transform: { '^.+\\\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.${name}.json' }] } }\n`,
      })
      const { stdout, stderr } = await app.run(process.execPath, [
        join(app.dir, 'node_modules/jest/bin/jest.js'),
        '--ci',
        '--colors=false',
        '-c',
        `jest.${name}.config.js`,
      ])
      return stdout + stderr
    }
    const warned = await node16(false)
    assert.match(warned, /TS151002/, 'ts-jest warns TS151002 with module node16 and no isolatedModules')
    const fixed = await node16(true)
    assert.match(fixed, /Tests:\s+2 passed, 2 total/)
    assert.doesNotMatch(fixed, /TS151002/)
  })

  it('Vitest, testing with dynamic-guard/testing', async () => {
    const start = performance.now()
    const app = await createFreshApp('vitest', { type: 'module' }, ['vitest', 'typescript', '@types'])
    apps.push(app)
    await app.write({
      'test/auth.test.ts': `import { describe, expect, test } from 'vitest'
import { createDynamicAuth } from 'dynamic-guard'
import { createTestIssuer, TEST_USER_ID } from 'dynamic-guard/testing'

${verifySpec}`,
    })
    const ran = await app.run(process.execPath, [join(app.dir, 'node_modules/vitest/vitest.mjs'), 'run'], {
      env: { CI: 'true' },
    })
    assert.match(ran.stdout, /Tests\s+2 passed \(2\)/)
    console.log(`Vitest: ${secondsSince(start)} s`)
  })
})
