/**
 * Timing loops. Every loop awaits what the verifier returns (as a request handler would), walks
 * the token list cyclically, and runs for a fixed time after a short warm-up. Rates are per second.
 */
import type { Verify } from './contenders.js'

export interface RunOptions {
  /** Measured time per repetition, ms. */
  readonly ms: number
  /** Warm-up time before measuring, ms. Default a quarter of `ms`, at most 100. */
  readonly warmupMs?: number
}

function cursor(tokens: readonly string[]): () => string {
  let i = 0
  return () => {
    const token = tokens[i]!
    i = i + 1 === tokens.length ? 0 : i + 1
    return token
  }
}

/** One verification at a time. `expectRefusal` counts refusals as the unit of work. */
export async function oneAtATime(
  verify: Verify,
  tokens: readonly string[],
  options: RunOptions,
  expectRefusal = false,
): Promise<number> {
  const next = cursor(tokens)
  const run = async (ms: number): Promise<number> => {
    let n = 0
    const start = performance.now()
    const end = start + ms
    let now = start
    while (now < end) {
      // Check the clock every 16 calls: performance.now() is cheap, but not free.
      for (let k = 0; k < 16; k++) {
        if (expectRefusal) {
          try {
            await verify(next())
          } catch {
            n++
            continue
          }
          throw new Error('a token meant to be refused was accepted')
        } else {
          await verify(next())
          n++
        }
      }
      now = performance.now()
    }
    return (n * 1000) / (now - start)
  }
  await run(options.warmupMs ?? Math.min(100, options.ms / 4))
  return run(options.ms)
}

/** `concurrency` verifications in flight at all times (a closed loop, like busy keep-alive clients). */
export async function inFlight(
  verify: Verify,
  tokens: readonly string[],
  concurrency: number,
  options: RunOptions,
): Promise<number> {
  const next = cursor(tokens)
  const run = async (ms: number): Promise<number> => {
    let n = 0
    const start = performance.now()
    const end = start + ms
    const worker = async (): Promise<void> => {
      while (performance.now() < end) {
        await verify(next())
        n++
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker))
    return (n * 1000) / (performance.now() - start)
  }
  const warmupMs = options.warmupMs ?? Math.min(100, options.ms / 4)
  if (warmupMs > 0) await run(warmupMs)
  return run(options.ms)
}

/** Median of numbers (the middle one, or the mean of the two middle ones). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length & 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export interface AfterBurst {
  /** Verifications 51-100 after a burst, per second (from the per-index medians). */
  readonly rate51to100: number
  /** The floor's 100 lone verifications right after, per second. */
  readonly floorRate: number
  /** The first index from which 10 verifications in a row run at ≥ 0.9× the floor's rate (100: never). */
  readonly recoveredAfter: number
  /** Mean time of the first 10 verifications after the burst, µs. */
  readonly first10Us: number
}

/**
 * A lone caller right after a burst: `rounds` times, 64 in flight for 50 ms, then 100 verifications
 * one at a time, each timed; then 100 of `floor`, timed the same way. Medians per index over the rounds.
 */
export async function afterBurst(
  verify: Verify,
  floor: Verify,
  tokens: readonly string[],
  rounds: number,
): Promise<AfterBurst> {
  const next = cursor(tokens)
  const ours: number[][] = Array.from({ length: 100 }, () => [])
  const base: number[][] = Array.from({ length: 100 }, () => [])
  const lone = async (v: Verify, into: number[][]): Promise<void> => {
    for (let i = 0; i < 100; i++) {
      const token = next()
      const start = performance.now()
      await v(token)
      into[i]!.push(performance.now() - start)
    }
  }
  for (let round = 0; round < rounds; round++) {
    await inFlight(verify, tokens, 64, { ms: 50, warmupMs: 0 })
    await lone(verify, ours)
    await lone(floor, base)
  }
  const oursMs = ours.map(median)
  const floorMs = base.map(median)
  const floorMean = floorMs.reduce((a, b) => a + b, 0) / floorMs.length
  const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0)
  let recoveredAfter = 100
  for (let i = 0; i + 10 <= 100; i++) {
    if (sum(oursMs.slice(i, i + 10)) / 10 <= floorMean / 0.9) {
      recoveredAfter = i
      break
    }
  }
  return {
    rate51to100: 1000 / (sum(oursMs.slice(50)) / 50),
    floorRate: 1000 / floorMean,
    recoveredAfter,
    first10Us: (sum(oursMs.slice(0, 10)) / 10) * 1000,
  }
}
