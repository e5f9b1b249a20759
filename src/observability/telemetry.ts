/**
 * The `telemetry` option: which OpenTelemetry providers dynamic-guard records to, resolved once
 * when the verifier (or webhook endpoint) is created. Default: the providers the application
 * registered globally with `@opentelemetry/api`; nothing when there are none.
 */
import { DynamicAuthConfigError } from '../errors.js'
import { registeredOpenTelemetry } from './load-otel.js'
import { INSTRUMENTATION_SCOPE } from './names.js'
import type { TelemetryOptions, TelemetrySetting } from '../options.js'
import type { ContextManagerLike, MeterLike, TracerLike } from '../util/otel-types.js'

/** What a component records to; `undefined` members are off. */
export interface ResolvedTelemetry {
  readonly meter: MeterLike | undefined
  readonly tracer: TracerLike | undefined
  readonly contextManager: ContextManagerLike | undefined
}

const OFF: ResolvedTelemetry = Object.freeze({ meter: undefined, tracer: undefined, contextManager: undefined })

function fail(message: string): never {
  throw new DynamicAuthConfigError(`dynamic-guard: ${message}`)
}

/** Validates the `telemetry` option and finds the providers. Throws {@link DynamicAuthConfigError}. */
export function resolveTelemetry(setting: TelemetrySetting | undefined): ResolvedTelemetry {
  if (setting === false) return OFF
  if (setting !== undefined && (typeof setting !== 'object' || setting === null)) {
    fail('telemetry must be false or { metrics?, traces?, meterProvider?, tracerProvider? }.')
  }
  const options: TelemetryOptions = setting ?? {}
  for (const name of ['metrics', 'traces'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'boolean') fail(`telemetry.${name} must be a boolean.`)
  }
  if (options.meterProvider !== undefined && typeof options.meterProvider?.getMeter !== 'function')
    fail('telemetry.meterProvider must be an OpenTelemetry MeterProvider.')
  if (options.tracerProvider !== undefined && typeof options.tracerProvider?.getTracer !== 'function')
    fail('telemetry.tracerProvider must be an OpenTelemetry TracerProvider.')
  const registered = registeredOpenTelemetry()
  const meterProvider = options.metrics === false ? undefined : (options.meterProvider ?? registered.meterProvider)
  const tracerProvider = options.traces === false ? undefined : (options.tracerProvider ?? registered.tracerProvider)
  if (meterProvider === undefined && tracerProvider === undefined) return OFF
  return {
    meter: meterProvider?.getMeter(INSTRUMENTATION_SCOPE),
    tracer: tracerProvider?.getTracer(INSTRUMENTATION_SCOPE),
    contextManager: registered.contextManager,
  }
}
