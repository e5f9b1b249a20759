/**
 * The real OpenTelemetry SDK for the observability tests: a MeterProvider with a pull reader
 * (collected on demand), a tracer provider exporting to memory, and helpers that flatten what was
 * recorded into `{ name, attributes, value }` points.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { context, metrics, ROOT_CONTEXT, trace, type Context, type ContextManager } from '@opentelemetry/api'
import {
  AggregationTemporality,
  DataPointType,
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
} from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base'

/** A reader that collects when asked (cumulative). */
export class PullReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE })
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface Point {
  readonly name: string
  readonly unit: string
  readonly type: string
  readonly attributes: Readonly<Record<string, unknown>>
  /** Sum/gauge value, or a histogram's count. */
  readonly value: number
}

export interface MetricsHarness {
  readonly provider: MeterProvider
  collect(): Promise<Point[]>
  shutdown(): Promise<void>
}

export function metricsHarness(): MetricsHarness {
  const reader = new PullReader()
  const provider = new MeterProvider({ readers: [reader] })
  return {
    provider,
    async collect() {
      const { resourceMetrics, errors } = await reader.collect()
      if (errors.length > 0) throw errors[0]
      const points: Point[] = []
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) {
          for (const point of metric.dataPoints) {
            const value =
              metric.dataPointType === DataPointType.HISTOGRAM
                ? (point as DataPoint<Histogram>).value.count
                : (point.value as number)
            points.push({
              name: metric.descriptor.name,
              unit: metric.descriptor.unit,
              type: DataPointType[metric.dataPointType],
              attributes: point.attributes,
              value,
            })
          }
        }
      }
      return points
    },
    shutdown: () => provider.shutdown(),
  }
}

/** The sum of the points of `name` whose attributes include `match`. */
export function total(points: readonly Point[], name: string, match: Record<string, unknown> = {}): number {
  return points
    .filter((p) => p.name === name && Object.entries(match).every(([k, v]) => p.attributes[k] === v))
    .reduce((sum, p) => sum + p.value, 0)
}

export interface TracesHarness {
  readonly provider: BasicTracerProvider
  readonly exporter: InMemorySpanExporter
  spans(): ReadableSpan[]
  shutdown(): Promise<void>
}

export function tracesHarness(): TracesHarness {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  return { provider, exporter, spans: () => exporter.getFinishedSpans(), shutdown: () => provider.shutdown() }
}

/** A context manager over AsyncLocalStorage (what an SDK's `register()` installs on Node). */
export class AlsContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>()
  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(ctx, () => fn.call(thisArg, ...args))
  }
  bind<T>(_ctx: Context, target: T): T {
    return target
  }
  enable(): this {
    return this
  }
  disable(): this {
    this.storage.disable()
    return this
  }
}

/** Registers providers globally, as an app's SDK start-up does; returns the undo. */
export function registerGlobals(options: {
  meterProvider?: MeterProvider
  tracerProvider?: BasicTracerProvider
}): () => void {
  if (options.meterProvider) metrics.setGlobalMeterProvider(options.meterProvider)
  if (options.tracerProvider) trace.setGlobalTracerProvider(options.tracerProvider)
  return () => {
    metrics.disable()
    trace.disable()
    context.disable()
  }
}
