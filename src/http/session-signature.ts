/**
 * The per-route proof of possession (`requireSessionSignature()` in every adapter): the request
 * must carry an `x-session-signature` made by the key the verified token names
 * (`session_public_key`), over the method, the path and query as received, and the raw body. The
 * protocol is src/session-key/ (specified in docs/guide/session-key.md); this module turns its
 * verdicts into refusals, and keeps one proof verifier per verifier and skew, whose replay check
 * is the verifier's one-time store, so that a nonce is spent once across a fleet.
 */
import { DynamicAuthConfigError, DynamicAuthError, type DynamicAuthErrorCode } from '../errors.js'
import { SESSION_SIGNATURE_HEADER } from '../session-key/canonical.js'
import {
  createSessionKeyVerifier,
  DEFAULT_MAX_SKEW_SECONDS,
  MAX_SKEW_SECONDS,
  type SessionKeyRefusalReason,
  type SessionKeyVerifier,
} from '../session-key/verify.js'
import type { DynamicSession } from '../session/session.js'
import type { DynamicAuth } from '../verifier.js'
import {
  ANSWER_PREFLIGHT,
  GO_ON,
  noGuardDecision,
  refusalDecision,
  type GuardDecision,
  type GuardSettings,
} from './guard.js'
import {
  isPreflight,
  isWebRequest,
  nodeReader,
  webReader,
  type HttpRequestLike,
  type RequestReader,
} from './request.js'

/** Options of `requireSessionSignature()`. */
export interface SessionSignatureOptions {
  /**
   * How far (seconds) the signature's timestamp may be from the server's clock, either way.
   * Default 60; 1 to 300.
   */
  readonly maxSkewSeconds?: number
}

/** A route's validated options. */
export interface SessionSignatureRoute {
  readonly maxSkewSeconds: number
}

/** Validates a helper's options once, when the route is declared; throws {@link DynamicAuthConfigError}. */
export function sessionSignatureRoute(options: SessionSignatureOptions = {}): SessionSignatureRoute {
  if (options === null || typeof options !== 'object')
    throw new DynamicAuthConfigError('dynamic-guard: requireSessionSignature takes { maxSkewSeconds? } or nothing.')
  for (const name of Object.keys(options)) {
    if (name !== 'maxSkewSeconds')
      throw new DynamicAuthConfigError(
        `dynamic-guard: requireSessionSignature has no option ${JSON.stringify(name.slice(0, 64))} (only maxSkewSeconds).`,
      )
  }
  const skew = options.maxSkewSeconds ?? DEFAULT_MAX_SKEW_SECONDS
  if (!Number.isInteger(skew) || skew < 1 || skew > MAX_SKEW_SECONDS) {
    throw new DynamicAuthConfigError(
      `dynamic-guard: requireSessionSignature's maxSkewSeconds must be a whole number of seconds from 1 to ${MAX_SKEW_SECONDS}; got ${String(skew)}.`,
    )
  }
  return Object.freeze({ maxSkewSeconds: skew })
}

/** The parts of a request the proof covers, as the adapter received them. */
export interface SignedRequestParts {
  /** The HTTP method. */
  readonly method: string
  /** The URL as received: a path with its query (Node frameworks) or an absolute URL (Web Request). */
  readonly url: string
  /** The `x-session-signature` header, if any. */
  readonly header: string | undefined
  /** The raw body bytes (a string is taken as its UTF-8 bytes); null for none. */
  readonly body: Uint8Array | ArrayBuffer | string | null
}

const CODES: Readonly<Record<SessionKeyRefusalReason, DynamicAuthErrorCode>> = {
  signature_missing: 'session_signature_missing',
  signature_malformed: 'session_signature_malformed',
  key_missing: 'session_key_missing',
  key_malformed: 'session_key_malformed',
  timestamp_out_of_range: 'session_signature_expired',
  signature_invalid: 'session_signature_invalid',
  replayed: 'session_signature_replayed',
  replay_check_unavailable: 'one_time_store_unavailable',
}

/** How long a client should wait before retrying when the one-time store failed, seconds. */
const STORE_RETRY_AFTER = 5

// One proof verifier per verifier and skew: its cache of imported keys is shared by every route
// of that verifier, and it goes away with the verifier.
const verifiers = new WeakMap<DynamicAuth, Map<number, SessionKeyVerifier>>()

function proofVerifier(auth: DynamicAuth, maxSkewSeconds: number): SessionKeyVerifier {
  let bySkew = verifiers.get(auth)
  if (bySkew === undefined) verifiers.set(auth, (bySkew = new Map()))
  let verifier = bySkew.get(maxSkewSeconds)
  if (verifier === undefined) {
    const store = auth.oneTimeStore
    // A verifier made by hand (an object shaped like one) may have no store: never a proof without one.
    if (typeof store?.claim !== 'function') {
      throw new DynamicAuthConfigError(
        'dynamic-guard: requireSessionSignature needs the verifier of createDynamicAuth (its oneTimeStore records the nonces); this verifier has none.',
      )
    }
    verifier = createSessionKeyVerifier({ replayCheck: store, maxSkewSeconds })
    bySkew.set(maxSkewSeconds, verifier)
  }
  return verifier
}

/**
 * Checks a request's session-key signature against its verified session: undefined when it
 * holds, or the refusal. Throws {@link DynamicAuthConfigError} for a verifier without a one-time
 * store.
 */
export async function sessionSignatureRefusal(
  auth: DynamicAuth,
  session: DynamicSession,
  request: SignedRequestParts,
  route: SessionSignatureRoute,
): Promise<DynamicAuthError | undefined> {
  const verdict = await proofVerifier(auth, route.maxSkewSeconds).verify({
    method: request.method,
    // A Node request target is a path: resolved on a fixed origin, never as a `//host/...` URL.
    url: request.url.startsWith('/') ? `http://localhost${request.url}` : request.url,
    body: request.body,
    header: request.header,
    sessionPublicKey: session.claims.session_public_key,
  })
  if (verdict.ok) return undefined
  const code = CODES[verdict.reason]
  const refusal = new DynamicAuthError(
    code,
    verdict.message,
    code === 'one_time_store_unavailable' ? { retryAfter: STORE_RETRY_AFTER } : {},
  )
  // Counted by code like the verifier's refusals: a run of replays or forged signatures shows.
  auth.hooks?.requestRefused(refusal)
  return refusal
}

/** The Node request headers {@link hasNodeBody} reads. */
type NodeHeaders = Record<string, string | string[] | undefined>

/** True when a Node request announces a body (RFC 9112 §6.3): a Transfer-Encoding, or a Content-Length above 0. */
export function hasNodeBody(headers: NodeHeaders): boolean {
  if (headers['transfer-encoding'] !== undefined) return true
  const length = headers['content-length']
  return length !== undefined && length !== '0'
}

/**
 * The raw body of a Node request as a framework left it: `rawBody` (kept by a body parser's
 * `verify`, or by `keepRawBody`), a body parsed as raw bytes, or none when the request has none.
 * A body that was parsed without its bytes kept, or not read at all, cannot be checked: that is
 * the app's configuration, refused with {@link DynamicAuthConfigError} and `fix` in its message,
 * never passed unchecked.
 */
export function nodeRawBody(
  rawBody: unknown,
  parsedBody: unknown,
  headers: NodeHeaders,
  fix: string,
): Uint8Array | string | null {
  if (rawBody instanceof Uint8Array || typeof rawBody === 'string') return rawBody
  if (parsedBody instanceof Uint8Array) return parsedBody
  if (!hasNodeBody(headers)) return null
  throw new DynamicAuthConfigError(
    `dynamic-guard: requireSessionSignature needs the request body's raw bytes to check the signature, and this request's body was parsed without them or not read: ${fix}`,
  )
}

/** Where an adapter finds the parts of a request the proof covers. */
export interface SignedRequestSource {
  /** The URL as received (Express `req.originalUrl`, Koa `ctx.originalUrl`, Fastify `request.url`, a Web Request's `url`). */
  readonly url: string
  /** The raw body; rejects with {@link DynamicAuthConfigError} when the app did not keep it. */
  body(): Uint8Array | ArrayBuffer | string | null | Promise<Uint8Array | ArrayBuffer | string | null>
}

/**
 * Decides for a `requireSessionSignature()` helper, following the guard that ran before it on the
 * request (its settings, stored on the framework's request, carry its verifier): a preflight as
 * that guard answers it, no guard a 401 saying to mount it, an anonymous request (optional mode)
 * `token_missing`, then the proof. Rejects with {@link DynamicAuthConfigError} for an app that
 * does not keep the raw body; a refusal is a decision, never a rejection.
 */
export async function sessionSignatureDecision<R extends object>(
  request: R,
  reader: RequestReader<R>,
  session: DynamicSession | undefined,
  guard: GuardSettings | undefined,
  route: SessionSignatureRoute,
  source: SignedRequestSource,
  names: { readonly helper: string; readonly guard: string },
): Promise<GuardDecision> {
  if (isPreflight(reader, request)) return guard?.passPreflights ? GO_ON : ANSWER_PREFLIGHT
  if (guard === undefined) return noGuardDecision(names.helper, names.guard)
  if (session === undefined) {
    const missing = new DynamicAuthError(
      'token_missing',
      'This route requires a signed-in user and a request signed with the session key: send the Dynamic JWT in "Authorization: Bearer <token>" and the x-session-signature header.',
    )
    return refusalDecision(missing, guard.refusals, guard.realm, [])
  }
  const refusal = await sessionSignatureRefusal(
    guard.auth,
    session,
    {
      method: reader.method(request),
      url: source.url,
      header: reader.header(request, SESSION_SIGNATURE_HEADER),
      body: await source.body(),
    },
    route,
  )
  return refusal === undefined ? GO_ON : refusalDecision(refusal, guard.refusals, guard.realm, [])
}

/**
 * Checks a request signed with the session key by hand (node:http, or any server): resolves when
 * the `x-session-signature` header is a signature by the key `session` names
 * (`session_public_key`) over the request's method, URL (path and query) and `body`, the raw bytes
 * you read; rejects with the refusal (a `DynamicAuthError`: answer it with `refusalFor`). Nonces
 * are recorded in `auth.oneTimeStore`.
 *
 * @example
 * const session = await authenticate(auth, req)
 * await verifySessionSignature(auth, session, req, bodyBytes)
 */
export async function verifySessionSignature(
  auth: DynamicAuth,
  session: DynamicSession,
  request: HttpRequestLike,
  body: Uint8Array | ArrayBuffer | string | null,
  options?: SessionSignatureOptions,
): Promise<void> {
  const reader = isWebRequest(request) ? webReader : nodeReader
  const refusal = await sessionSignatureRefusal(
    auth,
    session,
    {
      method: (reader as RequestReader<HttpRequestLike>).method(request),
      url: (reader as RequestReader<HttpRequestLike>).url(request),
      header: (reader as RequestReader<HttpRequestLike>).header(request, SESSION_SIGNATURE_HEADER),
      body,
    },
    sessionSignatureRoute(options),
  )
  if (refusal !== undefined) throw refusal
}
