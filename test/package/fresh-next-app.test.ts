/**
 * A Next.js App Router app written as the Next guide shows (docs/guide/frameworks/next.md: its
 * code blocks that start with a `// path` comment are the app's files), with the packed package
 * installed by npm, passes `next build` without DYNAMIC_ENVIRONMENT_ID set: the guide makes its
 * verifier on first use, so loading the routes at build time does not need it.
 */
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createFreshApp, ROOT, secondsSince, type FreshApp } from './fresh-app.js'

/** The guide's files: each ```ts block whose first line is `// some/file.ts`, by that path. */
function guideFiles(): Record<string, string> {
  const guide = readFileSync(join(ROOT, 'docs/guide/frameworks/next.md'), 'utf8')
  const files: Record<string, string> = {}
  for (const [, code] of guide.matchAll(/```ts\n([\s\S]*?)```/g)) {
    const path = /^\/\/ ([\w./-]+\.ts)\b/.exec(code!)?.[1]
    if (path) files[path] = code!
  }
  return files
}

/** The tsconfig.json `create-next-app` writes for TypeScript. */
const tsconfig = {
  compilerOptions: {
    target: 'ES2017',
    lib: ['dom', 'dom.iterable', 'esnext'],
    allowJs: true,
    skipLibCheck: true,
    strict: true,
    noEmit: true,
    esModuleInterop: true,
    module: 'esnext',
    moduleResolution: 'bundler',
    resolveJsonModule: true,
    isolatedModules: true,
    jsx: 'react-jsx',
    incremental: true,
    plugins: [{ name: 'next' }],
    paths: { '@/*': ['./*'] },
  },
  include: ['next-env.d.ts', '**/*.ts', '**/*.tsx', '.next/types/**/*.ts'],
  exclude: ['node_modules'],
}

describe('a fresh Next.js app, as the Next guide shows', { timeout: 290_000 }, () => {
  let app: FreshApp | undefined
  after(async () => {
    await app?.remove()
  })

  it('passes next build without DYNAMIC_ENVIRONMENT_ID', async () => {
    const files = guideFiles()
    assert.deepEqual(
      Object.keys(files).sort(),
      ['app/api/me/route.ts', 'lib/auth.ts', 'proxy.ts'],
      'the guide shows lib/auth.ts, a route and the proxy',
    )
    const start = performance.now()
    app = await createFreshApp(
      'next',
      { scripts: { build: 'next build' } },
      ['typescript', '@types'],
      ['next', 'react', 'react-dom'],
    )
    await app.write({
      ...files,
      'tsconfig.json': JSON.stringify(tsconfig, null, 2),
    })
    const built = await app.run(process.execPath, [join(app.dir, 'node_modules/next/dist/bin/next'), 'build'], {
      env: { DYNAMIC_ENVIRONMENT_ID: undefined, CI: 'true' },
    })
    const output = built.stdout + built.stderr
    assert.match(output, /\/api\/me/, `the build lists the route:\n${output}`)
    assert.match(output, /Proxy|Middleware/i, `the build lists the proxy:\n${output}`)
    console.log(`Next.js app (next build): ${secondsSince(start)} s`)
  })
})
