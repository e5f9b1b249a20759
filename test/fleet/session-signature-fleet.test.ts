/**
 * The session-key proof across a fleet: two instances in separate processes, their nonces in one
 * real redis-server (createRedisOneTimeStore), each signed request sent to both at once. Exactly
 * one accepts it; the other refuses it as a replay.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { createTestIssuer, TEST_SESSION_KEY } from '../../src/testing/index.js'
import { jwkSessionSigner, signRequest } from '../../src/session-key/client.js'
import { startRedisServer, type RedisServer } from './redis-server.js'

const issuer = createTestIssuer()

describe('requireSessionSignature across instances sharing a redis-server', () => {
  let redis: RedisServer
  const children: ChildProcess[] = []

  before(async () => {
    redis = await startRedisServer()
  })
  after(async () => {
    for (const child of children) child.kill('SIGKILL')
    await redis.stop()
  })

  test('a signed request sent to two instances at once is accepted by exactly one; the other answers session_signature_replayed', async () => {
    const script = fileURLToPath(new URL('./session-signature-instance.ts', import.meta.url))
    const config = JSON.stringify({ redisUrl: redis.url, authOptions: issuer.authOptions() })
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
    const token = issuer.mint()
    const signer = await jwkSessionSigner(TEST_SESSION_KEY.privateKeyJwk)
    const body = JSON.stringify({ amount: '10.5', to: '0x71C7656EC7ab88b098defB751B7401B5f6d8976F' })
    for (let round = 0; round < 20; round++) {
      // Only the path and query are signed: one signature fits both instances' origins.
      const proof = await signRequest({ method: 'POST', url: 'http://fleet.example/transfers', body }, signer)
      const answers = await Promise.all(
        ports.map((port) =>
          fetch(`http://127.0.0.1:${port}/transfers`, {
            method: 'POST',
            body,
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...proof },
          }).then(async (response) => ({
            status: response.status,
            body: (await response.json()) as Record<string, unknown>,
          })),
        ),
      )
      const accepted = answers.filter((answer) => answer.status === 200)
      const refused = answers.filter((answer) => answer.status === 401)
      assert.equal(accepted.length, 1, `round ${round}: ${JSON.stringify(answers)}`)
      assert.equal(refused.length, 1, `round ${round}: ${JSON.stringify(answers)}`)
      assert.equal(refused[0]!.body.code, 'session_signature_replayed')
    }
  })
})
