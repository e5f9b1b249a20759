/**
 * Runs the real `dynamic-guard` CLI as a child process: from source through tsx, and from the
 * build (dist/cli.js) when there is one newer than every source file. Waits for the process to
 * exit; no timing.
 */
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = fileURLToPath(new URL('../../', import.meta.url))
const sourceDir = fileURLToPath(new URL('../../src/', import.meta.url))
const source = fileURLToPath(new URL('../../src/cli/index.ts', import.meta.url))
const built = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))

export interface CliRunner {
  name: string
  argv: string[]
}

function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs)
  }
  return newest
}

export const fromSource: CliRunner = { name: 'source (tsx)', argv: ['--import', 'tsx', source] }
/** The build, when it exists and is not older than the sources (npm test builds first). */
export const fromBuild: CliRunner | undefined =
  existsSync(built) && statSync(built).mtimeMs >= newestMtime(sourceDir)
    ? { name: 'build (dist/cli.js)', argv: [built] }
    : undefined

/** Every way to start the CLI: the per-runner tests run on each. */
export const runners: CliRunner[] = [fromSource, ...(fromBuild ? [fromBuild] : [])]
/** The runner for the bulk of the tests: the fresh build when there is one (it starts faster), else the source. */
export const primary: CliRunner = fromBuild ?? fromSource

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Env for the child: ours minus anything that would change the CLI's behaviour. */
function childEnv(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }
  delete env.DYNAMIC_ENVIRONMENT_ID
  delete env.NODE_TEST_CONTEXT
  return { ...env, ...extra }
}

export function runCli(
  args: string[],
  options: { input?: string; env?: Record<string, string>; runner?: CliRunner } = {},
): Promise<CliResult> {
  const runner = options.runner ?? primary
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...runner.argv, ...args], {
      cwd: root,
      env: childEnv(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
    child.stdin.end(options.input ?? '')
  })
}

/** Starts a long-running command (dev) and resolves once its stdout shows `ready`. */
export function startCli(args: string[], ready: RegExp, runner: CliRunner = primary) {
  const child = spawn(process.execPath, [...runner.argv, ...args], {
    cwd: root,
    env: childEnv(undefined),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8')
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  )
  const started = new Promise<RegExpMatchArray>((resolve, reject) => {
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk
      const match = stdout.match(ready)
      if (match) resolve(match)
    })
    void exited.then((result) => reject(new Error(`exited with ${result.code} before it was ready: ${result.stderr}`)))
  })
  return { child, started, exited, output: () => ({ stdout, stderr }) }
}

/** A loopback port nothing listens on: taken from the OS, then released. */
export async function deadPort(): Promise<number> {
  const { createServer } = await import('node:net')
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
