/**
 * Everything a verifier records, put together once in `createDynamicAuth`. With telemetry off
 * (no provider registered or given, or `telemetry: false`) only the key monitor for `health()`
 * exists, and the verifier runs exactly as without this module.
 */
import { TokenCache } from '../cache/token-cache.js'
import type { ResolvedOptions } from '../options.js'
import { JwksFetchObserver } from './jwks-fetches.js'
import { KeyMonitor, type KeyEventListener } from './key-monitor.js'
import { ATTRIBUTES, METRICS } from './names.js'
import type { CounterLike } from './otel-types.js'
import { registerStateGauges, type StateSource } from './state-gauges.js'
import { resolveTelemetry, type TelemetrySetting } from './telemetry.js'
import { VerifyTracing } from './tracing.js'
import { VerifyMetrics } from './verify-metrics.js'

/** The recording parts of one verifier. */
export class VerifierObservability {
  readonly monitor: KeyMonitor
  /** Set when metrics are on. */
  readonly metrics: VerifyMetrics | undefined
  /** Set when traces are on. */
  readonly tracing: VerifyTracing | undefined
  /** The fetch the key store uses (wrapped when metrics or traces are on). */
  readonly fetch: typeof globalThis.fetch
  /** The key store's `onEvent`. */
  readonly onEvent: KeyEventListener
  private readonly revocations: CounterLike | undefined
  private readonly registerGauges: ((owner: StateSource) => void) | undefined

  constructor(config: ResolvedOptions, setting: TelemetrySetting | undefined) {
    const telemetry = resolveTelemetry(setting)
    const { meter, tracer } = telemetry
    const environmentId = config.environmentId
    this.metrics = meter === undefined ? undefined : VerifyMetrics.for(meter, environmentId)
    this.tracing = tracer === undefined ? undefined : new VerifyTracing(tracer, telemetry.contextManager, environmentId)
    const fetches = meter === undefined && tracer === undefined ? undefined : new JwksFetchObserver(meter, this.tracing, environmentId)
    this.fetch = fetches === undefined ? config.fetch : fetches.wrapFetch(config.fetch)
    this.monitor = new KeyMonitor(config.clock, [fetches?.onEvent, config.onEvent])
    this.onEvent = this.monitor.onEvent
    this.revocations = meter?.createCounter(METRICS.revocationsMade, { description: 'Revocations made by this instance, by type.', unit: '{revocation}' })
    this.registerGauges = meter === undefined ? undefined : (owner) => registerStateGauges(meter, owner, this.monitor, config.clock, environmentId)
    this.environmentId = environmentId
  }

  private readonly environmentId: string

  /**
   * The verified-token cache. The same class with metrics on or off (a second class would make the
   * verifier's calls into it polymorphic for every verifier of the process): hits and misses are
   * counted by the verification hooks, evictions through the cache's callback.
   */
  tokenCache(size: number): TokenCache {
    return new TokenCache(size, this.metrics?.evicted)
  }

  /** Registers the key and revocation gauges of a verifier (held weakly). */
  watch(owner: StateSource): void {
    this.registerGauges?.(owner)
  }

  /** A request refused before its token reached `verifyToken` (counted and traced like a verification). */
  refusedRequest(error: unknown): void {
    this.metrics?.refused(error, -1, false, false)
    this.tracing?.refusedRequest(error)
  }

  revocationMade(type: 'session' | 'user'): void {
    this.revocations?.add(1, { [ATTRIBUTES.environmentId]: this.environmentId, [ATTRIBUTES.revocationType]: type })
  }
}
