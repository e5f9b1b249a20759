/**
 * Memory after a million distinct tokens, in its own process (run with --expose-gc) so that
 * nothing else in the benchmark moves the figure. Prints one JSON line.
 *
 * Signing a million RS256 tokens would take about a quarter of an hour on a small machine, so
 * here each token is the test issuer's real token with a distinct `jti` claim, and the RSA check
 * is replaced by an always-true backend (the real node:crypto backend imports the key). Every
 * other step runs as in production: strict parsing, key lookup, claims, session, the cache.
 * node:crypto's one-shot verify keeps nothing per call, so what is measured is what the
 * verifier itself retains.
 */
import { createDynamicAuth } from '../src/index.js'
import { nodeBackend } from '../src/signature/node.js'
import type { SignatureBackend } from '../src/signature/backend.js'
import { createTestIssuer } from '../src/testing/index.js'

const total = Number(process.argv[2] ?? 1_000_000)
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with --expose-gc')

const issuer = createTestIssuer({ modulusLength: 4096 })
const acceptAll: SignatureBackend = { ...nodeBackend, name: 'accept-all (memory bench)', verifyRs256: () => true }
const auth = createDynamicAuth({ ...issuer.authOptions(), advanced: { signatureBackend: acceptAll } })

// Token number i: the emulator's real header and claims plus a `jti` holding i. The claims text
// before the counter is padded to a multiple of 3 bytes, so its base64url is computed once and
// only the 9-byte tail is encoded per token.
const [headerPart, payloadPart, signaturePart] = issuer.mint({}).split('.') as [string, string, string]
const claimsText = Buffer.from(payloadPart, 'base64url').toString()
const unpadded = Buffer.byteLength(claimsText) - 1 + ',"jti":"'.length
const prefix = `${claimsText.slice(0, -1)},${' '.repeat((3 - (unpadded % 3)) % 3)}"jti":"`
const encodedPrefix = `${headerPart}.${Buffer.from(prefix).toString('base64url')}`
const tokenNumber = (i: number): string => {
  const tail = `${String(i + 1_000_000).padStart(7, '0')}"}` // 9 bytes: exactly 12 base64url characters
  return `${encodedPrefix}${Buffer.from(tail).toString('base64url')}.${signaturePart}`
}

const settle = (): NodeJS.MemoryUsage => {
  gc()
  gc()
  return process.memoryUsage()
}

// Warm the code paths and fill the cache once, so the baseline is a process in service.
for (let i = 0; i < 20_000; i++) await auth.verifyToken(tokenNumber(8_000_000 + i))
const before = settle()
const start = performance.now()
for (let i = 0; i < total; i++) {
  await auth.verifyToken(tokenNumber(i))
  if ((i & 0x3ffff) === 0x3ffff) process.stderr.write(`  memory: ${i + 1} tokens\n`)
}
const seconds = (performance.now() - start) / 1000
const after = settle()
const mb = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10
process.stdout.write(
  `${JSON.stringify({
    tokens: total,
    seconds: Math.round(seconds * 10) / 10,
    rssBeforeMB: mb(before.rss),
    rssAfterMB: mb(after.rss),
    rssGrowthMB: mb(after.rss - before.rss),
    heapGrowthMB: mb(after.heapUsed - before.heapUsed),
    cacheSize: 1000,
  })}\n`,
)
