/**
 * What a cold verification costs besides the RSA check: dynamic-guard with a signature backend
 * whose check always passes, the verified-token cache off, Dynamic-shaped tokens of distinct
 * users (RSA-4096 signatures, so every size is real). Prints µs per verification: first the
 * process's first 2,000 (the code not yet optimised, as on a freshly started server; the CPU
 * figure includes V8's compiler threads), then five rounds of 100,000, for an accepted token and
 * for an expired one (refused after its signature).
 *
 *   node --import tsx bench/non-rsa-cost.ts
 */
import { randomUUID } from 'node:crypto'
import { createDynamicAuth } from '../src/index.js'
import type { SignatureBackend } from '../src/extend.js'
import { createTestIssuer } from '../src/testing/index.js'

const issuer = createTestIssuer({ modulusLength: 4096 })
const tokens = Array.from({ length: 512 }, () => issuer.mint({ sub: randomUUID(), sid: randomUUID() }))
const expired = issuer.mint({ expired: true })
const alwaysValid: SignatureBackend = { name: 'always valid', importRsaPublicKey: () => ({}), verifyRs256: () => true }
const auth = createDynamicAuth({
  ...issuer.authOptions(),
  advanced: { signatureBackend: alwaysValid, tokenCacheSize: 0 },
})

async function rounds(name: string, token: (i: number) => string, refused: boolean): Promise<void> {
  const figures: string[] = []
  for (let round = 0; round < 5; round++) {
    const n = 100_000
    const started = process.hrtime.bigint()
    for (let i = 0; i < n; i++) {
      const outcome = await auth.verifyToken(token(i)).then(
        () => !refused,
        () => refused,
      )
      if (!outcome) throw new Error(`${name}: unexpected outcome`)
    }
    figures.push((Number(process.hrtime.bigint() - started) / 1000 / n).toFixed(2))
  }
  console.log(`${name.padEnd(9)} ${figures.join(' ')} µs per verification`)
}

/** The first 2,000 verifications of this process, in four steps of 500: wall µs each, and the CPU of all threads. */
async function firstOnes(): Promise<void> {
  const steps: string[] = []
  const cpuBefore = process.cpuUsage()
  const begun = performance.now()
  for (let step = 0; step < 4; step++) {
    const started = performance.now()
    for (let i = 0; i < 500; i++) await auth.verifyToken(tokens[(step * 500 + i) & 511]!)
    steps.push(((performance.now() - started) * 2).toFixed(1)) // ms per 500 → µs each
  }
  const cpu = process.cpuUsage(cpuBefore)
  const wall = performance.now() - begun
  console.log(
    `first 2,000: ${steps.join(' ')} µs per verification (per 500); ${wall.toFixed(0)} ms, ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms of CPU`,
  )
}

console.log(`token of ${tokens[0]!.length} characters`)
await firstOnes()
await rounds('accepted', (i) => tokens[i & 511]!, false)
await rounds('expired', () => expired, true)
