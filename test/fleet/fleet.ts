/**
 * Starts verifier instances as separate processes (test/fleet/instance.ts) and talks to them.
 * The instance script is bundled once (esbuild, which tsx already brings) so that twenty Node
 * processes start in about the time of one TypeScript compile, not twenty.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import type { Command, InstanceConfig } from './instance.js'

let bundled: Promise<string> | undefined
const running = new Set<ChildProcess>()
// A crashed test run must not leave instances behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

/** The instance script as one CommonJS file (source and dependencies), built on first use. */
function instanceScript(): Promise<string> {
  bundled ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dynamic-guard-fleet-'))
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
    const outfile = join(dir, 'instance.cjs')
    await build({
      entryPoints: [fileURLToPath(new URL('./instance.ts', import.meta.url))],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      logLevel: 'silent',
    })
    return outfile
  })()
  return bundled
}

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never
export type InstanceRequest = WithoutId<Extract<Command, { id: number }>>

export interface InstanceEvent {
  type: string
  [member: string]: unknown
}

export interface Instance {
  readonly pid: number
  readonly webhookUrl: string | undefined
  readonly events: InstanceEvent[]
  request<T = Record<string, unknown>>(command: InstanceRequest): Promise<T>
  verify(token: string): Promise<Verification>
  /** Verifies each token in the instance, concurrently; each answer says how long it took there. */
  verifyMany(tokens: string[]): Promise<Verification[]>
  /** Resolves with the first event (past or future) matching `predicate`; rejects after `timeoutMs`. */
  waitForEvent(predicate: (event: InstanceEvent) => boolean, timeoutMs?: number, from?: number): Promise<InstanceEvent>
  send(message: Command): void
  /** Resolves when the instance reports `warm` after a `go`. */
  warm(): Promise<void>
  stop(): Promise<void>
  /** `kill -9`: no shutdown; waits for the exit. Requests still waiting are rejected. */
  kill(): Promise<void>
  readonly exited: boolean
}

export interface Verification {
  ok: boolean
  code?: string
  userId?: string
  /** How long the verification took inside the instance, in ms. */
  ms: number
}

/** Spawns one instance and resolves when it is ready (connected, set loaded, unless waitForGo). */
export async function spawnInstance(config: InstanceConfig, readyTimeoutMs = 60_000): Promise<Instance> {
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  const child: ChildProcess = fork(await instanceScript(), [JSON.stringify(config)], {
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  running.add(child)
  child.once('exit', () => {
    running.delete(child)
    // A caller waiting on a dead instance is told, as a client of a crashed server would be.
    for (const waiter of pending.values()) waiter.reject(new Error('the instance exited'))
    pending.clear()
  })
  const events: InstanceEvent[] = []
  const watchers = new Set<(event: InstanceEvent) => void>()
  let nextId = 1
  let warmWaiter: { resolve: () => void; reject: (error: Error) => void } | undefined
  let ready!: { webhookUrl?: string; pid: number }

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('instance did not start in time')), readyTimeoutMs)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`instance exited with ${code} while starting`))
    })
    child.on('message', (message: Record<string, unknown>) => {
      if (message.ready) {
        clearTimeout(timer)
        ready = message as typeof ready
        resolve()
      } else if (message.event) {
        const event = message.event as InstanceEvent
        events.push(event)
        for (const watcher of watchers) watcher(event)
      } else if (typeof message.id === 'number') {
        const waiter = pending.get(message.id)
        pending.delete(message.id)
        if (message.error !== undefined) waiter?.reject(new Error(String(message.error)))
        else waiter?.resolve(message.result)
      } else if ('warm' in message) {
        if (message.warm) warmWaiter?.resolve()
        else warmWaiter?.reject(new Error(String(message.message)))
      }
    })
  })

  const instance: Instance = {
    pid: ready.pid,
    webhookUrl: ready.webhookUrl,
    events,
    request<T>(command: InstanceRequest): Promise<T> {
      const id = nextId++
      return new Promise<T>((resolve, reject) => {
        if (child.exitCode !== null || child.signalCode !== null) return reject(new Error('the instance exited'))
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
        child.send({ ...command, id }, (error) => {
          if (!error) return
          pending.delete(id)
          reject(error)
        })
      })
    },
    verify: (token) => instance.request({ op: 'verify', token }),
    verifyMany: (tokens) => instance.request({ op: 'verifyMany', tokens }),
    get exited() {
      return child.exitCode !== null || child.signalCode !== null
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGKILL')
      await exited
    },
    waitForEvent(predicate, timeoutMs = 10_000, from = 0) {
      const past = events.slice(from).find(predicate)
      if (past) return Promise.resolve(past)
      return new Promise((resolve, reject) => {
        const watcher = (event: InstanceEvent) => {
          if (!predicate(event)) return
          clearTimeout(timer)
          watchers.delete(watcher)
          resolve(event)
        }
        const timer = setTimeout(() => {
          watchers.delete(watcher)
          reject(new Error(`no matching event within ${timeoutMs} ms; saw: ${events.map((e) => e.type).join(', ')}`))
        }, timeoutMs)
        watchers.add(watcher)
      })
    },
    send: (message) => child.send(message),
    warm: () =>
      new Promise<void>((resolve, reject) => {
        warmWaiter = { resolve, reject }
      }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000)
      child.send({ op: 'exit' })
      await exited
      clearTimeout(killer)
    },
  }
  return instance
}
