/**
 * Interleaved A/B of scheduling policies for the node:crypto backend, in one process: each policy
 * runs for a short window in turn (A B C … C B A …), many times, so that on a shared machine they
 * all see the same moments; totals per policy are compared with the first one. RSA-4096 tokens of
 * distinct users, verified-token cache off.
 *
 *   node --import tsx bench/scheduler-ab.ts many pool,t4,t2,t4m16 [rounds=16] [windowMs=100]
 *   node --import tsx bench/scheduler-ab.ts one floor,sync,t4
 *
 * many: 64 in flight; one: one at a time. Policies: floor (synchronous crypto.verify), pool
 * (callback crypto.verify), sync (dynamic-guard, always synchronous), tN[mK] (dynamic-guard with
 * poolTarget N, maxInFlight K). Prints rate, ratio and CPU µs per verification.
 */
import { createPublicKey, randomUUID, verify, type KeyObject } from 'node:crypto'
import { loadavg } from 'node:os'
import { createDynamicAuth } from '../src/index.js'
import type { SignatureBackend } from '../src/extend.js'
import { poolScheduler, type PoolScheduler } from '../src/signature/pool-scheduler.js'
import { createTestIssuer } from '../src/testing/index.js'
import { inFlight, oneAtATime } from './lib/measure.js'
import type { Verify } from './lib/contenders.js'

const [mode = 'many', list = 'pool,t4,t2,t4m16', roundsArg = '16', windowArg = '100'] = process.argv.slice(2)
const issuer = createTestIssuer({ modulusLength: 4096 })
const tokens = Array.from({ length: 512 }, () => issuer.mint({ sub: randomUUID(), sid: randomUUID() }))
const jwk = issuer.jwks().keys[0] as { n: string; e: string }
const publicKey = createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' })

const here = (key: KeyObject, input: string, signature: Uint8Array): boolean =>
  verify('sha256', Buffer.from(input, 'latin1'), key, signature)
const onPool = (key: KeyObject, input: string, signature: Uint8Array): Promise<boolean> =>
  new Promise((resolve) =>
    verify('sha256', Buffer.from(input, 'latin1'), key, signature, (error, valid) => resolve(!error && valid)),
  )

function withScheduler(scheduler: PoolScheduler<KeyObject> | undefined): Verify {
  const backend: SignatureBackend = {
    name: 'scheduler under test',
    importRsaPublicKey: (key) => createPublicKey({ key: { kty: 'RSA', n: key.n, e: key.e }, format: 'jwk' }),
    verifyRs256: (key, input, signature) =>
      scheduler ? scheduler.verify(key as KeyObject, input, signature) : here(key as KeyObject, input, signature),
  }
  const auth = createDynamicAuth({
    ...issuer.authOptions(),
    advanced: { signatureBackend: backend, tokenCacheSize: 0 },
  })
  return (token) => auth.verifyToken(token)
}

function bare(callback: boolean): Verify {
  return (token) => {
    const dot = token.lastIndexOf('.')
    const input = Buffer.from(token.slice(0, dot))
    const signature = Buffer.from(token.slice(dot + 1), 'base64url')
    if (!callback) return verify('sha256', input, publicKey, signature)
    return new Promise<boolean>((resolve) =>
      verify('sha256', input, publicKey, signature, (error, valid) => resolve(!error && valid)),
    )
  }
}

function policy(name: string): Verify {
  if (name === 'floor') return bare(false)
  if (name === 'pool') return bare(true)
  if (name === 'sync') return withScheduler(undefined)
  const match = /^t(\d+)(?:m(\d+))?$/.exec(name)
  if (!match) throw new Error(`unknown policy ${name}`)
  return withScheduler(
    poolScheduler(here, onPool, {
      poolTarget: Number(match[1]),
      ...(match[2] ? { maxInFlight: Number(match[2]) } : {}),
    }),
  )
}

const names = list.split(',')
const policies = names.map((name) => ({ name, verify: policy(name), count: 0, ms: 0, cpuUs: 0 }))
const rounds = Number(roundsArg)
const windowMs = Number(windowArg)
for (const p of policies)
  await (mode === 'one' ? oneAtATime(p.verify, tokens, { ms: 100 }) : inFlight(p.verify, tokens, 64, { ms: 100 }))
const loadBefore = loadavg()[0]!
for (let round = 0; round < rounds; round++) {
  for (const p of round % 2 ? [...policies].reverse() : policies) {
    const cpu = process.cpuUsage()
    const started = performance.now()
    const rate =
      mode === 'one'
        ? await oneAtATime(p.verify, tokens, { ms: windowMs, warmupMs: 0 })
        : await inFlight(p.verify, tokens, 64, { ms: windowMs, warmupMs: 0 })
    const ms = performance.now() - started
    const used = process.cpuUsage(cpu)
    p.count += (rate * ms) / 1000
    p.ms += ms
    p.cpuUs += used.user + used.system
  }
}
const base = (policies[0]!.count * 1000) / policies[0]!.ms
console.log(
  `${mode === 'one' ? 'one at a time' : '64 in flight'}, ${rounds} × ${windowMs} ms each, load average ${loadBefore.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}`,
)
for (const p of policies) {
  const rate = (p.count * 1000) / p.ms
  console.log(
    `  ${p.name.padEnd(6)} ${Math.round(rate).toString().padStart(6)}/s  ${(rate / base).toFixed(2)}×  ${(p.cpuUs / p.count).toFixed(0)} µs CPU per verification`,
  )
}
