import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { isoTime } from '../../src/claims/time.js'

/** What the refusal messages used before isoTime: the reference it must equal. */
function viaDate(seconds: number): string {
  try {
    return new Date(seconds * 1000).toISOString()
  } catch (error) {
    return `throws ${(error as Error).name}`
  }
}

function viaIsoTime(seconds: number): string {
  try {
    return isoTime(seconds)
  } catch (error) {
    return `throws ${(error as Error).name}`
  }
}

describe('isoTime (the dates in time-claim refusals)', () => {
  it('writes what Date writes, from 1970 to 9999 and beyond, fractions and leap days included', () => {
    const samples = [
      0,
      -0,
      1e-10,
      0.0004,
      0.0009,
      0.001,
      0.9999,
      59.999,
      951_782_400,
      951_868_800,
      1_796_585_008,
      1_796_585_008.5,
      4_107_542_400,
      253_402_300_799.999,
      253_402_300_800,
      8.64e12,
      8.64e12 + 1,
      1e20,
      Number.MAX_VALUE,
    ]
    for (let s = 0; s < 253_402_300_800 + 86_400 * 800; s += 86_400 * 3.7 + 0.001) samples.push(s)
    let seed = 7
    const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
    for (let i = 0; i < 100_000; i++) samples.push(random() * 253_402_400_000, Math.floor(random() * 4e9))
    for (const s of samples) assert.equal(viaIsoTime(s), viaDate(s), `${s} seconds`)
  })
})
