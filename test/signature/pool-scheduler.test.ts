import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { sign } from 'node:crypto'
import { generateKeyPair } from '../support/key-pair.js'
import { poolScheduler, type PoolSchedulerOptions } from '../../src/signature/pool-scheduler.js'
import { nodeBackend } from '../../src/signature/node.js'

/** A scheduler over fake verifiers that record where each call ran (`where`: the order of calls). */
function recording(
  options: PoolSchedulerOptions = {},
  poolAnswer: (resolve: () => void) => void = (resolve) => setImmediate(resolve),
) {
  const ran = { here: 0, pool: 0 }
  const where: Array<'here' | 'pool'> = []
  const scheduler = poolScheduler<string>(
    (expected, input) => {
      ran.here++
      where.push('here')
      return expected === input
    },
    (expected, input) => {
      ran.pool++
      where.push('pool')
      return new Promise((resolve) => poolAnswer(() => resolve(expected === input)))
    },
    options,
  )
  return { ran, where, scheduler }
}

describe('pool scheduler', () => {
  it('keeps a sequential caller on the synchronous path, its probes answered a turn later', async () => {
    const { ran, scheduler } = recording()
    for (let i = 0; i < 2000; i++) assert.equal(await scheduler.verify('ok', 'ok', new Uint8Array()), true)
    assert.equal(ran.here + ran.pool, 2000)
    // Probes (one call in 32 answered a turn later) see no overlap: nothing goes to the pool.
    assert.equal(ran.pool, 0)
  })

  it('answers a probe a turn later, and a refused probe at once', async () => {
    const { ran, scheduler } = recording({ probeEvery: 2 })
    assert.equal(scheduler.verify('ok', 'ok', new Uint8Array()), true)
    await Promise.resolve()
    const probe = scheduler.verify('ok', 'ok', new Uint8Array())
    assert.ok(probe instanceof Promise)
    assert.equal(await probe, true)
    assert.equal(scheduler.verify('ok', 'ok', new Uint8Array()), true)
    await Promise.resolve()
    assert.equal(scheduler.verify('ok', 'bad', new Uint8Array()), false, 'a refused probe needs no turn')
    assert.equal(ran.pool, 0)
  })

  it('sends calls from separate event-loop callbacks to the pool once a probe is out', async () => {
    const { where, scheduler } = recording({ probeEvery: 8 })
    // 200 requests, each in its own callback (as from separate sockets), none awaited by the next.
    const answers = await Promise.all(
      Array.from(
        { length: 200 },
        (_, i) =>
          new Promise((resolve) =>
            setImmediate(() => resolve(scheduler.verify('ok', i % 5 ? 'ok' : 'bad', new Uint8Array()))),
          ),
      ),
    )
    assert.deepEqual(
      answers,
      Array.from({ length: 200 }, (_, i) => i % 5 !== 0),
    )
    // Calls 1-7 here, call 8 the probe (here, answered a turn later), the next ones overlap it.
    assert.equal(where.indexOf('pool'), 8)
    assert.ok(where.filter((w) => w === 'pool').length > 150, `overlapping calls went to the pool: ${where.join(' ')}`)
  })

  it('keeps the pool filled while calls overlap, however slow its answers (no timing gate)', async () => {
    const { ran, scheduler } = recording({ poolTarget: 4 }, (resolve) => setTimeout(resolve, 20))
    const results = await Promise.all(Array.from({ length: 40 }, () => scheduler.verify('ok', 'ok', new Uint8Array())))
    assert.ok(results.every((r) => r === true))
    assert.equal(ran.here, 1, 'only the first call of the burst, before any overlap, ran here')
    assert.equal(ran.pool, 39)
  })

  it('hands libuv at most maxInFlight verifications; the rest wait for a slot', async () => {
    let onPool = 0
    let most = 0
    const { ran, where, scheduler } = recording({ poolTarget: 2, maxInFlight: 4 }, (resolve) => {
      most = Math.max(most, ++onPool)
      setImmediate(() => {
        onPool--
        resolve()
      })
    })
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => scheduler.verify('ok', i % 4 === 3 ? 'bad' : 'ok', new Uint8Array())),
    )
    assert.deepEqual(
      answers,
      Array.from({ length: 30 }, (_, i) => i % 4 !== 3),
    )
    assert.equal(most, 4)
    assert.equal(ran.here, 1, 'only the first call, before any overlap, ran here')
    assert.equal(ran.pool, 29)
    assert.equal(where[0], 'here')
  })

  it('puts a lone caller back on the synchronous path right after a burst', async () => {
    const { where, scheduler } = recording()
    await Promise.all(Array.from({ length: 100 }, () => scheduler.verify('ok', 'ok', new Uint8Array())))
    where.length = 0
    for (let i = 0; i < 50; i++) assert.equal(await scheduler.verify('ok', 'ok', new Uint8Array()), true)
    // The first call after an episode that saw overlap is a probe (here, answered a turn later); nothing overlaps it.
    assert.deepEqual(
      where,
      Array.from({ length: 50 }, () => 'here'),
    )
  })

  it('passes a failure of the pool on to its caller and keeps scheduling', async () => {
    let fail = true
    const scheduler = poolScheduler<string>(
      (expected, input) => expected === input,
      (expected, input) => (fail ? Promise.reject(new Error('pool failed')) : Promise.resolve(expected === input)),
    )
    const first = Promise.all(Array.from({ length: 8 }, () => scheduler.verify('ok', 'ok', new Uint8Array())))
    await assert.rejects(first, /pool failed/)
    fail = false
    assert.deepEqual(
      await Promise.all(Array.from({ length: 8 }, () => scheduler.verify('ok', 'ok', new Uint8Array()))),
      Array.from({ length: 8 }, () => true),
    )
    for (let i = 0; i < 10; i++) assert.equal(await scheduler.verify('ok', 'ok', new Uint8Array()), true)
  })

  it('spreads a burst over both paths and answers every call with its own result', async () => {
    const { ran, scheduler } = recording()
    const inputs = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? 'bad' : 'ok'))
    const results = await Promise.all(inputs.map((input) => scheduler.verify('ok', input, new Uint8Array())))
    assert.deepEqual(
      results,
      inputs.map((input) => input === 'ok'),
    )
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
    const { privateKey, publicKey } = generateKeyPair('rsa', { modulusLength: 4096 })
    const jwk = publicKey.export({ format: 'jwk' }) as { n: string; e: string }
    const key = await nodeBackend.importRsaPublicKey({ kty: 'RSA', n: jwk.n, e: jwk.e })
    const inputs = Array.from(
      { length: 40 },
      (_, i) => `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(`{"i":${i}}`).toString('base64url')}`,
    )
    const signatures = inputs.map((input) => new Uint8Array(sign('sha256', Buffer.from(input), privateKey)))
    const cases = Array.from({ length: 400 }, (_, i) => {
      const valid = i % 7 !== 0 // every 7th carries another input's signature
      return { input: inputs[i % 40]!, signature: signatures[(valid ? i : i + 1) % 40]!, valid }
    })
    const results = await Promise.all(cases.map((c) => nodeBackend.verifyRs256(key, c.input, c.signature)))
    assert.deepEqual(
      results,
      cases.map((c) => c.valid),
    )
  })
})
