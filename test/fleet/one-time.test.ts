/**
 * The one-time store on a real redis-server: single-use elevated tokens accepted once across
 * instances in separate processes racing for them, and a Redis that stops answering (SIGSTOP)
 * answered 503 within the command timeout, never a hang.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import express from 'express'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { createClient } from 'redis'
import { createDynamicAuth } from '../../src/index.js'
import { dynamicAuth, requireElevated } from '../../src/adapters/express.js'
import { createRedisOneTimeStore } from '../../src/redis/index.js'
import { createTestIssuer } from '../../src/testing/index.js'
import { startRedisServer, type RedisServer } from './redis-server.js'

const issuer = createTestIssuer()

describe('createRedisOneTimeStore on a real redis-server', () => {
  let redis: RedisServer
  const closers: Array<() => Promise<unknown> | unknown> = []

  before(async () => {
    redis = await startRedisServer()
  })
  after(async () => {
    for (const close of closers.reverse()) await close()
    redis.signal('SIGCONT')
    await redis.stop()
  })

  async function connected() {
    const client = createClient({ url: redis.url, socket: { connectTimeout: 1000, reconnectStrategy: () => 100 } })
    client.on('error', () => undefined)
    await client.connect()
    closers.push(() => client.close().catch(() => client.destroy()))
    return client
  }

  test('SET NX EXAT: true once per id across clients, under the key prefix, expiring at the given second', async () => {
    const a = createRedisOneTimeStore({ client: await connected(), keyPrefix: 'test:' })
    const b = createRedisOneTimeStore({ client: await connected(), keyPrefix: 'test:' })
    closers.push(
      () => a.close(),
      () => b.close(),
    )
    const expiresAt = Math.floor(Date.now() / 1000) + 120
    assert.equal(await a.claim('elevated:one', expiresAt), true)
    assert.equal(await b.claim('elevated:one', expiresAt), false)
    assert.equal(await a.claim('elevated:one', expiresAt), false)
    const inspect = await connected()
    assert.equal(await inspect.get('test:one-time:elevated:one'), '1')
    assert.equal(Number(await inspect.sendCommand(['EXPIRETIME', 'test:one-time:elevated:one'])), expiresAt)
    // An expiry already past keeps nothing (Redis drops the key at once), as the memory store does.
    const past = Math.floor(Date.now() / 1000) - 5
    assert.equal(await a.claim('elevated:past', past), true)
    assert.equal(await inspect.exists('test:one-time:elevated:past'), 0)
    assert.throws(() => createRedisOneTimeStore({ client: {} as never }), /node-redis client/)
    assert.throws(() => createRedisOneTimeStore({ client: inspect, commandTimeout: 0 }), /commandTimeout/)
  })

  test('two instances in separate processes race for each single-use token: exactly one accepts it', async () => {
    const script = fileURLToPath(new URL('./one-time-instance.ts', import.meta.url))
    const config = JSON.stringify({ redisUrl: redis.url, authOptions: issuer.authOptions() })
    const children: ChildProcess[] = []
    closers.push(() => {
      for (const child of children) child.kill('SIGKILL')
    })
    const ports = await Promise.all(
      [0, 1].map(async () => {
        const child = fork(script, [config], {
          execArgv: ['--import', 'tsx'],
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        })
        children.push(child)
        const [message] = (await once(child, 'message')) as [{ port: number }]
        return message.port
      }),
    )
    for (let round = 0; round < 20; round++) {
      const sid = `race-${round}`
      const session = issuer.mint({ sid })
      const elevated = issuer.mintElevated({ scopes: ['wallet:export'], sid })
      const answers = await Promise.all(
        ports.map((port) =>
          fetch(`http://127.0.0.1:${port}/export`, {
            method: 'POST',
            headers: { authorization: `Bearer ${session}`, 'x-dyn-elevated-access-token': elevated },
          }).then(async (response) => ({
            status: response.status,
            body: (await response.json()) as Record<string, unknown>,
          })),
        ),
      )
      const accepted = answers.filter((answer) => answer.status === 200)
      const refused = answers.filter((answer) => answer.status === 403)
      assert.equal(accepted.length, 1, `round ${round}: ${JSON.stringify(answers)}`)
      assert.equal(refused.length, 1)
      assert.equal(refused[0]!.body.code, 'elevated_token_reused')
    }
  })

  test('a Redis that stops answering (SIGSTOP) is answered 503 with Retry-After within the command timeout, then recovers', async () => {
    const store = createRedisOneTimeStore({ client: await connected(), commandTimeout: 300, heartbeatInterval: 200 })
    closers.push(() => store.close())
    const auth = createDynamicAuth({ ...issuer.authOptions(), oneTimeStore: store, logger: false })
    const app = express()
    app.use(dynamicAuth(auth))
    app.post('/export', requireElevated({ scopes: ['wallet:export'] }), (_req, res) => {
      res.json({ ok: true })
    })
    const server: Server = app.listen(0, '127.0.0.1')
    await once(server, 'listening')
    closers.push(() => new Promise((resolve) => server.close(resolve)))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/export`
    const send = (sid: string) =>
      fetch(url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${issuer.mint({ sid })}`,
          'x-dyn-elevated-access-token': issuer.mintElevated({ scopes: ['wallet:export'], sid }),
        },
        signal: AbortSignal.timeout(10_000), // a hang fails the test instead of stalling it
      })
    assert.equal((await send('before')).status, 200)
    redis.signal('SIGSTOP')
    try {
      for (const sid of ['frozen-1', 'frozen-2']) {
        const response = await send(sid)
        assert.equal(response.status, 503)
        assert.equal(response.headers.get('retry-after'), '5')
        const body = (await response.json()) as Record<string, unknown>
        assert.equal(body.code, 'one_time_store_unavailable')
        assert.equal(body.error, 'temporarily_unavailable')
      }
    } finally {
      redis.signal('SIGCONT')
    }
    // Once Redis answers a PING again, claims go through.
    let status = 0
    for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
      status = (await send(`after-${attempt}`)).status
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    assert.equal(status, 200)
  })
})
