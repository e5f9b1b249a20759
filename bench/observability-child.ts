/**
 * One measurement of the observability case, in a process of its own: variants measured in one
 * process share the verifier's code and its inline caches, so one variant's shapes would slow the
 * others. Prints `{ "rate": verifications per CPU second }`.
 *
 *   node --import tsx bench/observability-child.ts <variant> <warm|cold> <ms>
 */
import { createDynamicAuth, type DynamicAuthOptions } from '../src/index.js'
import { createTestIssuer } from '../src/testing/index.js'
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  NoopSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base'

/** A reader nobody collects from: the SDK aggregates, as in an app between two scrapes. */
class IdleReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** Exports nowhere, after the SDK built the span (the cost of a sampled span without the network). */
const discard: SpanExporter = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => undefined }

export const VARIANTS: Readonly<Record<string, { label: string; telemetry: () => DynamicAuthOptions['telemetry'] }>> = {
  off: { label: 'telemetry: false', telemetry: () => false },
  'no-sdk': { label: 'API present, no SDK registered (default)', telemetry: () => undefined },
  metrics: {
    label: 'metrics SDK (MeterProvider)',
    telemetry: () => ({ meterProvider: new MeterProvider({ readers: [new IdleReader()] }), traces: false }),
  },
  'metrics-traces': {
    label: 'metrics + traces SDK (every span exported)',
    telemetry: () => ({
      meterProvider: new MeterProvider({ readers: [new IdleReader()] }),
      tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(discard)] }),
    }),
  },
  'metrics-traces-unexported': {
    label: 'metrics + traces SDK, spans not exported',
    telemetry: () => ({
      meterProvider: new MeterProvider({ readers: [new IdleReader()] }),
      tracerProvider: new BasicTracerProvider({ spanProcessors: [new NoopSpanProcessor()] }),
    }),
  },
}

async function main(): Promise<void> {
  const [variantId = 'off', path = 'warm', msArg = '400'] = process.argv.slice(2)
  const variant = VARIANTS[variantId]
  if (!variant) throw new Error(`unknown variant ${variantId}`)
  const issuer = createTestIssuer()
  const telemetry = variant.telemetry()
  const auth = createDynamicAuth({
    ...issuer.authOptions(),
    ...(path === 'cold' ? { advanced: { tokenCacheSize: 0 } } : {}),
    ...(telemetry === undefined ? {} : { telemetry }),
  })
  const tokens =
    path === 'cold' ? Array.from({ length: 64 }, (_, i) => issuer.mint({ sub: `bench-user-${i}` })) : [issuer.mint()]
  await auth.warmUp()
  const run = async (ms: number): Promise<number> => {
    let n = 0
    const cpu = process.cpuUsage()
    const end = performance.now() + ms
    while (performance.now() < end) {
      for (let k = 0; k < 16; k++) await auth.verifyToken(tokens[n++ % tokens.length]!)
    }
    const used = process.cpuUsage(cpu)
    return (n * 1e6) / (used.user + used.system)
  }
  await run(100)
  process.stdout.write(`${JSON.stringify({ rate: await run(Number(msArg)) })}\n`)
}

if (import.meta.url === `file://${process.argv[1]}`) await main()
