/**
 * The Node lines the repository installs on: `npm ci` on Node 24 (the active LTS) and Node 22 warns
 * about no engine, checked by npm itself (a dry run, from the lock file, on the Node 24 and 22 of
 * `runtimes/`); on Node 20, past its end of life, only development dependencies may warn (CONTRIBUTING.md
 * names them), and the package itself still accepts Node 20.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runtimeBinary } from '../conformance/runtime-host.js'
import { ROOT } from './packed.js'

const npmCli = realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim())

/**
 * What `npm ci --dry-run` prints on `node`: it checks every package's engines against that Node.
 * It installs the lock file's tree; the package.json beside it is the lock's own record of the
 * root package, so that a dependency added to package.json but not yet locked does not stop it.
 */
function dryRunCi(node: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dynamic-guard-engines-'))
  try {
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      name: string
      version: string
      packages: Record<string, Record<string, unknown>>
    }
    const { overrides } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { overrides?: unknown }
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: lock.name, version: lock.version, ...lock.packages['']!, overrides }),
    )
    cpSync(join(ROOT, 'package-lock.json'), join(dir, 'package-lock.json'))
    const env = { ...process.env }
    for (const name of Object.keys(env)) if (/^npm_/i.test(name)) delete env[name]
    return execFileSync(node, [npmCli, 'ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund', '--offline'], {
      cwd: dir,
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    })
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string }
    return `${failed.stdout ?? ''}${failed.stderr ?? ''}`
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** npm's EBADENGINE warnings in `output`, as `package (required)`. */
function engineWarnings(output: string): string[] {
  return [...output.matchAll(/package: '([^']+)',\s*npm warn EBADENGINE\s+required: \{ ([^}]*) \}/g)].map(
    (m) => `${m[1]} (${m[2]!.trim()})`,
  )
}

describe('npm ci on each Node line', { timeout: 120_000 }, () => {
  for (const runtime of ['node24', 'node22'] as const) {
    it(`on Node ${runtime.slice(4)}, warns about no engine`, () => {
      const output = dryRunCi(runtimeBinary(runtime))
      assert.match(output, /added \d+ packages/, `npm ci did not run:\n${output.slice(-3000)}`)
      assert.deepEqual(engineWarnings(output), [], output.slice(-3000))
      assert.doesNotMatch(output, /EBADENGINE/)
    })
  }

  it('the package accepts Node 20, and the lock holds no production dependency that refuses it', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      engines: { node: string }
      dependencies?: Record<string, string>
    }
    assert.equal(pkg.engines.node, '>=20')
    assert.deepEqual(Object.keys(pkg.dependencies ?? {}), [], 'the core has no runtime dependencies')
  })
})
