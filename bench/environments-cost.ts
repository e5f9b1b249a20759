/**
 * What verifying costs with a verifier over two environments against one over a single
 * environment, per request, median of interleaved rounds (telemetry off):
 *
 *   one-env warm        createDynamicAuth({ environmentId }) on a cached token
 *   two-env warm, 1st   createDynamicAuth({ environments: [live, sandbox] }) on a cached live token (1 cache lookup)
 *   two-env warm, 2nd   the same on a cached sandbox token (a lookup in each environment's cache)
 *   one-env cold        a full verification (RSA-4096), token cache off
 *   two-env cold        the same through the router (one more strict parse to read the environment)
 *   base one-env warm / cold   the same as one-env, with the verifier of the commit this branch
 *                       started from (set BASE_SRC, e.g. BASE_SRC=/work/main/src), to show that the
 *                       one-environment form is not slower
 *
 *   node --import tsx bench/environments-cost.ts
 *   BASE_SRC=/work/main/src node --import tsx bench/environments-cost.ts
 */
import { createDynamicAuth, type DynamicAuth } from '../src/index.js'
import { createTestEnvironments } from '../src/testing/environments.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7)
const WARM = 20_000
const COLD = 200
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

async function perOp(auth: DynamicAuth, tokens: readonly string[], count: number): Promise<number> {
  const start = process.hrtime.bigint()
  for (let i = 0; i < count; i++) await auth.verifyToken(tokens[i % tokens.length]!)
  return Number(process.hrtime.bigint() - start) / 1000 / count
}

const project = createTestEnvironments()
const live = project.environment('live')
const sandbox = project.environment('sandbox')
const keys = (env: typeof live) => ({ jwks: env.jwks() })
const common = { telemetry: false } as const
const two = (cacheSize?: number) =>
  createDynamicAuth({
    environments: [
      { id: live.environmentId, name: 'live', staticKeys: keys(live) },
      { id: sandbox.environmentId, name: 'sandbox', staticKeys: keys(sandbox) },
    ],
    ...common,
    ...(cacheSize === undefined ? {} : { advanced: { tokenCacheSize: cacheSize } }),
  })
const one = (make: typeof createDynamicAuth, cacheSize?: number) =>
  make({
    environmentId: live.environmentId,
    staticKeys: keys(live),
    ...common,
    ...(cacheSize === undefined ? {} : { advanced: { tokenCacheSize: cacheSize } }),
  })

const base = process.env.BASE_SRC
  ? ((await import(`${process.env.BASE_SRC}/index.ts`)) as { createDynamicAuth: typeof createDynamicAuth })
      .createDynamicAuth
  : undefined

const liveToken = [live.mint()]
const sandboxToken = [sandbox.mint()]
const coldTokens = Array.from({ length: 20 }, (_, i) => live.mint({ sub: `cold-${i}` }))
const cases: Record<string, [DynamicAuth, readonly string[], number]> = {
  'one-env warm': [one(createDynamicAuth), liveToken, WARM],
  'two-env warm, 1st env': [two(), liveToken, WARM],
  'two-env warm, 2nd env': [two(), sandboxToken, WARM],
  'one-env cold': [one(createDynamicAuth, 0), coldTokens, COLD],
  'two-env cold': [two(0), coldTokens, COLD],
}
if (base) {
  cases['base one-env warm'] = [one(base), liveToken, WARM]
  cases['base one-env cold'] = [one(base, 0), coldTokens, COLD]
}
for (const [auth, tokens] of Object.values(cases)) for (const token of tokens) await auth.verifyToken(token) // warm up
const results: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((name) => [name, []]))
for (let round = 0; round < ROUNDS; round++)
  for (const [name, [auth, tokens, count]] of Object.entries(cases))
    results[name]!.push(await perOp(auth, tokens, count))

const { loadavg } = await import('node:os')
console.log(
  `Node ${process.version}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}, ${ROUNDS} rounds`,
)
for (const [name, values] of Object.entries(results))
  console.log(`${name.padEnd(24)} ${median(values).toFixed(2).padStart(9)} µs  (min ${Math.min(...values).toFixed(2)})`)
