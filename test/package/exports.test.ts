/**
 * The published shape: every subpath of package.json's exports map resolves to built files that
 * load with both `import` and `require` on this Node, and an adapter loads no other framework.
 * Needs the build (`npm test` builds first).
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
  name: string
  exports: Record<string, unknown>
  bin: Record<string, string>
}
const FRAMEWORKS = ['express', 'fastify', 'hono', 'koa', 'next']

function run(code: string, type: 'module' | 'commonjs'): string {
  return execFileSync(
    process.execPath,
    [type === 'module' ? '--input-type=module' : '--input-type=commonjs', '-e', code],
    { cwd: root, encoding: 'utf8' },
  )
}

/** The subpaths whose build output exists (entries are added as their issues land). */
function builtSubpaths(): string[] {
  return Object.keys(pkg.exports)
    .filter((key) => key !== './package.json')
    .filter((key) => {
      const name = key === '.' ? 'index' : key.slice(2)
      return (
        existsSync(`${root}src/${name === 'index' ? 'index' : name}.ts`) ||
        existsSync(`${root}src/${name}/index.ts`) ||
        existsSync(`${root}src/adapters/${name}.ts`)
      )
    })
}

describe('the built package', () => {
  it('is built', () => {
    assert.ok(
      existsSync(`${root}dist/index.js`) && existsSync(`${root}dist/index.cjs`) && existsSync(`${root}dist/index.d.ts`),
      'dist/ is missing: run `npm run build` (npm test does)',
    )
  })

  for (const subpath of builtSubpaths()) {
    const specifier = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`
    it(`${specifier} loads with import and require`, () => {
      const esm = run(
        `const m = await import('${specifier}'); console.log(Object.keys(m).filter(k => k !== 'default').sort().join(','))`,
        'module',
      ).trim()
      const cjs = run(
        `const m = require('${specifier}'); console.log(Object.keys(m).filter(k => k !== 'default' && k !== '__esModule').sort().join(','))`,
        'commonjs',
      ).trim()
      assert.ok(esm.length > 0, 'exports something')
      assert.equal(cjs, esm, 'ESM and CJS builds export the same names')
    })
  }

  it('verifies a token through the CommonJS build', () => {
    const out = run(
      `const { createDynamicAuth } = require('dynamic-guard'); const { createTestIssuer } = require('dynamic-guard/testing');
       const issuer = createTestIssuer(); const auth = createDynamicAuth(issuer.authOptions());
       auth.verifyToken(issuer.mint()).then((s) => console.log(s.userId), (e) => { console.error(e.code); process.exit(1) })`,
      'commonjs',
    )
    assert.match(out, /^[0-9a-f-]{36}\s*$/)
  })

  for (const framework of FRAMEWORKS) {
    const adapter =
      framework === 'express' ||
      framework === 'fastify' ||
      framework === 'hono' ||
      framework === 'koa' ||
      framework === 'next'
        ? framework
        : ''
    if (!existsSync(`${root}src/adapters/${adapter}.ts`)) continue
    it(`dynamic-guard/${adapter} loads no other framework`, () => {
      const loaded = run(
        `require('dynamic-guard/${adapter}'); console.log(Object.keys(require.cache).filter(p => p.includes('/node_modules/')).map(p => p.split('/node_modules/').pop().split('/')[0]).join(' '))`,
        'commonjs',
      )
      const others = FRAMEWORKS.filter((f) => f !== adapter && loaded.split(' ').includes(f))
      assert.deepEqual(others, [], `loading ${adapter} also loaded ${others.join(', ')}`)
    })
  }

  it('has the dynamic-guard bin', () => {
    assert.equal(pkg.bin['dynamic-guard'], './dist/cli.js')
  })
})
