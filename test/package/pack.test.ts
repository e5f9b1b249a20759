/**
 * The published tarball, packed by `npm pack` from a clean checkout (packed.ts): nothing is built
 * beforehand, so the package's own `prepack` must build dist/. It holds only the build, the
 * README, the licence, the security policy, the changelog and package.json; every file the
 * exports map, `main`, `module`, `types`, `typesVersions` and `bin` point at; no source maps (see
 * tsup.config.ts).
 */
import { before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { packedPackage, ROOT, type Packed, type PackReport } from './packed.js'

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  main: string
  module: string
  types: string
  exports: Record<string, unknown>
  typesVersions?: Record<string, Record<string, string[]>>
  bin: Record<string, string>
}

/** Every file path named in the exports map (any condition), typesVersions, main, module, types and bin. */
function pointedAt(): string[] {
  const found: string[] = []
  const walk = (value: unknown): void => {
    if (typeof value === 'string') found.push(value)
    else if (typeof value === 'object' && value !== null) for (const inner of Object.values(value)) walk(inner)
  }
  walk(pkg.exports)
  walk(pkg.typesVersions ?? {})
  walk([pkg.main, pkg.module, pkg.types, ...Object.values(pkg.bin)])
  return [...new Set(found)].map((path) => path.replace(/^\.\//, '')).filter((path) => !path.includes('*'))
}

/** The files package.json points at that a pack lacks. */
function missingFrom(report: PackReport): string[] {
  const paths = new Set(report.files.map((file) => file.path))
  return pointedAt().filter((path) => path !== 'package.json' && !paths.has(path))
}

describe('npm pack from a clean checkout', { timeout: 280_000 }, () => {
  let packed: Packed
  let paths: Set<string>

  before(async () => {
    packed = await packedPackage()
    paths = new Set(packed.report.files.map((file) => file.path))
    if (packed.seconds > 0)
      console.log(
        `# packed ${packed.report.filename} (${packed.report.files.length} files, ${packed.report.size} bytes) in ${packed.seconds} s, build included`,
      )
  })

  it('builds dist/ before packing: the tarball holds every file package.json points at', () => {
    const missing = missingFrom(packed.report)
    assert.deepEqual(
      missing,
      [],
      `package.json points at files the tarball lacks (does "prepack" build?): ${missing.join(', ')}`,
    )
  })

  it('would be refused without the build: the same checkout packed with scripts off lacks them', () => {
    // The check above is the one that catches an empty package: here it sees one.
    const missing = missingFrom(packed.unbuilt)
    assert.ok(
      missing.includes('dist/index.js') && missing.includes('dist/index.cjs') && missing.includes('dist/index.d.ts'),
      `the unbuilt pack should lack dist/: ${missing.join(', ')}`,
    )
    assert.ok(packed.unbuilt.files.length < 10, `the unbuilt pack holds ${packed.unbuilt.files.length} files`)
  })

  it('holds only dist/, README.md, LICENSE, SECURITY.md, CHANGELOG.md and package.json', () => {
    const allowed = /^(dist\/.+|README\.md|LICENSE|SECURITY\.md|CHANGELOG\.md|package\.json)$/
    const stray = [...paths].filter((path) => !allowed.test(path))
    assert.deepEqual(stray, [], `unexpected files in the tarball: ${stray.join(', ')}`)
  })

  it('holds the README, the licence, the security policy and the changelog', () => {
    for (const file of ['README.md', 'LICENSE', 'SECURITY.md', 'CHANGELOG.md', 'package.json'])
      assert.ok(paths.has(file), `${file} is not in the tarball`)
  })

  it('holds the CommonJS and ESM builds, their types, and the web build', () => {
    for (const file of [
      'dist/index.js',
      'dist/index.cjs',
      'dist/index.d.ts',
      'dist/index.d.cts',
      'dist/web/index.js',
      'dist/testing.d.cts',
      'dist/cli.js',
    ]) {
      assert.ok(paths.has(file), `${file} is not in the tarball`)
    }
  })

  it('ships no source maps', () => {
    const maps = [...paths].filter((path) => path.endsWith('.map'))
    assert.deepEqual(maps, [], 'source maps are left out of the package (tsup.config.ts: sourcemap false)')
  })
})
