/**
 * The telemetry of one verifier, as the hooks it calls ({@link VerifierHooks}). Put together once
 * in `createDynamicAuth`; with telemetry off (no provider registered or given, or
 * `telemetry: false`) there is nothing to record and the verifier gets `NO_HOOKS` instead.
 */
import { NO_HOOKS, type ObservedVerifier, type VerifierHooks } from '../hooks.js'
import type { KeyEventFacts } from '../health/key-monitor.js'
import type { KeyStoreEvent } from '../keys/key-store.js'
import type { TelemetrySetting } from '../options.js'
import type { DynamicSession } from '../session/session.js'
import type { CounterLike } from '../util/otel-types.js'
import { JwksFetchObserver } from './jwks-fetches.js'
import { ATTRIBUTES, METRICS } from './names.js'
import { registerStateGauges } from './state-gauges.js'
import { resolveTelemetry } from './telemetry.js'
import { VerifyTracing } from './tracing.js'
import { VerifyMetrics } from './verify-metrics.js'

/** What the telemetry of a verifier needs to know of it. */
export interface ObservedConfig {
  readonly environmentId: string
  readonly clock: () => number
}

/** The hooks of one verifier: {@link NO_HOOKS} when telemetry is off. Throws DynamicAuthConfigError for a bad setting. */
export function verifierHooks(config: ObservedConfig, setting: TelemetrySetting | undefined): VerifierHooks {
  const { meter, tracer, contextManager } = resolveTelemetry(setting)
  if (meter === undefined && tracer === undefined) return NO_HOOKS
  return new VerifierTelemetry(
    config,
    meter === undefined ? undefined : VerifyMetrics.for(meter, config.environmentId),
    tracer === undefined ? undefined : new VerifyTracing(tracer, contextManager, config.environmentId),
    meter,
  )
}

/** Metrics, traces, or both. */
class VerifierTelemetry implements VerifierHooks {
  readonly evicted: (() => void) | undefined
  readonly wrap: VerifierHooks['wrap']
  private readonly fetches: JwksFetchObserver
  private readonly revocations: CounterLike | undefined

  constructor(
    private readonly config: ObservedConfig,
    private readonly metrics: VerifyMetrics | undefined,
    private readonly tracing: VerifyTracing | undefined,
    private readonly meter: Parameters<typeof registerStateGauges>[0] | undefined,
  ) {
    this.evicted = metrics?.evicted
    this.wrap = tracing === undefined ? undefined : (verify) => tracing.verify(verify)
    this.fetches = new JwksFetchObserver(meter, tracing, config.environmentId)
    this.revocations = meter?.createCounter(METRICS.revocationsMade, {
      description: 'Revocations made by this instance, by type.',
      unit: '{revocation}',
    })
  }

  started(): number {
    return this.metrics === undefined ? -1 : this.metrics.begin()
  }

  coldStarted(mark: number): number {
    return this.metrics === undefined || mark >= 0 ? mark : this.metrics.now()
  }

  verified(session: DynamicSession, mark: number, cached: boolean): void {
    this.metrics?.verified(session, mark, cached)
  }

  refused(error: unknown, mark: number, cached: boolean): void {
    this.metrics?.refused(error, mark, cached)
  }

  settles(result: Promise<DynamicSession>, mark: number): void {
    this.metrics?.track(result, mark)
  }

  /** Counted and traced like a verification, without a cache lookup. */
  requestRefused(error: unknown): void {
    this.metrics?.refused(error, -1, false, false)
    this.tracing?.refusedRequest(error)
  }

  revoked(type: 'session' | 'user'): void {
    this.revocations?.add(1, {
      [ATTRIBUTES.environmentId]: this.config.environmentId,
      [ATTRIBUTES.revocationType]: type,
    })
  }

  jwksFetch(fetch: typeof globalThis.fetch): typeof globalThis.fetch {
    return this.fetches.wrapFetch(fetch)
  }

  keyEvent(event: KeyStoreEvent): void {
    this.fetches.onEvent(event)
  }

  attach(verifier: ObservedVerifier, facts: KeyEventFacts): void {
    if (this.meter !== undefined)
      registerStateGauges(this.meter, verifier, facts, this.config.clock, this.config.environmentId)
  }
}
