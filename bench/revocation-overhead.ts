/**
 * What the Redis revocation store costs on the warm path (a cached token verified again): the same
 * tokens through three verifiers in one process, interleaved round by round:
 *
 *   off        the default (in-memory store, nothing revoked)
 *   redis      the Redis store, connected to a real redis-server, nothing revoked
 *   redis+10k  the Redis store holding 10,000 revoked sessions and 1,000 revoked users
 *
 * The check is an in-process lookup either way; the target is at most 5 % over `off`. Prints the
 * ratios and writes bench/results/revocation.json. Needs redis-server (Debian's package).
 *
 *   node --import tsx bench/revocation-overhead.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import { cpus } from 'node:os'
import { createClient } from 'redis'
import { createDynamicAuth, type DynamicAuth } from '../src/index.js'
import { createRedisRevocationStore } from '../src/redis/index.js'
import { createTestIssuer } from '../src/testing/index.js'
import { startRedisServer } from '../test/fleet/redis-server.js'

const TOKENS = 100
const OPS_PER_ROUND = 500_000
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15)
const TARGET = 1.05

async function timeRound(auth: DynamicAuth, tokens: readonly string[]): Promise<number> {
  const start = process.hrtime.bigint()
  for (let i = 0; i < OPS_PER_ROUND; i++) await auth.verifyToken(tokens[i % tokens.length]!)
  return Number(process.hrtime.bigint() - start) / OPS_PER_ROUND
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

const redis = await startRedisServer()
const client = createClient({ url: redis.url })
client.on('error', () => undefined)
await client.connect()
const emptyStore = createRedisRevocationStore({ client, whenStale: 'serve', keyPrefix: 'bench-empty:' })
const fullStore = createRedisRevocationStore({ client, whenStale: 'serve', keyPrefix: 'bench-full:' })
// Another instance of the fleet, in this process: the revocations come from it.
const fillerStore = createRedisRevocationStore({ client, whenStale: 'serve', keyPrefix: 'bench-full:' })

try {
  const issuer = createTestIssuer({ modulusLength: 4096 })
  const contenders = {
    off: createDynamicAuth(issuer.authOptions()),
    redis: createDynamicAuth({ ...issuer.authOptions(), revocation: emptyStore }),
    'redis+10k': createDynamicAuth({ ...issuer.authOptions(), revocation: fullStore }),
  }
  await Promise.all(Object.values(contenders).map((auth) => auth.warmUp()))
  // Fill the second store through Redis, as revocations made elsewhere in the fleet arrive.
  const filler = createDynamicAuth({ ...issuer.authOptions(), revocation: fillerStore })
  await filler.warmUp()
  for (let batch = 0; batch < 50; batch++)
    await Promise.all(Array.from({ length: 200 }, () => filler.revokeSession(randomUUID())))
  for (let batch = 0; batch < 5; batch++)
    await Promise.all(Array.from({ length: 200 }, () => filler.revokeUser(randomUUID())))
  while (fullStore.status().entries < 11_000) await new Promise((resolve) => setTimeout(resolve, 50))

  const tokens = Array.from({ length: TOKENS }, () => issuer.mint())
  for (const auth of Object.values(contenders)) for (const token of tokens) await auth.verifyToken(token) // warm: all cached

  const samples: Record<string, number[]> = { off: [], redis: [], 'redis+10k': [] }
  for (const auth of Object.values(contenders)) await timeRound(auth, tokens) // JIT warm-up
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order every round, so no contender always runs first or last.
    const names = Object.keys(contenders) as Array<keyof typeof contenders>
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length]!
      samples[name]!.push(await timeRound(contenders[name], tokens))
    }
  }

  const off = median(samples.off!)
  const results = Object.fromEntries(
    Object.entries(samples).map(([name, values]) => [
      name,
      {
        nsPerOp: Number(median(values).toFixed(1)),
        opsPerSec: Math.round(1e9 / median(values)),
        ratio: Number((median(values) / off).toFixed(3)),
        // The fastest round: the least disturbed by other processes on a shared machine.
        bestNsPerOp: Number(Math.min(...values).toFixed(1)),
        bestRatio: Number((Math.min(...values) / Math.min(...samples.off!)).toFixed(3)),
      },
    ]),
  )
  const worst = Math.max(results.redis!.ratio, results['redis+10k']!.ratio)
  const report = {
    benchmark: 'revocation-overhead',
    description:
      'Warm path (cached token verified again): Redis revocation store on vs off, same process, interleaved rounds, medians.',
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    rounds: ROUNDS,
    opsPerRound: OPS_PER_ROUND,
    tokens: TOKENS,
    results,
    target: { maxRatio: TARGET, worstRatio: worst, met: worst <= TARGET },
  }
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true })
  writeFileSync(new URL('./results/revocation.json', import.meta.url), `${JSON.stringify(report, null, 2)}\n`)

  console.log('warm path, cached token (median of interleaved rounds)')
  for (const [name, r] of Object.entries(results)) {
    console.log(
      `  ${name.padEnd(10)} ${String(r.nsPerOp).padStart(8)} ns/op  ${String(r.opsPerSec).padStart(10)} ops/s  ×${r.ratio.toFixed(3)}   (best round ×${r.bestRatio.toFixed(3)})`,
    )
  }
  console.log(`worst ratio ×${worst.toFixed(3)} (target ≤ ×${TARGET}): ${worst <= TARGET ? 'met' : 'NOT met'}`)
  console.log('written: bench/results/revocation.json')
} finally {
  await emptyStore.close()
  await fullStore.close()
  await fillerStore.close()
  await client.close().catch(() => client.destroy())
  await redis.stop()
}
