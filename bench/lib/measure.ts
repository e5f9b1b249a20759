/**
 * Timing loops. Every loop awaits what the verifier returns (as a request handler would), walks
 * the token list cyclically, and runs for a fixed time after a short warm-up. Rates are per second.
 */
import type { Verify } from './contenders.js'

export interface RunOptions {
  /** Measured time per repetition, ms. */
  readonly ms: number
  /** Warm-up time before measuring, ms. */
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
export async function oneAtATime(verify: Verify, tokens: readonly string[], options: RunOptions, expectRefusal = false): Promise<number> {
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
  await run(options.warmupMs ?? 100)
  return run(options.ms)
}

/** `concurrency` verifications in flight at all times (a closed loop, like busy keep-alive clients). */
export async function inFlight(verify: Verify, tokens: readonly string[], concurrency: number, options: RunOptions): Promise<number> {
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
  await run(options.warmupMs ?? 100)
  return run(options.ms)
}

/** Median of numbers (the middle one, or the mean of the two middle ones). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length & 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
