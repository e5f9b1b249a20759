/**
 * One protected server of the rotation soak, in a process of its own: Fastify with the
 * dynamic-guard plugin mounted as the Fastify guide shows, every option at its documented default
 * but the JWKS URL (the soak's local "Dynamic") and, for a fleet, the shared Redis key store.
 * Prints `READY <port>` once it listens; exits when its parent goes away.
 */
import Fastify from 'fastify'
import { createClient } from 'redis'
import { createDynamicAuth } from '../../src/index.js'
import { dynamicAuthPlugin } from '../../src/adapters/fastify.js'
import { createRedisKeyStore } from '../../src/redis/index.js'

export interface RotationServerConfig {
  readonly environmentId: string
  readonly jwksUrl: string
  /** With a Redis URL, the instance reads the JWKS through the fleet's shared copy. */
  readonly redisUrl?: string
  readonly keyPrefix?: string
}

const config = JSON.parse(process.argv[2] ?? '{}') as RotationServerConfig

async function main(): Promise<void> {
  let keyStore
  if (config.redisUrl !== undefined) {
    const client = createClient({ url: config.redisUrl, socket: { reconnectStrategy: () => 100 } })
    client.on('error', () => undefined)
    await client.connect()
    keyStore = createRedisKeyStore({
      client,
      ...(config.keyPrefix === undefined ? {} : { keyPrefix: config.keyPrefix }),
    })
  }
  const auth = createDynamicAuth({
    environmentId: config.environmentId,
    jwks: { url: config.jwksUrl, ...(keyStore ? { keyStore } : {}) },
    telemetry: false,
  })
  const app = Fastify()
  await app.register(dynamicAuthPlugin, { auth })
  app.get('/me', async (request) => ({ userId: request.auth!.userId }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  process.stdout.write(`READY ${typeof address === 'object' && address ? address.port : 0}\n`)
}

process.on('disconnect', () => process.exit(0))
main().catch((error: unknown) => {
  process.stderr.write(`rotation-server: ${String(error)}\n`)
  process.exit(1)
})
