/**
 * Runs code on the other runtimes, from Node: builds the package the way it is published (the real
 * tsup config and package.json "exports" map) into a temporary folder, installs it there as
 * `node_modules/dynamic-guard`, and starts Node 22, Node 24, Bun, Deno or workerd (through Miniflare) on a
 * script that imports it by name, so that each runtime picks its build through its own export
 * condition. The runtimes come from `runtimes/` (`npm ci --prefix runtimes`).
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build as esbuild } from 'esbuild'
import { build as tsup } from 'tsup'
import { buildOptions } from '../../tsup.config.js'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const MODULES = join(ROOT, 'runtimes/node_modules')
const BIN = join(MODULES, '.bin')

/** The runtimes besides the Node that runs the tests. */
export type RuntimeName = 'node22' | 'node24' | 'bun' | 'deno' | 'workerd'

export interface RuntimeInfo {
  readonly name: RuntimeName
  /** How the runtime describes itself in a report ("node 22.", "bun ", ...), as a prefix. */
  readonly reportsAs: string
  /** The build its export condition selects, relative to the package. */
  readonly expectedBuild: string
}

export const RUNTIMES: readonly RuntimeInfo[] = [
  { name: 'node22', reportsAs: 'node 22.', expectedBuild: 'dist/index.js' },
  { name: 'node24', reportsAs: 'node 24.', expectedBuild: 'dist/index.js' },
  { name: 'bun', reportsAs: 'bun ', expectedBuild: 'dist/index.js' },
  { name: 'deno', reportsAs: 'deno ', expectedBuild: 'dist/web/index.js' },
  { name: 'workerd', reportsAs: 'workerd', expectedBuild: 'dist/web/index.js' },
]

/** The binary a runtime needs; throws, naming the runtime, when it is not installed. */
export function runtimeBinary(name: RuntimeName): string {
  // Both Node packages offer a `node` bin, and npm links whichever comes first as .bin/node: each
  // is taken from its own package instead.
  const file =
    name === 'node22' || name === 'workerd'
      ? join(MODULES, 'node/bin/node')
      : name === 'node24'
        ? join(MODULES, 'node24/bin/node')
        : join(BIN, name)
  if (!existsSync(file)) {
    const what = name === 'workerd' ? 'Node 22 (which runs Miniflare)' : name
    throw new Error(`${name}: ${what} is not installed (${file} is missing); run "npm ci --prefix runtimes".`)
  }
  if (name === 'workerd' && !existsSync(join(ROOT, 'runtimes/node_modules/miniflare/package.json'))) {
    throw new Error('workerd: miniflare is not installed in runtimes/; run "npm ci --prefix runtimes".')
  }
  return file
}

/** A temporary app folder with the package installed as node_modules/dynamic-guard. */
export interface TestApp {
  readonly dir: string
  /** Bundles `entry` (TypeScript or JS; `dynamic-guard` stays an import) into the app as `name`. */
  bundle(entry: string, name: string): Promise<string>
  /**
   * Bundles a Worker module with `dynamic-guard` resolved as wrangler does (the workerd condition).
   * Throws when the bundle takes the package from anywhere but its web build, or imports a Node
   * built-in.
   */
  bundleWorker(entry: string, name: string): Promise<string>
  /** Writes a file into the app. */
  write(name: string, text: string): Promise<string>
  remove(): Promise<void>
}

/** Builds the package (only the entries named) and installs it into a new temporary app. */
export async function createTestApp(entries: readonly string[] = ['index']): Promise<TestApp> {
  const dir = await mkdtemp(join(tmpdir(), 'dynamic-guard-runtimes-'))
  const pkg = join(dir, 'node_modules/dynamic-guard')
  try {
    await mkdir(pkg, { recursive: true })
    for (const options of buildOptions(join(pkg, 'dist'), entries, ROOT)) {
      // Types are checked elsewhere (tsc, attw); the runtimes need only the JavaScript.
      await tsup({ ...options, dts: false, sourcemap: false, silent: true, config: false } as Parameters<
        typeof tsup
      >[0])
    }
    await cp(join(ROOT, 'package.json'), join(pkg, 'package.json'))
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({ private: true, type: 'module', dependencies: { 'dynamic-guard': '*' } }),
    )
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw error
  }
  // The package stays an import (each runtime resolves it); Node built-ins are left to the runtime.
  const common = {
    bundle: true,
    format: 'esm' as const,
    logLevel: 'silent' as const,
    external: ['dynamic-guard', 'node:*'],
  }
  return {
    dir,
    async bundle(entry, name) {
      const outfile = join(dir, name)
      await esbuild({ ...common, entryPoints: [entry], outfile, platform: 'neutral', target: 'es2022' })
      return outfile
    },
    async bundleWorker(entry, name) {
      const outfile = join(dir, name)
      await esbuild({
        ...common,
        external: [],
        entryPoints: [entry],
        outfile,
        platform: 'neutral',
        target: 'es2022',
        conditions: ['workerd', 'worker', 'browser'],
        mainFields: ['module', 'main'],
        nodePaths: [join(dir, 'node_modules')],
        metafile: true,
      }).then(({ metafile }) => {
        const fromPackage = Object.keys(metafile.inputs).filter((input) => input.includes('dynamic-guard/'))
        const notWeb = fromPackage.filter((input) => !input.includes('dynamic-guard/dist/web/'))
        if (fromPackage.length === 0 || notWeb.length > 0) {
          throw new Error(
            `workerd: the Worker bundle should take dynamic-guard from dist/web/, not from ${notWeb.join(', ') || 'nowhere'}.`,
          )
        }
      })
      const text = await readFile(outfile, 'utf8')
      const nodeImport = /(?:from\s*|import\s*\(?\s*|require\s*\(\s*)["'](node:[^"']+|crypto|buffer|fs|http)["']/.exec(
        text,
      )
      if (nodeImport)
        throw new Error(
          `workerd: the Worker bundle imports ${nodeImport[1]}, which workerd lacks without nodejs_compat.`,
        )
      return outfile
    },
    write: async (name, text) => {
      const file = join(dir, name)
      await writeFile(file, text)
      return file
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  }
}

/** A server started on a runtime, until `stop()`. */
export interface RunningServer {
  /** `http://127.0.0.1:<port>`, from the `LISTENING <port>` line the script prints. */
  readonly origin: string
  stop(): Promise<void>
}

/** Starts a long-running script (a server printing `LISTENING <port>`) on Bun, Deno, Node 22 or Node 24. */
export function serveOn(
  runtime: Exclude<RuntimeName, 'workerd'>,
  app: TestApp,
  script: string,
  timeoutMs = 60_000,
): Promise<RunningServer> {
  const binary = runtimeBinary(runtime)
  const args =
    runtime === 'deno'
      ? ['run', '--node-modules-dir=manual', '--no-prompt', '--no-config', '--allow-net=127.0.0.1', script]
      : [script]
  const child = spawn(binary, args, {
    cwd: app.dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', DO_NOT_TRACK: '1', NODE_OPTIONS: '' },
  })
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()))
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
  }
  return new Promise((resolvePromise, reject) => {
    let stdout = ''
    let stderr = ''
    const fail = (why: string): void => {
      clearTimeout(timer)
      void stop().then(() =>
        reject(new Error(`${runtime}: ${why}.\nstdout: ${stdout.slice(-2000)}\nstderr: ${stderr.slice(-2000)}`)),
      )
    }
    const timer = setTimeout(() => fail(`the server did not start within ${timeoutMs} ms`), timeoutMs)
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      const port = /^LISTENING (\d+)$/m.exec(stdout)?.[1]
      if (port) {
        clearTimeout(timer)
        resolvePromise({ origin: `http://127.0.0.1:${port}`, stop })
      }
    })
    child.once('error', (error) => fail(`could not start ${binary}: ${error.message}`))
    child.once('close', (code) => fail(`exited with ${code} before listening`))
  })
}

/** What a child runtime printed. */
export interface RunOutput {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * Starts `script` (an ES module in `app`) on a runtime and waits for it to exit. For workerd,
 * `script` is a Worker module: Miniflare (on Node 22) loads it and sends it one request to
 * `workerUrl`, and the response body is the output.
 */
export function runOn(
  runtime: RuntimeName,
  app: TestApp,
  script: string,
  options: { workerUrl?: string; timeoutMs?: number } = {},
): Promise<RunOutput> {
  const binary = runtimeBinary(runtime)
  let args: string[]
  switch (runtime) {
    case 'node22':
    case 'node24':
      args = [script]
      break
    case 'bun':
      args = [script]
      break
    case 'deno':
      args = ['run', '--node-modules-dir=manual', '--no-prompt', '--no-config', '--allow-net=127.0.0.1', script]
      break
    case 'workerd':
      args = [join(ROOT, 'test/conformance/miniflare-driver.mjs'), script, options.workerUrl ?? 'http://worker/']
      break
  }
  return new Promise((resolvePromise, reject) => {
    const child = spawn(binary, args, {
      cwd: app.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', DO_NOT_TRACK: '1', NODE_OPTIONS: '' },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(
        new Error(
          `${runtime}: did not finish within ${options.timeoutMs ?? 90_000} ms.\nstdout: ${stdout.slice(-2000)}\nstderr: ${stderr.slice(-2000)}`,
        ),
      )
    }, options.timeoutMs ?? 90_000)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(new Error(`${runtime}: could not start ${binary}: ${error.message}`))
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolvePromise({ code, stdout, stderr })
    })
  })
}

/** The JSON a child printed on the line starting with `marker`. */
export function readMarkedJson<T>(runtime: string, output: RunOutput, marker: string): T {
  const line = output.stdout.split('\n').find((l) => l.startsWith(`${marker} `))
  if (!line) {
    throw new Error(
      `${runtime}: exited with ${output.code} without a result.\nstdout: ${output.stdout.slice(-3000)}\nstderr: ${output.stderr.slice(-3000)}`,
    )
  }
  return JSON.parse(line.slice(marker.length + 1)) as T
}
