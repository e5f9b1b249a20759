/**
 * Runs the real `dynamic-guard` CLI as a child process: from source through tsx, and from the
 * build (dist/cli.js) when there is one newer than every source file. `runCli` waits for the
 * process to exit; `startCli` waits for a long-running command's ready line. Both wait under a hang
 * guard (READY_GUARD_MS) that fails the test with what the child was doing (hang-report.ts) rather
 * than waiting forever. No timing.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describeChild, reportFlags } from './hang-report.js'

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

/**
 * How long a command may take to exit (runCli), or a started one (dev) to print its ready line
 * (startCli), before it counts as hung. A hang guard, not a timing: either takes seconds even on
 * two loaded cores (RSA-4096 key generation included); without a bound a hang would end only at
 * the test runner's per-file limit, saying nothing about what the child was doing.
 */
export const READY_GUARD_MS = 120_000

/** The last `max` characters of `text`, marked when cut. */
function tail(text: string, max = 4000): string {
  if (!text) return '(nothing)'
  return text.length > max ? `[...]${text.slice(-max)}` : text
}

/**
 * Runs the CLI to its exit. A command that has not exited after `guardMs` (READY_GUARD_MS: a
 * hang guard; commands take seconds) is described as startCli describes a hang, killed (SIGKILL),
 * and the promise rejects with that description.
 */
export function runCli(
  args: string[],
  options: { input?: string; env?: Record<string, string>; runner?: CliRunner; guardMs?: number } = {},
): Promise<CliResult> {
  const runner = options.runner ?? primary
  const guardMs = options.guardMs ?? READY_GUARD_MS
  return new Promise((resolve, reject) => {
    const reportDir = mkdtempSync(join(tmpdir(), 'dynamic-guard-cli-report-'))
    const child = spawn(process.execPath, [...reportFlags(reportDir), ...runner.argv, ...args], {
      cwd: root,
      env: childEnv(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    let settled = false
    const guard = setTimeout(() => {
      void describeChild(child.pid, reportDir).then((state) => {
        if (settled) return // it exited while we looked: not a hang
        settled = true
        child.kill('SIGKILL')
        reject(
          new Error(
            `${['dynamic-guard', ...args].join(' ')} (${runner.name}, pid ${child.pid}) did not exit within ${guardMs / 1000} s; killed it. What it was doing:\n${state}\nstdout so far:\n${tail(stdout)}\nstderr so far:\n${tail(stderr)}`,
          ),
        )
      })
    }, guardMs)
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', (error) => {
      settled = true
      clearTimeout(guard)
      reject(error)
    })
    child.on('close', (code, signal) => {
      clearTimeout(guard)
      rmSync(reportDir, { recursive: true, force: true })
      if (settled) return
      settled = true
      resolve({ code, signal, stdout, stderr })
    })
    child.stdin.end(options.input ?? '')
  })
}

/**
 * Starts a long-running command (dev) and resolves `started` once its stdout matches `ready`. If
 * it has not after `guardMs`, `started` rejects with what the child was doing (see hang-report.ts:
 * its threads' states and its diagnostic report, then its stdout and stderr so far) and the child
 * is killed (SIGKILL); it rejects too if the child exits first.
 */
export function startCli(args: string[], ready: RegExp, runner: CliRunner = primary, guardMs = READY_GUARD_MS) {
  const reportDir = mkdtempSync(join(tmpdir(), 'dynamic-guard-cli-report-'))
  const child = spawn(process.execPath, [...reportFlags(reportDir), ...runner.argv, ...args], {
    cwd: root,
    env: childEnv(undefined),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8')
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => {
      rmSync(reportDir, { recursive: true, force: true })
      resolve({ code, signal, stdout, stderr })
    }),
  )
  const started = new Promise<RegExpMatchArray>((resolve, reject) => {
    let settled = false
    const settle = () => {
      settled = true
      clearTimeout(guard)
    }
    const guard = setTimeout(() => {
      void describeChild(child.pid, reportDir).then((state) => {
        if (settled) return // it got ready (or exited) while we looked: not a hang
        settle()
        child.kill('SIGKILL')
        reject(
          new Error(
            `${['dynamic-guard', ...args].join(' ')} (${runner.name}, pid ${child.pid}) did not print its ready line ${ready} within ${guardMs / 1000} s; killed it. What it was doing:\n${state}\nstdout so far:\n${tail(stdout)}\nstderr so far:\n${tail(stderr)}`,
          ),
        )
      })
    }, guardMs)
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk
      const match = stdout.match(ready)
      if (match && !settled) {
        settle()
        resolve(match)
      }
    })
    child.on('error', (error) => {
      settle()
      reject(error)
    })
    void exited.then((result) => {
      if (settled) return
      settle()
      reject(new Error(`exited with ${result.code ?? result.signal} before it was ready: ${result.stderr}`))
    })
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
