/**
 * Verification metrics. The cached path of `verifyToken` takes well under a microsecond, so it
 * must not pay an SDK call per verification: counts are kept in plain numbers here and handed to
 * the SDK by observable counters when it collects (a cumulative count read at collection is what a
 * synchronous counter would have summed). The duration histogram is recorded for every cold
 * verification and for one cached verification in {@link CACHED_DURATION_SAMPLING}.
 */
import { codeOf } from './tracing.js'
import type { DynamicSession } from '../session/session.js'
import { ATTRIBUTES, CACHED_DURATION_SAMPLING, DURATION_BUCKETS, METRICS } from './names.js'
import type { HistogramLike, MeterLike, ObservableResultLike, TelemetryAttributes } from '../util/otel-types.js'

const KINDS = ['access', 'id', 'unknown'] as const
type Kind = (typeof KINDS)[number]
const PATHS = ['cold', 'cached'] as const

/** Counts of one outcome (verified, or one refusal code) by token kind × path. */
class Slot {
  readonly counts = new Float64Array(KINDS.length * PATHS.length)
  readonly attributes: TelemetryAttributes[]
  constructor(base: TelemetryAttributes) {
    this.attributes = []
    for (const kind of KINDS)
      for (const path of PATHS) this.attributes.push({ ...base, [ATTRIBUTES.tokenKind]: kind, [ATTRIBUTES.path]: path })
  }
}

const kindIndex = (kind: Kind | undefined): number => (kind === 'access' ? 0 : kind === 'id' ? 1 : 2)
/** Refusal codes are a closed list; anything else (a custom store's error) is counted as `other`. */
const CODE = /^[a-z_]{1,40}$/

const now =
  typeof performance === 'object' && typeof performance.now === 'function' ? () => performance.now() : () => Date.now()

/**
 * One set of instruments per meter and environment, shared by every verifier of that environment:
 * two callbacks observing the same attributes would overwrite each other's counts, where a
 * counter must sum them.
 */
const shared = new WeakMap<MeterLike, Map<string, VerifyMetrics>>()

/** The verifier's metrics: counters kept here, a histogram recorded through the SDK. */
export class VerifyMetrics {
  /** The metrics of `environmentId` on `meter`, created on first use. */
  static for(meter: MeterLike, environmentId: string): VerifyMetrics {
    let byEnvironment = shared.get(meter)
    if (byEnvironment === undefined) shared.set(meter, (byEnvironment = new Map()))
    let metrics = byEnvironment.get(environmentId)
    if (metrics === undefined) byEnvironment.set(environmentId, (metrics = new VerifyMetrics(meter, environmentId)))
    return metrics
  }

  private readonly verifiedSlot: Slot
  private readonly refusedSlots = new Map<string, Slot>()
  private readonly duration: HistogramLike
  private readonly durationAttributes: TelemetryAttributes[]
  private sample = 0
  private readonly base: TelemetryAttributes
  /** Verified-token cache lookups that answered, and that did not; entries evicted. */
  private hits = 0
  private misses = 0
  private evictions = 0

  private constructor(meter: MeterLike, environmentId: string) {
    this.base = { [ATTRIBUTES.environmentId]: environmentId }
    this.verifiedSlot = new Slot({ ...this.base, [ATTRIBUTES.outcome]: 'verified' })
    this.duration = meter.createHistogram(METRICS.verificationDuration, {
      description: 'Time to verify a token, by outcome and path (cold: every call; cached: a sample).',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    })
    this.durationAttributes = []
    for (const outcome of ['verified', 'refused'])
      for (const path of PATHS)
        this.durationAttributes.push({ ...this.base, [ATTRIBUTES.outcome]: outcome, [ATTRIBUTES.path]: path })
    const counter = meter.createObservableCounter(METRICS.verifications, {
      description: 'Verifications by outcome, refusal code (error.type), token kind and path.',
      unit: '{verification}',
    })
    counter.addCallback((result) => this.observe(result))
    const hit: TelemetryAttributes = { ...this.base, [ATTRIBUTES.cacheResult]: 'hit' }
    const miss: TelemetryAttributes = { ...this.base, [ATTRIBUTES.cacheResult]: 'miss' }
    meter
      .createObservableCounter(METRICS.cacheLookups, {
        description: 'Verified-token cache lookups, by result (hit or miss).',
        unit: '{lookup}',
      })
      .addCallback((result) => {
        result.observe(this.hits, hit)
        result.observe(this.misses, miss)
      })
    meter
      .createObservableCounter(METRICS.cacheEvictions, {
        description: 'Entries the full verified-token cache dropped to make room.',
        unit: '{entry}',
      })
      .addCallback((result) => result.observe(this.evictions, this.base))
  }

  /** The token cache's eviction callback. */
  readonly evicted = (): void => {
    this.evictions++
  }

  /** At the start of a call: a timestamp for a sampled call, else -1. */
  begin(): number {
    if (++this.sample < CACHED_DURATION_SAMPLING) return -1
    this.sample = 0
    return now()
  }

  /** The cold path always gets a timestamp. */
  now(): number {
    return now()
  }

  /** A verification that succeeded; `cached` when the verified-token cache answered it. */
  verified(session: DynamicSession, started: number, cached: boolean): void {
    const path = cached ? 1 : 0
    if (cached) this.hits++
    else this.misses++
    this.verifiedSlot.counts[kindIndex(session.tokenKind) * 2 + path]! += 1
    if (started >= 0) this.duration.record((now() - started) / 1000, this.durationAttributes[path])
  }

  /** A refusal; `lookedUp` false for one the HTTP layer made before any cache lookup. */
  refused(error: unknown, started: number, cached: boolean, lookedUp = true): void {
    const path = cached ? 1 : 0
    if (cached) this.hits++
    else if (lookedUp) this.misses++
    this.slotOf(error).counts[kindIndex(undefined) * 2 + path]! += 1
    if (started >= 0) this.duration.record((now() - started) / 1000, this.durationAttributes[2 + path])
  }

  /** Observes the outcome of a cold verification that settles later. */
  track(settled: Promise<DynamicSession>, started: number): void {
    settled.then(
      (session) => this.verified(session, started, false),
      (error: unknown) => this.refused(error, started, false),
    )
  }

  private slotOf(error: unknown): Slot {
    const raw = codeOf(error)
    const code = CODE.test(raw) ? raw : 'other'
    let slot = this.refusedSlots.get(code)
    if (slot === undefined) {
      slot = new Slot({ ...this.base, [ATTRIBUTES.outcome]: 'refused', [ATTRIBUTES.errorType]: code })
      this.refusedSlots.set(code, slot)
    }
    return slot
  }

  private observe(result: ObservableResultLike): void {
    for (const slot of [this.verifiedSlot, ...this.refusedSlots.values()]) {
      for (let i = 0; i < slot.counts.length; i++)
        if (slot.counts[i]! > 0) result.observe(slot.counts[i]!, slot.attributes[i])
    }
  }
}

/**
 * An observable callback that holds its owner weakly: a verifier that is no longer used can be
 * collected even though the meter keeps the callback (which then observes nothing).
 */
export function weakCallback<T extends object>(
  owner: T,
  observe: (owner: T, result: ObservableResultLike) => void,
): (result: ObservableResultLike) => void {
  const ref = new WeakRef(owner)
  return (result) => {
    const target = ref.deref()
    if (target !== undefined) observe(target, result)
  }
}
