/**
 * Spans: one per verification (`dynamic_guard.verify`), one for a request refused before its
 * token reached verification (`dynamic_guard.authenticate`), and the JWKS fetch as a child of the
 * verification that caused it. Attributes are the outcome, the refusal code, the token kind and
 * the environment id: never the token, never a claim or an id of the user or the session.
 */
import { isDynamicAuthError } from '../errors.js'
import type { DynamicSession } from '../session/session.js'
import { ATTRIBUTES, SPANS } from './names.js'
import {
  SPAN_KIND_INTERNAL,
  STATUS_ERROR,
  type ContextLike,
  type ContextManagerLike,
  type SpanLike,
  type TracerLike,
} from '../util/otel-types.js'

/** The context key under which the API keeps the active span (`trace.setSpan`). */
const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN')

/** An immutable context, for when the application registered no context manager. */
class BaseContext implements ContextLike {
  constructor(private readonly values: ReadonlyMap<symbol, unknown> = new Map()) {}
  getValue(key: symbol): unknown {
    return this.values.get(key)
  }
  setValue(key: symbol, value: unknown): ContextLike {
    return new BaseContext(new Map(this.values).set(key, value))
  }
  deleteValue(key: symbol): ContextLike {
    const values = new Map(this.values)
    values.delete(key)
    return new BaseContext(values)
  }
}
const ROOT = new BaseContext()

/** A refusal's code, or `other` for anything that is not a DynamicAuthError. */
export function codeOf(error: unknown): string {
  return isDynamicAuthError(error) ? error.code : 'other'
}

export class VerifyTracing {
  /** The verification span while its synchronous part runs: the parent of a JWKS fetch it starts. */
  private current: SpanLike | undefined

  constructor(
    private readonly tracer: TracerLike,
    private readonly contextManager: ContextManagerLike | undefined,
    private readonly environmentId: string,
  ) {}

  /** Runs one verification in a span. */
  verify(run: () => Promise<DynamicSession>): Promise<DynamicSession> {
    const span = this.tracer.startSpan(SPANS.verify, {
      kind: SPAN_KIND_INTERNAL,
      attributes: { [ATTRIBUTES.environmentId]: this.environmentId },
    })
    const outer = this.current
    this.current = span
    let result: Promise<DynamicSession>
    try {
      result = run()
    } finally {
      this.current = outer
    }
    result.then(
      (session) => {
        span.setAttribute(ATTRIBUTES.outcome, 'verified')
        span.setAttribute(ATTRIBUTES.tokenKind, session.tokenKind)
        span.end()
      },
      (error: unknown) => endRefused(span, error),
    )
    return result
  }

  /** A request refused before verification (no token, two tokens, a cross-site cookie request). */
  refusedRequest(error: unknown): void {
    endRefused(
      this.tracer.startSpan(SPANS.authenticate, {
        kind: SPAN_KIND_INTERNAL,
        attributes: { [ATTRIBUTES.environmentId]: this.environmentId },
      }),
      error,
    )
  }

  /** The context a child span of the running verification starts in. */
  parentContext(): ContextLike {
    const active = this.contextManager?.active() ?? ROOT
    return this.current === undefined ? active : active.setValue(SPAN_KEY, this.current)
  }

  startChild(name: string, kind: number, attributes: Record<string, string>): SpanLike {
    return this.tracer.startSpan(name, { kind, attributes }, this.parentContext())
  }
}

function endRefused(span: SpanLike, error: unknown): void {
  const code = codeOf(error)
  span.setAttribute(ATTRIBUTES.outcome, 'refused')
  span.setAttribute(ATTRIBUTES.errorType, code)
  span.setStatus({ code: STATUS_ERROR, message: code })
  span.end()
}
