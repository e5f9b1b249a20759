/**
 * The demo's metrics: an OpenTelemetry MeterProvider whose reader is the Prometheus exporter,
 * served as `GET /metrics` in Prometheus' text format (what a Prometheus server scrapes). The
 * verifier is given the provider explicitly (`telemetry: { meterProvider }`), as an app that does
 * not register OpenTelemetry globals would; the page reads the same endpoint for its live panel.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { MeterProvider } from '@opentelemetry/sdk-metrics'
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus'

export interface DemoMetrics {
  readonly meterProvider: MeterProvider
  /** `GET /metrics`: the Prometheus text exposition. */
  handle(req: IncomingMessage, res: ServerResponse): void
  shutdown(): Promise<void>
}

export function createDemoMetrics(): DemoMetrics {
  // No server of its own: the demo serves the endpoint on its own port.
  const exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true })
  const meterProvider = new MeterProvider({ readers: [exporter] })
  return {
    meterProvider,
    handle: (req, res) => exporter.getMetricsRequestHandler(req, res),
    shutdown: () => meterProvider.shutdown(),
  }
}
