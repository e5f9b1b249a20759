/**
 * What a cold verification costs besides the RSA check: dynamic-guard with a signature backend
 * whose check always passes, the verified-token cache off, Dynamic-shaped tokens of distinct
 * users (RSA-4096 signatures, so every size is real). Prints µs per verification, five rounds of
 * 100,000, for an accepted token and for an expired one (refused after its signature).
 *
 *   node --import tsx bench/non-rsa-cost.ts
 */
import { randomUUID } from 'node:crypto'
import { createDynamicAuth, type SignatureBackend } from '../src/index.js'
import { createTestIssuer } from '../src/testing/index.js'

const issuer = createTestIssuer({ modulusLength: 4096 })
const tokens = Array.from({ length: 512 }, () => issuer.mint({ sub: randomUUID(), sid: randomUUID() }))
const expired = issuer.mint({ expired: true })
const alwaysValid: SignatureBackend = { name: 'always valid', importRsaPublicKey: () => ({}), verifyRs256: () => true }
const auth = createDynamicAuth({ ...issuer.authOptions(), signatureBackend: alwaysValid, tokenCacheSize: 0 })

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

console.log(`token of ${tokens[0]!.length} characters`)
await rounds('accepted', (i) => tokens[i & 511]!, false)
await rounds('expired', () => expired, true)
