/**
 * The long fuzz run: the same properties as test/security/fuzz.test.ts, many more cases, a fresh
 * seed each time (printed, so a failure can be replayed).
 *
 *   npm run fuzz                                  # 500 000 cases, random seed
 *   FUZZ_RUNS=1000000 FUZZ_SEED=42 npm run fuzz   # more cases, a given seed
 */
import fc from 'fast-check'
import { fuzzTargets } from '../test/security/fuzz-properties.js'

const runs = Number(process.env.FUZZ_RUNS ?? 500_000)
const seed =
  process.env.FUZZ_SEED === undefined ? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0 : Number(process.env.FUZZ_SEED)
if (!Number.isSafeInteger(runs) || runs <= 0 || !Number.isSafeInteger(seed)) {
  console.error('FUZZ_RUNS must be a positive integer and FUZZ_SEED an integer.')
  process.exit(2)
}

console.log(`fuzz: ${runs} cases, seed ${seed} (replay with FUZZ_SEED=${seed})`)
let failed = false
for (const target of fuzzTargets()) {
  const numRuns = Math.max(1, Math.round(runs * target.weight))
  const started = performance.now()
  const details = await fc.check(target.property, { seed, numRuns })
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  if (details.failed) {
    failed = true
    console.log(`FAIL ${target.name} after ${details.numRuns} cases (${seconds} s)`)
    console.log(fc.defaultReportMessage(details))
  } else {
    const outcomes = target.outcomes ? ` ${JSON.stringify(target.outcomes)}` : ''
    console.log(`ok   ${target.name}: ${details.numRuns} cases in ${seconds} s${outcomes}`)
  }
}
process.exit(failed ? 1 : 0)
