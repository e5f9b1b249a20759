/**
 * JWKS fetch metrics and spans. The key store's `fetch` is wrapped to see what the network
 * answered (a status, a timeout, no answer), and its event stream says how the fetch ended
 * (`jwks_refreshed`, or `jwks_error` once the body was read and its keys imported): together they
 * give the result of each fetch without parsing an error message. A key store reads the JWKS
 * through one fetch at a time, so one pending fetch is all there is to follow.
 */
import type { KeyStoreEvent } from '../keys/key-store.js'
import { ATTRIBUTES, DURATION_BUCKETS, METRICS, SPANS, type JwksFetchResult } from './names.js'
import {
  SPAN_KIND_CLIENT,
  STATUS_ERROR,
  type CounterLike,
  type HistogramLike,
  type MeterLike,
  type SpanLike,
} from '../util/otel-types.js'
import type { VerifyTracing } from './tracing.js'

interface PendingFetch {
  readonly startedAt: number
  readonly span: SpanLike | undefined
  status?: number
  failure?: 'timeout' | 'network_error'
  signal?: AbortSignal | null | undefined
}

const now =
  typeof performance === 'object' && typeof performance.now === 'function' ? () => performance.now() : () => Date.now()

/** Classifies a finished fetch that did not give usable keys. */
export function classifyJwksFailure(
  status: number | undefined,
  failure: PendingFetch['failure'],
  aborted: boolean,
): JwksFetchResult {
  if (status === undefined) return failure ?? 'network_error'
  if (status === 429) return 'rate_limited'
  if (status >= 300 && status < 400) return 'http_3xx'
  if (status >= 400 && status < 500) return 'http_4xx'
  if (status >= 500) return 'http_5xx'
  return aborted ? 'timeout' : 'invalid_body'
}

export class JwksFetchObserver {
  private pending: PendingFetch | undefined
  private readonly fetches: CounterLike | undefined
  private readonly duration: HistogramLike | undefined

  constructor(
    meter: MeterLike | undefined,
    private readonly tracing: VerifyTracing | undefined,
    private readonly environmentId: string,
  ) {
    this.fetches = meter?.createCounter(METRICS.jwksFetches, {
      description: 'JWKS fetches, by result.',
      unit: '{fetch}',
    })
    this.duration = meter?.createHistogram(METRICS.jwksFetchDuration, {
      description: 'JWKS fetch time, body included, by result.',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    })
  }

  /** The fetch to give the key store. */
  wrapFetch(fetch: typeof globalThis.fetch): typeof globalThis.fetch {
    return (input, init) => {
      // A second call before the fetch's event is the JWKS fetch's own retry of a broken
      // connection: it continues the same fetch (one span, the whole duration).
      const pending: PendingFetch = this.pending ?? {
        startedAt: now(),
        span: this.tracing?.startChild(SPANS.jwksFetch, SPAN_KIND_CLIENT, {
          [ATTRIBUTES.environmentId]: this.environmentId,
          'http.request.method': 'GET',
        }),
      }
      pending.status = undefined
      pending.failure = undefined
      pending.signal = init?.signal
      this.pending = pending
      let answer: Promise<Response>
      try {
        answer = fetch(input, init)
      } catch (error) {
        pending.failure = 'network_error'
        throw error
      }
      return answer.then(
        (response) => {
          pending.status = response.status
          return response
        },
        (error: unknown) => {
          pending.failure = init?.signal?.aborted ? 'timeout' : 'network_error'
          throw error
        },
      )
    }
  }

  /** Called with every key event: ends the pending fetch, if any. */
  readonly onEvent = (event: KeyStoreEvent): void => {
    if (event.type === 'jwks_stale') return
    const pending = this.pending
    if (pending === undefined) return // keys read from a fleet's shared copy: no fetch of ours
    this.pending = undefined
    const result: JwksFetchResult =
      event.type === 'jwks_refreshed'
        ? 'ok'
        : classifyJwksFailure(pending.status, pending.failure, pending.signal?.aborted === true)
    const attributes: Record<string, string | number> = {
      [ATTRIBUTES.environmentId]: this.environmentId,
      [ATTRIBUTES.jwksResult]: result,
    }
    if (pending.status !== undefined) attributes[ATTRIBUTES.httpStatus] = pending.status
    this.fetches?.add(1, attributes)
    this.duration?.record((now() - pending.startedAt) / 1000, attributes)
    const span = pending.span
    if (span !== undefined) {
      span.setAttribute(ATTRIBUTES.jwksResult, result)
      if (pending.status !== undefined) span.setAttribute(ATTRIBUTES.httpStatus, pending.status)
      if (result !== 'ok') {
        span.setAttribute(ATTRIBUTES.errorType, result)
        span.setStatus({ code: STATUS_ERROR, message: result })
      }
      span.end()
    }
  }
}
