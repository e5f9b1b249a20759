/**
 * The few shapes of `@opentelemetry/api` (v1) this package uses, written structurally so that
 * nothing here imports the package: it is an optional peer dependency, and the real
 * `MeterProvider`, `TracerProvider` and context manager of any 1.x API or SDK fit these types.
 */

/** An attribute value, as OpenTelemetry accepts it. */
export type TelemetryAttributeValue = string | number | boolean
/** Attributes of a measurement or a span. */
export type TelemetryAttributes = Record<string, TelemetryAttributeValue | undefined>

/** The part of an OpenTelemetry `MeterProvider` used here. */
export interface MeterProviderLike {
  /** The meter named `name` (OpenTelemetry's `MeterProvider.getMeter`). */
  getMeter(name: string, version?: string): MeterLike
}

/** Options of an instrument. */
export interface InstrumentOptionsLike {
  description?: string
  unit?: string
  advice?: { explicitBucketBoundaries?: number[] }
}

/** The part of an OpenTelemetry `Meter` used here. */
export interface MeterLike {
  createCounter(name: string, options?: InstrumentOptionsLike): CounterLike
  createHistogram(name: string, options?: InstrumentOptionsLike): HistogramLike
  createObservableGauge(name: string, options?: InstrumentOptionsLike): ObservableLike
  createObservableCounter(name: string, options?: InstrumentOptionsLike): ObservableLike
}

export interface CounterLike {
  add(value: number, attributes?: TelemetryAttributes): void
}

export interface HistogramLike {
  record(value: number, attributes?: TelemetryAttributes): void
}

export interface ObservableResultLike {
  observe(value: number, attributes?: TelemetryAttributes): void
}

export interface ObservableLike {
  addCallback(callback: (result: ObservableResultLike) => void): void
  removeCallback(callback: (result: ObservableResultLike) => void): void
}

/** The part of an OpenTelemetry `TracerProvider` used here. */
export interface TracerProviderLike {
  /** The tracer named `name` (OpenTelemetry's `TracerProvider.getTracer`). */
  getTracer(name: string, version?: string): TracerLike
}

/** An OpenTelemetry `Context`: an immutable map. */
export interface ContextLike {
  getValue(key: symbol): unknown
  setValue(key: symbol, value: unknown): ContextLike
  deleteValue(key: symbol): ContextLike
}

/** The part of an OpenTelemetry `ContextManager` used here. */
export interface ContextManagerLike {
  active(): ContextLike
}

export interface SpanOptionsLike {
  kind?: number
  attributes?: TelemetryAttributes
}

/** The part of an OpenTelemetry `Tracer` used here. */
export interface TracerLike {
  startSpan(name: string, options?: SpanOptionsLike, context?: ContextLike): SpanLike
}

/** The part of an OpenTelemetry `Span` used here. */
export interface SpanLike {
  setAttribute(key: string, value: TelemetryAttributeValue): unknown
  setStatus(status: { code: number; message?: string }): unknown
  end(): void
  isRecording(): boolean
}

/** SpanKind and SpanStatusCode values of the API (stable numbers of the 1.x API). */
export const SPAN_KIND_INTERNAL = 0
export const SPAN_KIND_CLIENT = 2
export const STATUS_ERROR = 2
