/**
 * The emulator's webhook retries, on a compressed schedule: a delivery the endpoint refuses (or
 * cannot take) is sent again, the same message byte for byte (same messageId, same signature), as
 * Dynamic retries in a sandbox: at most twice. Closing the server drops retries still waiting.
 * Everything on 127.0.0.1.
 */
import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTestIssuer, type TestIssuerServer } from '../../src/testing/index.js'
import { verifyWebhookSignature } from '../../src/webhooks/index.js'

const SECRET = 'dyn_retry_test_secret'
const issuer = createTestIssuer()

/** An endpoint answering, per event, the statuses given in turn (then 200), recording each body and signature. */
async function endpoint(
  statuses: Record<string, number[]>,
): Promise<{ server: Server; url: string; received: Array<{ body: string; signature: string }> }> {
  const received: Array<{ body: string; signature: string }> = []
  const server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk))
    req.on('end', () => {
      received.push({ body, signature: String(req.headers['x-dynamic-signature-256']) })
      res.writeHead(statuses[(JSON.parse(body) as { eventName: string }).eventName]?.shift() ?? 200).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received }
}

async function signIn(server: TestIssuerServer, email: string): Promise<void> {
  const sdk = `${server.apiBaseUrl}/sdk/${issuer.environmentId}`
  const post = (route: string, body: unknown) =>
    fetch(`${sdk}/${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  const { verificationUUID } = (await (await post('emailVerifications/create', { email })).json()) as {
    verificationUUID: string
  }
  assert.equal(
    (await post('emailVerifications/signin', { verificationUUID, verificationToken: server.emulator.lastCode(email) }))
      .status,
    200,
  )
}

describe('webhook retries', () => {
  const open: Server[] = []
  after(() => {
    for (const server of open) {
      server.closeAllConnections()
      server.close()
    }
  })

  test('a refused delivery is sent again, the same message, until the endpoint takes it', async () => {
    // user.created refused twice, then taken; user.session.created taken at once.
    const hook = await endpoint({ 'user.created': [500, 503] })
    open.push(hook.server)
    const server = await issuer.listen({ webhook: { url: hook.url, secret: SECRET, retryDelaysMs: [20, 20] } })
    try {
      await signIn(server, 'retry@example.com')
      await server.emulator.webhooksIdle()
      const attempts = server.emulator.webhookDeliveries.map((d) => [d.eventName, d.attempt, d.status])
      assert.deepEqual(
        attempts.filter(([name]) => name === 'user.created'),
        [
          ['user.created', 1, 500],
          ['user.created', 2, 503],
          ['user.created', 3, 200],
        ],
      )
      const created = hook.received.filter(({ body }) => JSON.parse(body).eventName === 'user.created')
      assert.equal(created.length, 3)
      assert.equal(new Set(created.map(({ body }) => body)).size, 1, 'byte for byte the same message')
      for (const { body, signature } of created) assert.ok(verifyWebhookSignature(SECRET, body, signature))
    } finally {
      await server.close()
    }
  })

  test('an endpoint that never takes it: three attempts in all; [] never retries', async () => {
    const hook = await endpoint({ 'user.created': Array(20).fill(500), 'user.session.created': Array(20).fill(500) })
    open.push(hook.server)
    const server = await issuer.listen({ webhook: { url: hook.url, secret: SECRET, retryDelaysMs: [10, 10] } })
    try {
      await signIn(server, 'down@example.com')
      await server.emulator.webhooksIdle()
      const created = server.emulator.webhookDeliveries.filter((d) => d.eventName === 'user.created')
      assert.deepEqual(
        created.map((d) => d.attempt),
        [1, 2, 3],
      )
    } finally {
      await server.close()
    }
    const once = await issuer.listen({ webhook: { url: hook.url, secret: SECRET, retryDelaysMs: [] } })
    try {
      await signIn(once, 'once@example.com')
      await once.emulator.webhooksIdle()
      assert.deepEqual(
        once.emulator.webhookDeliveries.map((d) => d.attempt),
        [1, 1],
      )
    } finally {
      await once.close()
    }
    await assert.rejects(issuer.listen({ webhook: { url: hook.url, secret: SECRET, retryDelaysMs: [-1] } }), TypeError)
  })

  test('closing the server drops the retries still waiting', async () => {
    const hook = await endpoint({ 'user.created': Array(20).fill(500) })
    open.push(hook.server)
    const server = await issuer.listen({ webhook: { url: hook.url, secret: SECRET, retryDelaysMs: [60_000] } })
    await signIn(server, 'closing@example.com')
    const before = hook.received.length
    await server.close()
    await server.emulator.webhooksIdle() // resolves at once: nothing waits any more
    assert.equal(hook.received.length, before)
  })
})
