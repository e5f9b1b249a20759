/** The shapes every bench case shares: a case produces rows; the runner prints, charts and saves them. */
import type { Fixture } from './fixture.js'
import type { Verify } from './contenders.js'

export type Unit = 'verifications/s' | 'refusals/s' | 'ms' | 'MB' | 'req/s'

export interface Row {
  /** The case id, e.g. `cold`. */
  readonly case: string
  /** The contender id, e.g. `fast-jwt`. */
  readonly contender: string
  readonly label: string
  /** The median of `samples`. */
  readonly value: number
  readonly unit: Unit
  readonly samples: readonly number[]
  /** Further figures (latency percentiles, ...). */
  readonly extra?: Readonly<Record<string, number | string>>
}

export interface CaseResult {
  readonly rows: readonly Row[]
  /** Free text printed under the case's table (and saved). */
  readonly notes?: readonly string[]
  /** When a case measures several things (HTTP: one per framework), one table each. */
  readonly sections?: ReadonlyArray<{ readonly id: string; readonly title: string; readonly rows: readonly Row[] }>
}

export interface BenchContext {
  /** Repetitions per measurement (medians are reported). */
  readonly reps: number
  /** Measured time per repetition for library-level loops, ms. */
  readonly loopMs: number
  /**
   * The shared key, tokens and JWKS server (created on first use), RSA-4096 unless `bits` says
   * otherwise (2048 for the second table).
   */
  fixture(bits?: number): Promise<Fixture>
  /**
   * Ready verifiers by contender id (created on first use, keys loaded), over `fixture(bits)`.
   * `cold`: the verifiers of the cold cases (dynamic-guard with its verified-token cache off).
   */
  verifiers(bits?: number, kind?: 'cold'): Promise<ReadonlyMap<string, Verify>>
  /** Prints one progress line. */
  progress(message: string): void
  /** Rows of cases that ran before this one (for ratios across cases). */
  readonly rows: readonly Row[]
}

export interface BenchCase {
  readonly id: string
  readonly title: string
  run(ctx: BenchContext): Promise<CaseResult>
}
