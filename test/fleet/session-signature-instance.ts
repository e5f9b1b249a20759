/**
 * One instance of a fleet for the session-key replay test: its own process, an Express app whose
 * route requires a request signed with the session key, its one-time store on the shared
 * redis-server. It answers its port on the IPC channel once listening. Argument: JSON
 * `{ redisUrl, authOptions }`.
 */
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { createClient } from 'redis'
import { createDynamicAuth, type DynamicAuthOptions } from '../../src/index.js'
import { dynamicAuth, requireSessionSignature } from '../../src/adapters/express.js'
import { createRedisOneTimeStore } from '../../src/redis/index.js'

const { redisUrl, authOptions } = JSON.parse(process.argv[2]!) as { redisUrl: string; authOptions: DynamicAuthOptions }
const client = createClient({ url: redisUrl, socket: { connectTimeout: 1000, reconnectStrategy: () => 100 } })
client.on('error', () => undefined)
await client.connect()
const auth = createDynamicAuth({ ...authOptions, oneTimeStore: createRedisOneTimeStore({ client }), logger: false })
const app = express()
const keepBytes = express.json({
  verify: (req, _res, bytes) => {
    ;(req as typeof req & { rawBody?: Buffer }).rawBody = bytes
  },
})
app.post('/transfers', keepBytes, dynamicAuth(auth), requireSessionSignature(), (_req, res) => {
  res.json({ ok: true, pid: process.pid })
})
const server = app.listen(0, '127.0.0.1')
await once(server, 'listening')
process.send!({ port: (server.address() as AddressInfo).port })
process.on('disconnect', () => process.exit(0))
