/**
 * The package as `npm pack` makes it from a clean checkout: the files git would give a fresh clone
 * (tracked ones, and new ones git does not ignore, as they are now), none of what git ignores
 * (dist/ above all), and the repository's node_modules linked in so that the build tools are
 * there. `npm pack` then runs the package's own `prepack`; nothing is built beforehand, so a
 * package that forgets to build packs without dist/ and the tests that use this fail.
 *
 * Several test files use the tarball and run at the same time: the first to ask packs it, into a
 * folder of the temporary directory named after a hash of the checkout's contents, and the others
 * wait for it.
 */
import { execFileSync, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { cp, mkdir, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

/** What `npm pack --json` reports about one package. */
export interface PackReport {
  readonly filename: string
  readonly files: readonly { readonly path: string; readonly size: number }[]
  readonly size: number
  readonly unpackedSize: number
}

/** The packed package: the tarball, what npm reported, and the dry run of the checkout before anything built. */
export interface Packed {
  readonly tarball: string
  readonly report: PackReport
  /** `npm pack --dry-run --ignore-scripts` in the same checkout, before `prepack` ran: the package as it would be if nothing built. */
  readonly unbuilt: PackReport
  /** Seconds the pack took, build included (0 when another test file had packed it already). */
  readonly seconds: number
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const PREFIX = 'dynamic-guard-pack-'

/** The files a fresh clone would hold, as they are in the working tree now. */
function checkoutFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
  return [...new Set(listed.split('\0').filter(Boolean))].filter((file) => existsSync(join(ROOT, file))).sort()
}

function contentHash(files: readonly string[]): string {
  const hash = createHash('sha256')
  for (const file of files)
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(join(ROOT, file)))
      .update('\0')
  return hash.digest('hex').slice(0, 16)
}

/** npm's own lifecycle variables of the run that started the tests would leak into the child npm. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const name of Object.keys(env))
    if (/^npm_(lifecycle_|package_|command|node_execpath)/i.test(name)) delete env[name]
  return env
}

function run(command: string, args: readonly string[], cwd: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.once('error', reject)
    child.once('close', (code) =>
      code === 0
        ? resolvePromise(stdout)
        : reject(
            new Error(
              `${command} ${args.join(' ')} exited with ${code} in ${cwd}:\n${stdout.slice(-3000)}\n${stderr.slice(-3000)}`,
            ),
          ),
    )
  })
}

/** The JSON npm prints after the prepack script's own output: its last top-level array. */
function packJson(stdout: string): PackReport {
  const start = stdout.lastIndexOf('\n[')
  const [report] = JSON.parse(start >= 0 ? stdout.slice(start + 1) : stdout) as PackReport[]
  return report!
}

async function pack(folder: string, files: readonly string[]): Promise<Omit<Packed, 'seconds'>> {
  const checkout = join(folder, 'checkout')
  for (const file of files) {
    await mkdir(dirname(join(checkout, file)), { recursive: true })
    await cp(join(ROOT, file), join(checkout, file))
  }
  await symlink(join(ROOT, 'node_modules'), join(checkout, 'node_modules'), 'dir')
  const unbuilt = packJson(await run(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], checkout))
  const report = packJson(await run(npm, ['pack', '--json', '--pack-destination', folder], checkout))
  await rm(checkout, { recursive: true, force: true })
  return { tarball: join(folder, report.filename), report, unbuilt }
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolvePromise) => setTimeout(resolvePromise, ms))
}

/** Removes the packs of older checkouts (an hour old or more). */
async function pruneOld(keep: string): Promise<void> {
  const base = tmpdir()
  for (const name of await readdir(base)) {
    if (!name.startsWith(PREFIX) || join(base, name) === keep || name === `${keep}.lock`) continue
    const info = await stat(join(base, name)).catch(() => undefined)
    if (info && Date.now() - info.mtimeMs > 3_600_000) await rm(join(base, name), { recursive: true, force: true })
  }
}

/** Packs the clean checkout once per content; later callers get the same tarball. */
export async function packedPackage(): Promise<Packed> {
  const files = checkoutFiles()
  const folder = join(tmpdir(), `${PREFIX}${contentHash(files)}`)
  const result = join(folder, 'result.json')
  const lock = `${folder}.lock`
  const started = Date.now()
  for (;;) {
    if (existsSync(result))
      return { ...(JSON.parse(await readFile(result, 'utf8')) as Omit<Packed, 'seconds'>), seconds: 0 }
    try {
      await mkdir(lock)
      break
    } catch {
      // Another test file is packing; a lock older than ten minutes belongs to a run that died.
      const info = await stat(lock).catch(() => undefined)
      if (info && Date.now() - info.mtimeMs > 600_000) await rm(lock, { recursive: true, force: true })
      else await sleep(500)
    }
  }
  try {
    await pruneOld(folder)
    await rm(folder, { recursive: true, force: true })
    await mkdir(folder, { recursive: true })
    const packed = await pack(folder, files)
    await writeFile(`${result}.part`, JSON.stringify(packed))
    await rename(`${result}.part`, result)
    return { ...packed, seconds: Math.round((Date.now() - started) / 100) / 10 }
  } finally {
    await rm(lock, { recursive: true, force: true })
  }
}
