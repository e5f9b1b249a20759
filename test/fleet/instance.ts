/**
 * One verifier instance in its own process, for the fleet tests. Configured by a JSON argument;
 * driven by the parent over IPC: `verify`, `revokeSession`, `revokeUser`, `status`, `warmUp`,
 * `exit`. It forwards every revocation-store and key-store event to the parent, and can serve the
 * webhook route on 127.0.0.1. Bundled by fleet.ts into one script, so that many start fast.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createClient } from 'redis'
import { createDynamicAuth, isDynamicAuthError } from '../../src/index.js'
import { createRedisKeyStore, createRedisRevocationStore, createRedisWebhookDedupe } from '../../src/redis/index.js'
import { createDynamicWebhooks } from '../../src/webhooks/index.js'

export interface InstanceConfig {
  redisUrl: string
  environmentId: string
  jwksUrl: string
  whenStale?: 'serve' | 'refuse'
  staleAfter?: number
  sharedKeys?: boolean
  webhookSecret?: string
  /** Wait for a `go` message before warming up (so many instances start together). */
  waitForGo?: boolean
  commandTimeout?: number
  heartbeatInterval?: number
  resyncInterval?: number
  /** The webhook route's lease while onEvent runs. */
  processingLease?: number
  /**
   * Start even when Redis is absent: connect and warm up within this bound (ms), then take
   * traffic whatever happened (as the fleet guide's start-up does). Default: wait for both.
   */
  startWithin?: number
}

export type Command =
  | { id: number; op: 'verify'; token: string }
  | { id: number; op: 'verifyMany'; tokens: string[] }
  | { id: number; op: 'revokeSession'; sid: string }
  | { id: number; op: 'revokeUser'; sub: string; before?: number }
  | { id: number; op: 'status' }
  | { id: number; op: 'warmUp' }
  | { op: 'go' }
  | { op: 'exit' }

async function main(): Promise<void> {
  const send = (message: unknown) => {
    if (process.connected) process.send?.(message)
  }
  // The parent went away (a crashed test): do not linger holding Redis connections.
  process.once('disconnect', () => process.exit(0))
  const config = JSON.parse(process.argv[2]!) as InstanceConfig

  const client = createClient({
    url: config.redisUrl,
    socket: { connectTimeout: 1000, reconnectStrategy: (retries: number) => Math.min(50 + retries * 50, 300) },
  })
  client.on('error', () => undefined) // outages are part of the tests; the stores report them
  const bounded = <T>(promise: Promise<T>) =>
    config.startWithin === undefined
      ? promise
      : Promise.race([promise, new Promise<void>((resolve) => setTimeout(resolve, config.startWithin).unref())])
  // connect() waits as long as Redis is absent: bounded when asked, node-redis retries meanwhile.
  const connecting = client.connect()
  connecting.catch(() => undefined)
  await bounded(connecting)

  const timing = {
    ...(config.commandTimeout === undefined ? {} : { commandTimeout: config.commandTimeout }),
    ...(config.heartbeatInterval === undefined ? {} : { heartbeatInterval: config.heartbeatInterval }),
  }
  const revocation = createRedisRevocationStore({
    client,
    whenStale: config.whenStale ?? 'serve',
    ...(config.staleAfter === undefined ? {} : { staleAfter: config.staleAfter }),
    ...(config.resyncInterval === undefined ? {} : { resyncInterval: config.resyncInterval }),
    ...timing,
    onEvent: (event) => send({ event }),
  })
  const auth = createDynamicAuth({
    environmentId: config.environmentId,
    jwks: {
      url: config.jwksUrl,
      ...(config.sharedKeys ? { keyStore: createRedisKeyStore({ client, onEvent: (event) => send({ event }) }) } : {}),
    },
    revocation,
  })

  let server: Server | undefined
  let webhookUrl: string | undefined
  if (config.webhookSecret) {
    const webhooks = createDynamicWebhooks({
      secret: config.webhookSecret,
      auth,
      dedupe: createRedisWebhookDedupe({ client, ...timing }),
      ...(config.processingLease === undefined ? {} : { processingLease: config.processingLease }),
      // Every handled event reaches the parent, with what the endpoint did with it.
      onEvent: (event, delivery) =>
        send({ event: { type: 'webhook', eventName: event.eventName, messageId: event.messageId, ...delivery } }),
    })
    server = createServer((req, res) => void webhooks.express(req, res))
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
    webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/dynamic`
  }

  /** One verification, and how long it took in this process (ms). */
  async function verify(
    token: string,
  ): Promise<{ ok: boolean; code?: string; userId?: string; sessionId?: string | undefined; ms: number }> {
    const started = performance.now()
    try {
      const session = await auth.verifyToken(token)
      return { ok: true, userId: session.userId, sessionId: session.sessionId, ms: performance.now() - started }
    } catch (error) {
      return {
        ok: false,
        code: isDynamicAuthError(error) ? error.code : String(error),
        ms: performance.now() - started,
      }
    }
  }

  async function run(command: Exclude<Command, { op: 'go' } | { op: 'exit' }>): Promise<unknown> {
    switch (command.op) {
      case 'verify':
        return verify(command.token)
      case 'verifyMany':
        return Promise.all(command.tokens.map(verify))
      case 'revokeSession':
        await auth.revokeSession(command.sid)
        return { ok: true }
      case 'revokeUser':
        await auth.revokeUser(command.sub, command.before === undefined ? {} : { before: command.before })
        return { ok: true }
      case 'status':
        return { revocation: auth.revocationStatus(), keys: auth.keyStatus() }
      case 'warmUp':
        await auth.warmUp()
        return { ok: true }
    }
  }

  process.on('message', (command: Command) => {
    if (command.op === 'exit') {
      void (async () => {
        await revocation.close()
        await client.close().catch(() => client.destroy())
        server?.closeAllConnections()
        server?.close()
        process.disconnect?.()
      })()
      return
    }
    if (command.op === 'go') {
      auth.warmUp().then(
        () => send({ warm: true }),
        (error: unknown) => send({ warm: false, message: String(error) }),
      )
      return
    }
    run(command).then(
      (result) => send({ id: command.id, result }),
      (error: unknown) => send({ id: command.id, error: error instanceof Error ? error.message : String(error) }),
    )
  })

  if (!config.waitForGo) {
    if (config.startWithin === undefined) await auth.warmUp()
    else
      await bounded(auth.warmUp()).catch((error: unknown) =>
        send({ event: { type: 'warm_up_failed', message: String(error) } }),
      )
  }
  send({ ready: true, webhookUrl, pid: process.pid })
}

void main()
