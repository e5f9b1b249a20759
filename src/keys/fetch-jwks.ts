/**
 * One bounded JWKS request: a timeout that covers the body too (a slow drip cannot hold it open),
 * a size cap, no redirects (the configured URL is the only key source), JSON with a `keys` array.
 */
import { readCappedBody } from '../util/read-capped-body.js'

/**
 * Why a JWKS request failed; `retryAfterMs` is set when the server asked us to wait (429/503).
 * `rateLimited` marks a fetch that a budget (a fleet's, say) stopped before any request: the JWKS
 * did not fail, so no backoff follows. `configuration` marks an answer that no retry will change
 * soon (401, 403, 404, 410: a wrong environment id or URL): the server's configuration is at fault.
 */
export class JwksFetchError extends Error {
  override readonly name = 'JwksFetchError'
  readonly rateLimited: boolean
  readonly configuration: boolean
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown; rateLimited?: boolean; configuration?: boolean },
  ) {
    super(message, options)
    this.rateLimited = options?.rateLimited === true
    this.configuration = options?.configuration === true
  }
}

/** Limits for one request. */
export interface FetchJwksLimits {
  /** How long a fetch of the JWKS may take, in ms (`jwksTimeout`). */
  readonly timeoutMs: number
  /** The largest JWKS document read, in bytes (`jwksMaxBytes`). */
  readonly maxBytes: number
  /** The most keys read from one JWKS document. */
  readonly maxKeys: number
  /** The `fetch` the JWKS is fetched with (the `fetch` option). */
  readonly fetch: typeof globalThis.fetch
}

/** Fetches and parses a JWKS document; returns its `keys` array, unvalidated. */
export async function fetchJwks(url: string, limits: FetchJwksLimits): Promise<unknown[]> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), limits.timeoutMs)
  try {
    let response: Response
    // Called unbound: workerd's fetch throws "Illegal invocation" when `this` is another object.
    const fetchFn = limits.fetch
    const request = (): Promise<Response> =>
      fetchFn(url, {
        redirect: 'manual',
        signal: controller.signal,
        headers: { accept: 'application/json' },
      })
    try {
      try {
        response = await request()
      } catch (cause) {
        // A kept-alive socket the server closed meanwhile fails before any answer: the GET is
        // idempotent, so one more try on a fresh connection, within the same deadline.
        if (controller.signal.aborted || !isStaleConnection(cause)) throw cause
        response = await request()
      }
    } catch (cause) {
      throw new JwksFetchError(
        controller.signal.aborted ? `no answer within ${limits.timeoutMs} ms` : `request failed: ${describe(cause)}`,
        undefined,
        { cause },
      )
    }
    if (response.status >= 300 && response.status < 400) {
      void response.body?.cancel().catch(() => undefined)
      throw new JwksFetchError(`answered ${response.status} (a redirect); redirects are not followed`)
    }
    if (response.status !== 200) {
      void response.body?.cancel().catch(() => undefined)
      if (CONFIGURATION_STATUSES.has(response.status)) {
        throw new JwksFetchError(
          `answered HTTP ${response.status}: there is no JWKS for this server at that URL. Check environmentId (a wrong environment id answers 404 at Dynamic) or jwks.url; this is the server's configuration, not the client's.`,
          undefined,
          { configuration: true },
        )
      }
      throw new JwksFetchError(`answered HTTP ${response.status}`, parseRetryAfter(response.headers.get('retry-after')))
    }
    const text = await readCapped(response, limits.maxBytes, controller.signal, limits.timeoutMs)
    let document: unknown
    try {
      document = JSON.parse(text)
    } catch {
      throw new JwksFetchError('answered something that is not JSON')
    }
    const keys = (document as { keys?: unknown } | null)?.keys
    if (typeof document !== 'object' || document === null || !Array.isArray(keys)) {
      throw new JwksFetchError('answered JSON without a "keys" array')
    }
    if (keys.length > limits.maxKeys)
      throw new JwksFetchError(`answered ${keys.length} keys; at most ${limits.maxKeys} are read`)
    return keys
  } finally {
    clearTimeout(timer)
  }
}

async function readCapped(
  response: Response,
  maxBytes: number,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<string> {
  let bytes: Uint8Array | undefined
  try {
    bytes = await readCappedBody(response, maxBytes)
  } catch (cause) {
    throw new JwksFetchError(
      signal.aborted ? `body not complete within ${timeoutMs} ms` : `body could not be read: ${describe(cause)}`,
      undefined,
      { cause },
    )
  }
  if (!bytes) {
    const declared = Number(response.headers.get('content-length'))
    throw new JwksFetchError(
      declared > maxBytes
        ? `answered ${declared} bytes; the limit is ${maxBytes}`
        : `answered more than ${maxBytes} bytes`,
    )
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new JwksFetchError('answered a body that is not UTF-8')
  }
}

/** Retry-After as delay-seconds or an HTTP date; capped to one hour. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined
  const seconds = /^\s*\d+\s*$/.test(value) ? Number(value) * 1000 : Date.parse(value) - now
  if (!Number.isFinite(seconds) || seconds < 0) return undefined
  return Math.min(seconds, 3_600_000)
}

/** Answers that say the URL is wrong (or not ours), not that the JWKS is briefly unavailable. */
const CONFIGURATION_STATUSES = new Set([401, 403, 404, 410])

const STALE_CONNECTION_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'])

/** True for a connection that broke before any answer (undici wraps the socket error in `cause`). */
function isStaleConnection(cause: unknown): boolean {
  const inner = (cause as { cause?: { code?: unknown } } | null)?.cause
  return typeof inner?.code === 'string' && STALE_CONNECTION_CODES.has(inner.code)
}

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = (cause as { cause?: { code?: string; message?: string } }).cause
    return inner?.code ? `${cause.message} (${inner.code})` : cause.message
  }
  return String(cause)
}
