/**
 * Finds OpenTelemetry without importing it. `@opentelemetry/api` is an optional peer dependency,
 * and the package ships ESM, CJS and a web build: a synchronous `require` does not exist in ESM
 * or on Workers, and a lazy `import()` would miss the first verifications. Every copy of the 1.x
 * API keeps what the application registered (`metrics.setGlobalMeterProvider`,
 * `trace.setGlobalTracerProvider`, `context.setGlobalContextManager`, which an SDK's `start()`
 * or `register()` call) in one object on `globalThis` under `Symbol.for('opentelemetry.js.api.1')`;
 * its own `metrics.getMeterProvider()` reads exactly that. Reading the slot is therefore the same
 * lookup the API does, costs nothing when the API is absent, and works in every build.
 */
import type { ContextManagerLike, MeterProviderLike, TracerProviderLike } from '../util/otel-types.js'

/** The key of the API's global registry (major version 1). */
export const OTEL_API_GLOBAL = Symbol.for('opentelemetry.js.api.1')

interface GlobalRegistry {
  readonly version?: unknown
  readonly metrics?: MeterProviderLike
  readonly trace?: TracerProviderLike
  readonly context?: ContextManagerLike
}

/** What the application registered with `@opentelemetry/api`, if anything. */
export interface RegisteredOpenTelemetry {
  readonly meterProvider: MeterProviderLike | undefined
  readonly tracerProvider: TracerProviderLike | undefined
  readonly contextManager: ContextManagerLike | undefined
}

function usable<T>(value: unknown, method: string): T | undefined {
  return typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>)[method] === 'function'
    ? (value as T)
    : undefined
}

/** Reads the global registry of `@opentelemetry/api` 1.x; all `undefined` when nothing is registered. */
export function registeredOpenTelemetry(): RegisteredOpenTelemetry {
  const registry = (globalThis as Record<symbol, GlobalRegistry | undefined>)[OTEL_API_GLOBAL]
  if (
    typeof registry !== 'object' ||
    registry === null ||
    typeof registry.version !== 'string' ||
    !registry.version.startsWith('1.')
  ) {
    return { meterProvider: undefined, tracerProvider: undefined, contextManager: undefined }
  }
  return {
    meterProvider: usable<MeterProviderLike>(registry.metrics, 'getMeter'),
    tracerProvider: usable<TracerProviderLike>(registry.trace, 'getTracer'),
    contextManager: usable<ContextManagerLike>(registry.context, 'active'),
  }
}
