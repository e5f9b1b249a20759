/**
 * Property-based fuzzing, bounded and seeded so that a failure reproduces: 4000 cases in all.
 * `npm run fuzz` runs the same properties far longer with a fresh seed (scripts/fuzz.ts).
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { fuzzTargets } from './fuzz-properties.js'

const SEED = 20261125
const TOTAL_RUNS = 4000

describe('fuzzing (seeded)', () => {
  for (const target of fuzzTargets()) {
    it(target.name, { timeout: 120_000 }, async () => {
      await fc.assert(target.property, {
        seed: SEED,
        numRuns: Math.round(TOTAL_RUNS * target.weight),
        endOnFailure: true,
      })
      if (target.outcomes) {
        assert.ok(
          target.outcomes.accepted > 0 && target.outcomes.refused > 0,
          `vacuous: ${JSON.stringify(target.outcomes)}`,
        )
      }
    })
  }
})
