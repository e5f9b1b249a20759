/**
 * dynamic-guard/hono (Hono 4): middleware over the Web-standard Request.
 *
 * @example
 * import { Hono } from 'hono'
 * import { dynamicAuth, requireScopes, type DynamicAuthEnv } from 'dynamic-guard/hono'
 *
 * const app = new Hono<DynamicAuthEnv>()
 * app.use('/api/*', dynamicAuth({ environmentId: process.env.DYNAMIC_ENVIRONMENT_ID! }))
 * app.get('/api/me', (c) => c.json({ userId: c.get('auth').userId }))
 * app.post('/api/sign', requireScopes('wallet:sign'), handler)
 * // Refusals are answered per RFC 6750 in JSON. To handle them in app.onError instead:
 * // dynamicAuth(auth, { refusals: 'forward' }) throws a DynamicAuthException (an HTTPException).
 *
 * @packageDocumentation
 */
import type { MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { DynamicAuthError } from '../errors.js'
import { forwardedRefusal } from '../http/dress.js'
import {
  answerResponse,
  guardRequest,
  guardSettings,
  scopeDecision,
  type GuardDecision,
  type GuardSettings,
} from '../http/guard.js'
import { DEFAULT_REALM, type AnonymousAllowed, type AuthenticateOptions } from '../http/options.js'
import { refusalFor } from '../http/refusal.js'
import { nodeReader, webReader, type NodeRequestLike } from '../http/request.js'
import { scopeList } from '../http/scopes.js'
import {
  sessionSignatureDecision,
  sessionSignatureRoute,
  type SessionSignatureOptions,
} from '../http/session-signature.js'

/** Options of `requireSessionSignature()`: `maxSkewSeconds`, the allowed clock skew (default 60, 1 to 300). */
export type { SessionSignatureOptions }
import { elevatedDecision, elevatedScopes, type RequireElevatedOptions } from '../http/elevated.js'
import type { ElevatedGrant } from '../elevated/grant.js'
import { setupAdapter, type AuthOrOptions } from '../http/setup.js'
import type { DynamicSession } from '../session/session.js'

/**
 * Hono environment of protected routes: `c.get('auth')` is the session. `c.get('authGuard')` holds
 * the settings and verifier of the `dynamicAuth()` that ran (`requireScopes()` and `requireElevated()` follow them).
 */
export type DynamicAuthEnv = {
  /** What `c.get()` reads. */
  Variables: {
    /** The verified session. */
    auth: DynamicSession
    /** The settings and verifier of the `dynamicAuth()` that ran (undefined without one). */
    authGuard: GuardSettings | undefined
    /** The elevated access token's grant, set by `requireElevated()` when it accepts one. */
    elevated: ElevatedGrant | undefined
  }
}
/** Hono environment of routes in optional mode (or with `passPreflightsToApp`): `c.get('auth')` may be undefined. */
export type OptionalDynamicAuthEnv = {
  /** What `c.get()` reads. */
  Variables: {
    /** The verified session; undefined for an anonymous request. */
    auth: DynamicSession | undefined
    /** The settings and verifier of the `dynamicAuth()` that ran (undefined without one). */
    authGuard: GuardSettings | undefined
    /** The elevated access token's grant, set by `requireElevated()` when it accepts one. */
    elevated: ElevatedGrant | undefined
  }
}

/**
 * A refusal forwarded (`refusals: 'forward'`), as Hono's HTTPException: its `getResponse()` is
 * the RFC 6750 answer, so Hono's default error handling sends it, and `app.onError` can replace
 * it (`err.error` is the DynamicAuthError, `err.error.code` its code).
 */
export class DynamicAuthException extends HTTPException {
  /** Always `DynamicAuthException`. */
  override readonly name = 'DynamicAuthException'
  /** The refusal. */
  readonly error: DynamicAuthError

  constructor(error: DynamicAuthError, realm: string = DEFAULT_REALM, scopes?: readonly string[]) {
    const refusal = scopes ? refusalFor(error, { realm, scopes }) : forwardedRefusal(error, realm)
    super(refusal.status as 400 | 401 | 403 | 503, {
      res: answerResponse(refusal),
      message: error.message,
      cause: error,
    })
    this.error = error
  }
}

/**
 * Protects the routes after it: verifies the request's Dynamic token and sets `c.get('auth')`.
 * A refusal is answered per RFC 6750 (status, `WWW-Authenticate`, JSON body); with
 * `refusals: 'forward'` it is thrown as a {@link DynamicAuthException}, for `app.onError`. A
 * request shaped like a CORS preflight is answered 204 and goes no further, unless
 * `passPreflightsToApp` is set: mount `cors()` (hono/cors) before this middleware.
 */
export function dynamicAuth(
  authOrOptions: AuthOrOptions,
  options: AuthenticateOptions & AnonymousAllowed,
): MiddlewareHandler<OptionalDynamicAuthEnv>
export function dynamicAuth(
  authOrOptions: AuthOrOptions & AnonymousAllowed,
  options?: AuthenticateOptions,
): MiddlewareHandler<OptionalDynamicAuthEnv>
export function dynamicAuth(
  authOrOptions: AuthOrOptions,
  options?: AuthenticateOptions,
): MiddlewareHandler<DynamicAuthEnv>
// biome-ignore lint/suspicious/noExplicitAny: the overloads' implementation signature; callers see only theirs.
export function dynamicAuth(authOrOptions: AuthOrOptions, options?: AuthenticateOptions): MiddlewareHandler<any> {
  const setup = setupAdapter(authOrOptions, options)
  const settings = guardSettings(setup)
  const middleware: MiddlewareHandler<OptionalDynamicAuthEnv> = async function dynamicAuthMiddleware(c, next) {
    c.set('authGuard', settings)
    const incoming = nodeIncoming(c.env)
    const decision = await (incoming
      ? guardRequest(setup, incoming, nodeReader)
      : guardRequest(setup, c.req.raw, webReader))
    if (decision.action === 'continue') c.set('auth', decision.session)
    return carryOut(decision, next)
  }
  return middleware
}

/**
 * Requires scopes on a route, after `dynamicAuth()`: `app.post('/sign', requireScopes('wallet:sign'), handler)`.
 * Answered or forwarded as the `dynamicAuth()` before it does.
 */
export function requireScopes(...scopes: string[]): MiddlewareHandler<OptionalDynamicAuthEnv> {
  const required = scopeList(scopes)
  return async function requireScopesMiddleware(c, next) {
    return carryOut(scopeDecision(c.req.raw, webReader, c.get('auth'), required, c.get('authGuard')), next)
  }
}

const NAMES = { helper: 'requireElevated()', guard: 'dynamicAuth()' } as const

/**
 * Requires an elevated access token (Dynamic's step-up) on a route, after `dynamicAuth()`:
 * `app.post('/export', requireElevated({ scopes: ['wallet:export'] }), handler)`; the grant is
 * `c.get('elevated')`.
 * The token comes in `x-dyn-elevated-access-token`; it must grant every scope and belong to the
 * same user and session as the verified session, and a single-use token is consumed (in
 * `auth.oneTimeStore`). A refusal is 403 `insufficient_scope` naming the scopes (in
 * `WWW-Authenticate` and the body's `required_scopes`), with a code saying why
 * (`elevated_token_missing`, `_invalid`, `_mismatch`, `_reused`), or 503
 * `one_time_store_unavailable`; answered or forwarded as the guard before it does. Without that
 * guard, every request is refused 401.
 */
export function requireElevated(options: RequireElevatedOptions): MiddlewareHandler<OptionalDynamicAuthEnv> {
  const required = elevatedScopes(options)
  return async function requireElevatedMiddleware(c, next) {
    const decision = await elevatedDecision(c.req.raw, webReader, c.get('auth'), required, c.get('authGuard'), NAMES)
    if (decision.action !== 'continue') return carryOut(decision, next)
    if (decision.grant !== undefined) c.set('elevated', decision.grant)
    return next()
  }
}

/**
 * Node's own HTTP/1 request under @hono/node-server (`c.env.incoming`), else undefined. Its
 * headers were parsed, and their characters checked, by Node's parser, so the guard reads them
 * there, as the Node adapters do: asking the Web Request's lightweight Headers for Authorization
 * tests the whole value (some 2,000 characters for a Dynamic token) against a regular expression
 * on every request. HTTP/2 requests (whose host is in `:authority`) and every other runtime keep
 * the Web Request.
 */
function nodeIncoming(env: unknown): NodeRequestLike | undefined {
  const incoming = (env as { incoming?: Partial<NodeRequestLike> & { httpVersionMajor?: unknown } } | undefined)
    ?.incoming
  return typeof incoming === 'object' &&
    incoming !== null &&
    incoming.httpVersionMajor === 1 &&
    typeof incoming.headers === 'object' &&
    incoming.headers !== null &&
    Array.isArray(incoming.rawHeaders)
    ? (incoming as NodeRequestLike)
    : undefined
}

function carryOut(decision: GuardDecision, next: () => Promise<void>): Promise<void> | Response {
  if (decision.action === 'continue') return next()
  if (decision.action === 'forward') throw new DynamicAuthException(decision.error)
  return answerResponse(decision.answer)
}

/**
 * Requires a request signed with the session key, after `dynamicAuth()`: the `x-session-signature`
 * header must be a signature by the key the token names (`session_public_key`) over the method,
 * the request's URL (path and query) and the body's bytes (see the session-key guide). The body
 * is read with Hono's cached `c.req.arrayBuffer()`, so the handler still reads it (`c.req.json()`).
 * Nonces are recorded in the verifier's one-time store. Refusals (401, or 503
 * `one_time_store_unavailable`) are answered or forwarded as the `dynamicAuth()` before it does.
 */
export function requireSessionSignature(options?: SessionSignatureOptions): MiddlewareHandler<OptionalDynamicAuthEnv> {
  const route = sessionSignatureRoute(options)
  return async function requireSessionSignatureMiddleware(c, next) {
    const request = c.req.raw
    const source = {
      url: request.url,
      // Only a request with a body is read: Hono caches it for the handler.
      body: () => (request.body === null ? null : c.req.arrayBuffer()),
    }
    const decision = await sessionSignatureDecision(
      request,
      webReader,
      c.get('auth'),
      c.get('authGuard'),
      route,
      source,
      {
        helper: 'requireSessionSignature()',
        guard: 'dynamicAuth()',
      },
    )
    return carryOut(decision, next)
  }
}

/**
 * A health endpoint. Hono: `app.get('/healthz', healthCheck(auth))`. 200 while this instance can verify tokens (`ok`, `degraded`), 503 when it
 * cannot (`unavailable`), with the JSON of `auth.health()`; takes the verifier or this adapter's middleware.
 */
export { honoHealthCheck as healthCheck } from '../http/health.js'
