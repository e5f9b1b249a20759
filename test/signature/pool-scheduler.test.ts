import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync, sign } from 'node:crypto'
import { poolScheduler } from '../../src/signature/pool-scheduler.js'
import { nodeBackend } from '../../src/signature/node.js'

/** A scheduler over fake verifiers that record where each call ran. */
function recording() {
  const ran = { here: 0, pool: 0 }
  const scheduler = poolScheduler<string>(
    (expected, input) => {
      ran.here++
      return expected === input
    },
    (expected, input) => {
      ran.pool++
      return new Promise((resolve) => setImmediate(() => resolve(expected === input)))
    },
  )
  return { ran, scheduler }
}

describe('pool scheduler', () => {
  it('keeps a sequential caller on the synchronous path, probing the pool rarely', async () => {
    const { ran, scheduler } = recording()
    for (let i = 0; i < 2000; i++) assert.equal(await scheduler.verify('ok', 'ok', new Uint8Array()), true)
    assert.equal(ran.here + ran.pool, 2000)
    assert.ok(ran.pool <= 2000 / 256 + 1, `${ran.pool} pool calls`)
  })

  it('spreads a burst over both paths and answers every call with its own result', async () => {
    const { ran, scheduler } = recording()
    const inputs = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? 'bad' : 'ok'))
    const results = await Promise.all(inputs.map((input) => scheduler.verify('ok', input, new Uint8Array())))
    assert.deepEqual(results, inputs.map((input) => input === 'ok'))
    assert.ok(ran.pool > 0, 'some calls went to the pool')
    assert.ok(ran.here > 0, 'some calls stayed here')
  })

  it('lets callers that resume in microtasks see the pool answers (no starvation)', async () => {
    const { ran, scheduler } = recording()
    let done = 0
    const worker = async (): Promise<void> => {
      for (let i = 0; i < 50; i++) {
        assert.equal(await scheduler.verify('ok', 'ok', new Uint8Array()), true)
        done++
      }
    }
    await Promise.all(Array.from({ length: 64 }, worker))
    assert.equal(done, 64 * 50)
    assert.ok(ran.pool > 64, `the pool kept working (${ran.pool} calls)`)
  })
})

describe('node:crypto backend under overlap', () => {
  it('gives every verification its own correct answer when many overlap', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const jwk = publicKey.export({ format: 'jwk' }) as { n: string; e: string }
    const key = await nodeBackend.importRsaPublicKey({ kty: 'RSA', n: jwk.n, e: jwk.e })
    const inputs = Array.from({ length: 40 }, (_, i) => `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(`{"i":${i}}`).toString('base64url')}`)
    const signatures = inputs.map((input) => new Uint8Array(sign('sha256', Buffer.from(input), privateKey)))
    const cases = Array.from({ length: 400 }, (_, i) => {
      const valid = i % 7 !== 0 // every 7th carries another input's signature
      return { input: inputs[i % 40]!, signature: signatures[(valid ? i : i + 1) % 40]!, valid }
    })
    const results = await Promise.all(cases.map((c) => nodeBackend.verifyRs256(key, c.input, c.signature)))
    assert.deepEqual(results, cases.map((c) => c.valid))
  })
})
