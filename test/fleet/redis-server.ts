/**
 * A real redis-server (Debian's package) for the fleet tests: on 127.0.0.1, a free port, no
 * persistence. It can be stopped and started again on the same port (a restart loses its data,
 * as a Redis without persistence does).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'

export interface RedisServer {
  readonly port: number
  readonly url: string
  /** Stops the server (SIGTERM) and waits for its exit. */
  stop(): Promise<void>
  /** Starts it again on the same port. */
  start(): Promise<void>
}

async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

function launch(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
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
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code} before it was ready: ${output.slice(-500)}`)))
  })
}

/** Starts a redis-server; retries on another port if the chosen one was taken meanwhile. */
export async function startRedisServer(): Promise<RedisServer> {
  let port = 0
  let child: ChildProcess | undefined
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freePort()
    child = await launch(port).catch(() => undefined)
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
      current = await launch(port)
    },
  }
}
