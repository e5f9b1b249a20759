/**
 * The published tarball, as `npm pack` would make it: only the build, the README, the licence,
 * the security policy, the changelog and package.json; every file the exports map, `main`,
 * `module`, `types` and `bin` point at; no source maps (see tsup.config.ts). Needs the build
 * (`npm test` builds first).
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
  main: string
  module: string
  types: string
  exports: Record<string, unknown>
  bin: Record<string, string>
}

interface PackResult {
  files: { path: string; size: number }[]
  unpackedSize: number
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const [packed] = JSON.parse(
  execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
) as PackResult[]
const paths = new Set(packed!.files.map((file) => file.path))

/** Every file path named in the exports map (any condition), plus main, module, types and bin. */
function pointedAt(): string[] {
  const found: string[] = []
  const walk = (value: unknown): void => {
    if (typeof value === 'string') found.push(value)
    else if (typeof value === 'object' && value !== null) for (const inner of Object.values(value)) walk(inner)
  }
  walk(pkg.exports)
  walk([pkg.main, pkg.module, pkg.types, ...Object.values(pkg.bin)])
  return [...new Set(found)].map((path) => path.replace(/^\.\//, ''))
}

describe('npm pack', () => {
  it('holds only dist/, README.md, LICENSE, SECURITY.md, CHANGELOG.md and package.json', () => {
    const allowed = /^(dist\/.+|README\.md|LICENSE|SECURITY\.md|CHANGELOG\.md|package\.json)$/
    const stray = [...paths].filter((path) => !allowed.test(path))
    assert.deepEqual(stray, [], `unexpected files in the tarball: ${stray.join(', ')}`)
  })

  it('holds the README, the licence, the security policy and the changelog', () => {
    for (const file of ['README.md', 'LICENSE', 'SECURITY.md', 'CHANGELOG.md', 'package.json']) assert.ok(paths.has(file), `${file} is not in the tarball`)
  })

  it('holds every file package.json points at', () => {
    const missing = pointedAt().filter((path) => path !== 'package.json' && !paths.has(path))
    assert.deepEqual(missing, [], `package.json points at files the tarball lacks (is dist/ built?): ${missing.join(', ')}`)
  })

  it('ships no source maps', () => {
    const maps = [...paths].filter((path) => path.endsWith('.map'))
    assert.deepEqual(maps, [], 'source maps are left out of the package (tsup.config.ts: sourcemap false)')
  })
})
