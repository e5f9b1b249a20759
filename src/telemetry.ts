/**
 * dynamic-guard/telemetry: the names dynamic-guard records under (metrics, spans, attributes),
 * the types of the `telemetry` option and of `auth.health()`, the hooks a verifier reports to,
 * and the health endpoint for plain node:http (each adapter has its own `healthCheck`).
 *
 * @example
 * import { METRIC_NAMES } from 'dynamic-guard/telemetry'
 * // METRIC_NAMES.verifications === 'dynamic_guard.verifications'
 *
 * @packageDocumentation
 */
export {
  METRICS as METRIC_NAMES,
  SPANS as SPAN_NAMES,
  ATTRIBUTES as TELEMETRY_ATTRIBUTES,
  type JwksFetchResult,
} from './observability/names.js'
export type { TelemetryOptions, TelemetrySetting } from './options.js'
export type { MeterProviderLike, TracerProviderLike } from './util/otel-types.js'
export type {
  DynamicAuthHealth,
  EnvironmentHealth,
  HealthStatus,
  KeysHealth,
  RevocationHealth,
} from './health/health.js'
export { nodeHealthCheck, type HealthCheckOptions, type HealthSource, type NodeHealthResponse } from './http/health.js'
export type { ObservedVerifier, VerifierHooks } from './hooks.js'
