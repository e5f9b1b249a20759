/**
 * Throwaway apps for the fresh-app tests: a folder in the temporary directory, outside the
 * repository (so nothing resolves from its node_modules by accident), where `npm install` puts the
 * packed tarball (packed.ts) as a customer's install would. The app's tools and frameworks
 * (TypeScript, Jest, Next.js, Express, ...) are linked from the repository's node_modules instead
 * of being installed again: the same versions the lock file pins, with no download and no wait.
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { packedPackage, ROOT } from './packed.js'

export { ROOT }

/** What a command printed, and how it ended. */
export interface Ran {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export interface FreshApp {
  readonly dir: string
  /** Writes files into the app (paths relative to it; folders are made). */
  write(files: Record<string, string>): Promise<void>
  /** Runs a command in the app; rejects with its output when it fails. */
  run(command: string, args: readonly string[], options?: { env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Ran>
  remove(): Promise<void>
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

/** The environment of a command in an app: npm's variables of the run that started the tests left out. */
function appEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: '1',
    FORCE_COLOR: '0',
    NEXT_TELEMETRY_DISABLED: '1',
    DO_NOT_TRACK: '1',
    DENO_NO_UPDATE_CHECK: '1',
    NODE_OPTIONS: '',
  }
  for (const name of Object.keys(env))
    if (/^npm_(lifecycle_|package_|command|node_execpath)/i.test(name)) delete env[name]
  const merged: NodeJS.ProcessEnv = { ...env, ...extra }
  for (const name of Object.keys(merged)) if (merged[name] === undefined) delete merged[name] // `{ NAME: undefined }` unsets NAME
  return merged
}

function run(
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<Ran> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('close', (code) => {
      clearTimeout(timer)
      const ran = { code, stdout, stderr }
      if (code === 0) resolvePromise(ran)
      else
        reject(
          Object.assign(
            new Error(
              `${command} ${args.join(' ')} exited with ${code} in ${cwd}:\n--- stdout\n${stdout.slice(-4000)}\n--- stderr\n${stderr.slice(-4000)}`,
            ),
            ran,
          ),
        )
    })
  })
}

/**
 * Makes an app: writes its package.json, installs the packed tarball with npm (offline: the
 * package has no dependencies, so nothing is fetched), then links `link` (package names, or whole
 * scopes such as `@types`) from the repository's node_modules.
 */
export async function createFreshApp(
  name: string,
  packageJson: Record<string, unknown>,
  link: readonly string[] = [],
  copy: readonly string[] = [],
): Promise<FreshApp> {
  const { tarball } = await packedPackage()
  const dir = await mkdtemp(join(tmpdir(), `dynamic-guard-app-${name}-`))
  const app: FreshApp = {
    dir,
    async write(files) {
      for (const [path, text] of Object.entries(files)) {
        await mkdir(dirname(join(dir, path)), { recursive: true })
        await writeFile(join(dir, path), text)
      }
    },
    run: (command, args, options = {}) => run(command, args, dir, appEnv(options.env), options.timeoutMs ?? 240_000),
    remove: () => rm(dir, { recursive: true, force: true }),
  }
  try {
    await app.write({
      'package.json': JSON.stringify(
        { name: `fresh-${name}`, version: '1.0.0', private: true, ...packageJson },
        null,
        2,
      ),
    })
    await app.run(npm, ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', tarball])
    for (const target of link) {
      const from = join(ROOT, 'node_modules', target)
      if (!existsSync(from))
        throw new Error(`${name}: ${target} is not in the repository's node_modules; run "npm ci".`)
      await mkdir(dirname(join(dir, 'node_modules', target)), { recursive: true })
      await symlink(from, join(dir, 'node_modules', target), 'dir')
    }
    for (const target of dependencyClosure(copy)) {
      await mkdir(dirname(join(dir, 'node_modules', target)), { recursive: true })
      const [from, to] = [join(ROOT, 'node_modules', target), join(dir, 'node_modules', target)]
      // Hard links need one filesystem; across two, a plain copy.
      await run('cp', ['-al', from, to], dir, appEnv(), 60_000).catch(async () => {
        await rm(to, { recursive: true, force: true })
        await run('cp', ['-R', from, to], dir, appEnv(), 120_000)
      })
    }
  } catch (error) {
    await app.remove()
    throw error
  }
  return app
}

/**
 * `names` and everything they depend on, as installed at the top of the repository's node_modules
 * (optional dependencies when they are there). For tools that refuse files outside the app's
 * folder (Turbopack): those get copies, made of hard links, so no bytes are copied.
 */
function dependencyClosure(names: readonly string[]): string[] {
  const found = new Set<string>()
  const visit = (name: string, optional: boolean): void => {
    if (found.has(name)) return
    const manifest = join(ROOT, 'node_modules', name, 'package.json')
    if (!existsSync(manifest)) {
      if (optional) return
      throw new Error(`${name} is not in the repository's node_modules; run "npm ci".`)
    }
    found.add(name)
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as {
      dependencies?: Record<string, string>
      optionalDependencies?: Record<string, string>
    }
    for (const dependency of Object.keys(pkg.dependencies ?? {})) visit(dependency, false)
    for (const dependency of Object.keys(pkg.optionalDependencies ?? {})) visit(dependency, true)
  }
  for (const name of names) visit(name, false)
  return [...found].sort()
}

/** Seconds since `start` (a `performance.now()`), one decimal: printed in the TAP output for the record. */
export function secondsSince(start: number): number {
  return Math.round((performance.now() - start) / 100) / 10
}
