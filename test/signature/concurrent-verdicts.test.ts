/**
 * The concurrent path gives every token the verdict the synchronous path gives it: RSA-4096 tokens
 * of distinct users, mixed with altered signatures, other keys, expired, tampered and malformed
 * tokens, under random (seeded) interleavings of bursts, calls from separate event-loop callbacks
 * and lone callers. No timing is measured.
 */
import { before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createPublicKey, randomUUID, verify, type KeyObject } from 'node:crypto'
import { createDynamicAuth, isDynamicAuthError, type DynamicAuth } from '../../src/index.js'
import type { SignatureBackend } from '../../src/extend.js'
import { createTestIssuer, type TestIssuer } from '../../src/testing/index.js'
import { poolScheduler } from '../../src/signature/pool-scheduler.js'

/** A PRNG with a seed (mulberry32): the same seed, the same interleaving. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The reference: node:crypto's synchronous verify, nothing scheduled. */
const synchronousBackend: SignatureBackend = {
  name: 'synchronous reference',
  importRsaPublicKey: (jwk) => createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' }),
  verifyRs256: (key, input, signature) => verify('sha256', Buffer.from(input, 'latin1'), key as KeyObject, signature),
}

/**
 * The node:crypto backend's scheduler over real verifications, counting where each ran: here or
 * on the pool.
 */
function countingBackend(): { backend: SignatureBackend; ran: { here: number; pool: number } } {
  const ran = { here: 0, pool: 0 }
  const scheduler = poolScheduler<KeyObject>(
    (key, input, signature) => {
      ran.here++
      return verify('sha256', Buffer.from(input, 'latin1'), key, signature)
    },
    (key, input, signature) => {
      ran.pool++
      return new Promise((resolve) =>
        verify('sha256', Buffer.from(input, 'latin1'), key, signature, (error, valid) => resolve(!error && valid)),
      )
    },
    { poolTarget: 2 },
  )
  return {
    ran,
    backend: {
      name: 'counting',
      importRsaPublicKey: synchronousBackend.importRsaPublicKey,
      verifyRs256: (key, input, signature) => scheduler.verify(key as KeyObject, input, signature),
    },
  }
}

/** A verdict as a comparable string: the session's user and session ids, or the refusal's code. */
async function verdict(auth: DynamicAuth, token: string): Promise<string> {
  try {
    const session = await auth.verifyToken(token)
    return `ok ${session.userId} ${session.sessionId}`
  } catch (error) {
    assert.ok(isDynamicAuthError(error), `a refusal is a DynamicAuthError: ${String(error)}`)
    return `refused ${error.code}`
  }
}

function alterSignature(token: string): string {
  const at = token.length - 10
  return `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('concurrent verification (RSA-4096): every verdict equals the synchronous path', () => {
  let issuer: TestIssuer
  let tokens: string[]
  let expected: Map<string, string>

  before(async () => {
    issuer = createTestIssuer({ modulusLength: 4096 })
    // Another signer presenting our kid: its own key, never shared with ours.
    const forger = createTestIssuer({ modulusLength: 4096, freshKeys: true })
    const valid = Array.from({ length: 48 }, () => issuer.mint({ sub: randomUUID(), sid: randomUUID() }))
    tokens = [
      ...valid,
      ...valid.slice(0, 12).map(alterSignature),
      ...Array.from({ length: 6 }, () => forger.mint({ sub: randomUUID(), header: { kid: issuer.kid } })),
      ...Array.from({ length: 4 }, () => issuer.mint({ expired: true })),
      ...Array.from({ length: 4 }, () => issuer.mint({ tampered: true })),
      issuer.mint({ mfaPending: true }),
      'not.a.jwt',
      valid[0]!.slice(0, valid[0]!.lastIndexOf('.')),
    ]
    const reference = createDynamicAuth({
      ...issuer.authOptions(),
      advanced: { signatureBackend: synchronousBackend, tokenCacheSize: 0 },
    })
    expected = new Map()
    for (const token of tokens) expected.set(token, await verdict(reference, token))
    const outcomes = new Set([...expected.values()].map((v) => v.split(' ').slice(0, 2).join(' ')))
    // The mix really mixes: acceptances and several kinds of refusal.
    for (const kind of ['ok', 'refused signature_invalid', 'refused token_expired']) {
      assert.ok(
        [...outcomes].some((o) => o.startsWith(kind)),
        `the mix has ${kind}: ${[...outcomes].join(', ')}`,
      )
    }
  })

  for (const [seed, cache, backend] of [
    [1, 0, 'default'],
    [2, 0, 'counting'],
    [3, 1000, 'default'],
    [4, 0, 'default'],
    [5, 0, 'counting'],
  ] as const) {
    it(`seed ${seed}, verified-token cache ${cache ? 'on' : 'off'}, ${backend === 'default' ? 'the default node:crypto backend' : 'the scheduler, counting'}: bursts, separate callbacks and lone callers`, async () => {
      const random = prng(seed)
      const counting = countingBackend()
      const auth = createDynamicAuth({
        ...issuer.authOptions(),
        advanced: { tokenCacheSize: cache, ...(backend === 'counting' ? { signatureBackend: counting.backend } : {}) },
      })
      const pick = (): string => tokens[Math.floor(random() * tokens.length)]!
      const checked: Array<Promise<void>> = []
      const check = (token: string): Promise<void> =>
        verdict(auth, token).then((got) =>
          assert.equal(got, expected.get(token), `verdict for token #${tokens.indexOf(token)}`),
        )
      let calls = 0
      for (let step = 0; step < 60; step++) {
        const kind = random()
        if (kind < 0.3) {
          // A burst: several calls in one synchronous run (awaited together).
          const size = 2 + Math.floor(random() * 80)
          await Promise.all(Array.from({ length: size }, () => check(pick())))
          calls += size
        } else if (kind < 0.55) {
          // Requests from separate sockets: each call in its own event-loop callback, not awaited
          // before the next one starts (overlap seen through the pool).
          const size = 2 + Math.floor(random() * 60)
          for (let i = 0; i < size; i++)
            checked.push(
              new Promise<void>((resolve, reject) => setImmediate(() => check(pick()).then(resolve, reject))),
            )
          calls += size
          if (random() < 0.5) await Promise.all(checked.splice(0))
        } else if (kind < 0.9) {
          // A lone caller: one call at a time, awaited, sometimes with turns of the loop between.
          const size = 1 + Math.floor(random() * 150)
          for (let i = 0; i < size; i++) {
            await check(pick())
            if (random() < 0.1) await nextTurn()
          }
          calls += size
        } else {
          await nextTurn()
        }
      }
      await Promise.all(checked)
      assert.ok(calls > 500, `${calls} verifications`)
      if (backend === 'counting') {
        // Both paths were taken (a signature check can be skipped only for a malformed token).
        const { here, pool } = counting.ran
        assert.ok(pool > 50 && here > 50, `here ${here}, pool ${pool}`)
      }
    })
  }
})
