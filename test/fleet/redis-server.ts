/**
 * A real redis-server (Debian's package) for the fleet tests: on 127.0.0.1, a free port, no
 * persistence unless asked (`appendOnly`: an AOF in a directory of its own). It can be stopped
 * and started again on the same port (without AOF a restart loses its data, as a Redis without
 * persistence does), killed with SIGKILL, and frozen with SIGSTOP (its sockets stay open).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface RedisServer {
  readonly port: number
  readonly url: string
  /** Stops the server (SIGTERM) and waits for its exit. */
  stop(): Promise<void>
  /** Starts it again on the same port. */
  start(): Promise<void>
  /** `kill -9`: no shutdown, no final save; waits for the exit. `loseData` deletes the AOF too (a restart comes back empty). */
  crash(options?: { loseData?: boolean }): Promise<void>
  /** Sends a signal to the running server (`SIGSTOP`, `SIGCONT`). */
  signal(signal: NodeJS.Signals): void
}

export interface RedisServerOptions {
  /** Persist to an append-only file (fsync every second, Redis' default), kept across restarts. */
  appendOnly?: boolean
}

async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

function launch(port: number, dir: string | undefined): Promise<ChildProcess> {
  const persistence =
    dir === undefined ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', dir]
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--protected-mode', 'yes'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  return new Promise((resolve, reject) => {
    let output = ''
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) {
        child.stdout!.off('data', onData)
        child.stdout!.resume()
        resolve(child)
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.resume()
    // A crashed test run must not leave a server behind.
    const killOnExit = () => child.kill('SIGKILL')
    process.once('exit', killOnExit)
    child.once('exit', () => process.off('exit', killOnExit))
    child.once('error', reject)
    child.once('exit', (code) =>
      reject(new Error(`redis-server exited with ${code} before it was ready: ${output.slice(-500)}`)),
    )
  })
}

/** Starts a redis-server; retries on another port if the chosen one was taken meanwhile. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  let dir: string | undefined
  if (options.appendOnly) {
    const made = mkdtempSync(join(tmpdir(), 'dynamic-guard-redis-'))
    dir = made
    process.once('exit', () => rmSync(made, { recursive: true, force: true }))
  }
  let port = 0
  let child: ChildProcess | undefined
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freePort()
    child = await launch(port, dir).catch(() => undefined)
  }
  if (!child) throw new Error('redis-server could not be started (is the redis-server package installed?)')
  let current: ChildProcess | undefined = child
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      const running = current
      current = undefined
      if (!running || running.exitCode !== null) return
      const exited = once(running, 'exit')
      running.kill('SIGTERM')
      await exited
    },
    async start() {
      if (current) return
      current = await launch(port, dir)
    },
    async crash({ loseData = false } = {}) {
      const running = current
      current = undefined
      if (running && running.exitCode === null) {
        const exited = once(running, 'exit')
        running.kill('SIGKILL')
        await exited
      }
      if (loseData && dir !== undefined)
        for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true })
    },
    signal(signal) {
      current?.kill(signal)
    },
  }
}
