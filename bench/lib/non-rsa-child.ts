/**
 * The child of `bench/non-rsa-instructions.ts`: runs phases of verifications, each ended by
 * `v8.cachedDataVersionTag()`, a call nothing else makes, on which callgrind dumps its counts.
 * Usage: child fixture.json accepted:2000 expired:20000 … (the first dump ends the start-up).
 */
import { readFileSync } from 'node:fs'
import { cachedDataVersionTag } from 'node:v8'
import { createDynamicAuth } from '../../src/index.js'
import type { SignatureBackend } from '../../src/extend.js'

const [file, ...phases] = process.argv.slice(2)
const fixture = JSON.parse(readFileSync(file!, 'utf8')) as { options: object; tokens: string[]; expired: string }
const alwaysValid: SignatureBackend = { name: 'always valid', importRsaPublicKey: () => ({}), verifyRs256: () => true }
const auth = createDynamicAuth({
  ...(fixture.options as { environmentId: string }),
  advanced: { signatureBackend: alwaysValid, tokenCacheSize: 0 },
})
const tokens = fixture.tokens

async function verifications(n: number, refused: boolean, offset: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const token = refused ? fixture.expired : tokens[(offset + i) & 511]!
    const ok = await auth.verifyToken(token).then(
      () => !refused,
      () => refused,
    )
    if (!ok) throw new Error('unexpected outcome')
  }
}

cachedDataVersionTag()
let offset = 0
for (const phase of phases) {
  const [kind, count] = phase.split(':')
  await verifications(Number(count), kind === 'expired', offset)
  offset += Number(count)
  cachedDataVersionTag()
}
