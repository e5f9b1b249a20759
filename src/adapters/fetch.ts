/**
 * dynamic-guard/fetch: for anything built on the Web-standard Request and Response (Bun, Deno,
 * Cloudflare Workers, service workers). One shape, as in Next's adapter: a handler wrapped by
 * {@link withDynamicAuth} runs with the verified session.
 *
 * @example
 * import { withDynamicAuth } from 'dynamic-guard/fetch'
 *
 * export default {
 *   fetch: withDynamicAuth((request, session) => Response.json({ userId: session.userId }), { environmentId: process.env.DYNAMIC_ENVIRONMENT_ID! }),
 * }
 * // By hand: authenticate(auth, request) and refusalFor(error) of dynamic-guard/http.
 *
 * @packageDocumentation
 */
import type { DynamicAuthError } from '../errors.js'
import { answerResponse, guardRequest, guardSettings, type GuardDecision } from '../http/guard.js'
import { elevatedDecision, elevatedScopes, type RequireElevatedOptions } from '../http/elevated.js'
import type { AnonymousAllowed, AuthenticateOptions } from '../http/options.js'
import { isPreflight, webReader } from '../http/request.js'
import { setupAdapter, type AdapterSetup, type AuthOrOptions } from '../http/setup.js'
import { scopeList } from '../http/scopes.js'
import {
  sessionSignatureDecision,
  sessionSignatureRoute,
  type SessionSignatureOptions,
} from '../http/session-signature.js'

/** Options of `requireSessionSignature()`: `maxSkewSeconds`, the allowed clock skew (default 60, 1 to 300). */
export type { SessionSignatureOptions }
import type { DynamicSession } from '../session/session.js'

/** A fetch handler that receives the verified session. */
export type ProtectedHandler<Args extends unknown[] = unknown[], S = DynamicSession> = (
  request: Request,
  session: S,
  ...args: Args
) => Response | Promise<Response>
/** A plain fetch handler (`fetch(request, env, ctx)` in Workers, `(request, info)` in Deno). */
export type FetchHandler<Args extends unknown[] = unknown[]> = (request: Request, ...args: Args) => Promise<Response>

/** Options of {@link withDynamicAuth}: the shared adapter options, a preflight answer, and a replacement for the refusal. */
export interface FetchAuthOptions<Args extends unknown[] = unknown[]> extends AuthenticateOptions {
  /**
   * Answers requests shaped like a CORS preflight (OPTIONS with `Origin` and
   * `Access-Control-Request-Method`), which carry no credentials and are never authenticated:
   * your CORS answer. Default: 204 with no CORS headers (cross-origin calls refused), or, with
   * `passPreflightsToApp`, the handler itself with no session.
   */
  preflight?: (request: Request, ...args: Args) => Response | Promise<Response>
  /** Replaces the RFC 6750 answer to a refusal (the error's `code` says why). Not called with `refusals: 'forward'`. */
  onRefusal?: (error: DynamicAuthError, request: Request, ...args: Args) => Response | Promise<Response>
}

/** {@link withDynamicAuth}'s shape: what {@link requireScopes} returns too. */
export interface FetchGuard {
  <Args extends unknown[]>(
    handler: ProtectedHandler<Args, DynamicSession | undefined>,
    authOrOptions: AuthOrOptions,
    options: FetchAuthOptions<Args> & AnonymousAllowed,
  ): FetchHandler<Args>
  <Args extends unknown[]>(
    handler: ProtectedHandler<Args>,
    authOrOptions: AuthOrOptions,
    options?: FetchAuthOptions<Args>,
  ): FetchHandler<Args>
}

function protect<Args extends unknown[]>(
  handler: ProtectedHandler<Args, DynamicSession | undefined>,
  authOrOptions: AuthOrOptions,
  options: FetchAuthOptions<Args> = {},
  elevated?: readonly string[],
): FetchHandler<Args> {
  const { preflight, onRefusal, ...rest } = options
  return guarded(setupAdapter(authOrOptions, rest), handler, options, elevated)
}

/** The handler behind a guard already set up (its verifier and resolved options), with the elevated scopes it requires, if any. */
function guarded<Args extends unknown[]>(
  setup: AdapterSetup,
  handler: ProtectedHandler<Args, DynamicSession | undefined>,
  { preflight, onRefusal }: FetchAuthOptions<Args>,
  elevated?: readonly string[],
): FetchHandler<Args> {
  const settings = elevated === undefined ? undefined : guardSettings(setup)
  const refuse = (decision: Exclude<GuardDecision, { action: 'continue' }>, request: Request, args: Args) => {
    if (decision.action === 'forward') throw decision.error
    return onRefusal && decision.error ? onRefusal(decision.error, request, ...args) : answerResponse(decision.answer)
  }
  return async function protectedHandler(request: Request, ...args: Args): Promise<Response> {
    if (preflight && isPreflight(webReader, request)) return preflight(request, ...args)
    const decision = await guardRequest(setup, request, webReader)
    if (decision.action !== 'continue') return refuse(decision, request, args)
    if (elevated !== undefined) {
      const step = await elevatedDecision(request, webReader, decision.session, elevated, settings, NAMES)
      if (step.action !== 'continue') return refuse(step, request, args)
    }
    return handler(request, decision.session, ...args)
  }
}

const NAMES = { helper: 'requireElevated()', guard: 'withDynamicAuth' } as const

/**
 * Wraps a fetch handler: `export default { fetch: withDynamicAuth((request, session) => ..., auth) }`.
 * The handler runs with the verified session (undefined only in `optional` mode without a token,
 * or for a preflight passed on with `passPreflightsToApp`). A refusal is answered per RFC 6750
 * (or replaced by `onRefusal`, or thrown with `refusals: 'forward'`: the returned promise
 * rejects); a preflight-shaped request is answered 204 (see `preflight`).
 */
export const withDynamicAuth: FetchGuard = protect as FetchGuard

/**
 * Requires scopes on a route: returns {@link withDynamicAuth} requiring them (on top of
 * `user:basic`, the verifier's and the options' `requiredScopes`), refused with 403
 * `insufficient_scope` and answered or forwarded like any refusal of that guard:
 * `export default { fetch: requireScopes('wallet:sign')(handler, auth) }`.
 */
export function requireScopes(...scopes: string[]): FetchGuard {
  const required = scopeList(scopes)
  return (<Args extends unknown[]>(
    handler: ProtectedHandler<Args, DynamicSession | undefined>,
    authOrOptions: AuthOrOptions,
    options: FetchAuthOptions<Args> = {},
  ) =>
    protect(handler, authOrOptions, {
      ...options,
      requiredScopes: withScopes(options.requiredScopes, required),
    })) as FetchGuard
}

/**
 * Requires an elevated access token (Dynamic's step-up) on a route: returns
 * {@link withDynamicAuth} that, once the session token is verified, also requires a token in
 * `x-dyn-elevated-access-token` granting every scope, of the same user and session, and consumes
 * it when single use (in `auth.oneTimeStore`):
 * `export default { fetch: requireElevated({ scopes: ['wallet:export'] })(handler, auth) }`.
 * A refusal is 403 `insufficient_scope` naming the scopes (in `WWW-Authenticate` and the body's
 * `required_scopes`), with a code saying why (`elevated_token_missing`, `_invalid`, `_mismatch`,
 * `_reused`), or 503 `one_time_store_unavailable`; answered, replaced by `onRefusal` or thrown like
 * any refusal of that guard. For the grant itself, call `auth.verifyElevatedToken` in the handler instead.
 */
export function requireElevated(options: RequireElevatedOptions): FetchGuard {
  const required = elevatedScopes(options)
  return (<Args extends unknown[]>(
    handler: ProtectedHandler<Args, DynamicSession | undefined>,
    authOrOptions: AuthOrOptions,
    options: FetchAuthOptions<Args> = {},
  ) => protect(handler, authOrOptions, options, required)) as FetchGuard
}

function withScopes(given: string | readonly string[] | undefined, required: readonly string[]): readonly string[] {
  return [...(given === undefined ? [] : typeof given === 'string' ? [given] : given), ...required]
}

/**
 * Requires a request signed with the session key: returns {@link withDynamicAuth} that, once the
 * token is verified, checks the `x-session-signature` header, a signature by the key the token
 * names (`session_public_key`) over the method, the URL (path and query) and the body's bytes
 * (read from a clone: the handler reads the body as usual). Nonces are recorded in the verifier's
 * one-time store. Refusals (401, or 503 `one_time_store_unavailable`) are answered, replaced by
 * `onRefusal` or thrown like any refusal of that guard:
 * `export default { fetch: requireSessionSignature()(handler, auth) }`.
 */
export function requireSessionSignature(options?: SessionSignatureOptions): FetchGuard {
  const route = sessionSignatureRoute(options)
  return (<Args extends unknown[]>(
    handler: ProtectedHandler<Args, DynamicSession | undefined>,
    authOrOptions: AuthOrOptions,
    fetchOptions: FetchAuthOptions<Args> = {},
  ) => {
    const { preflight: _preflight, onRefusal, ...rest } = fetchOptions
    // One setup (one verifier, made here when options are given) for the guard and the proof.
    const setup = setupAdapter(authOrOptions, rest)
    const settings = guardSettings(setup)
    const signed: ProtectedHandler<Args, DynamicSession | undefined> = async (request, session, ...args) => {
      const decision = await sessionSignatureDecision(
        request,
        webReader,
        session,
        settings,
        route,
        { url: request.url, body: () => (request.body === null ? null : request.clone().arrayBuffer()) },
        { helper: 'requireSessionSignature()', guard: 'withDynamicAuth()' },
      )
      if (decision.action === 'continue') return handler(request, session, ...args)
      if (decision.action === 'forward') throw decision.error
      return onRefusal && decision.error ? onRefusal(decision.error, request, ...args) : answerResponse(decision.answer)
    }
    return guarded(setup, signed, fetchOptions)
  }) as FetchGuard
}

/**
 * A health endpoint. Fetch API: `(request) => Promise<Response>`, e.g. `if (url.pathname === '/healthz') return health(request)`. 200 while this instance can verify tokens (`ok`, `degraded`), 503 when it
 * cannot (`unavailable`), with the JSON of `auth.health()`; takes the verifier or this adapter's middleware.
 */
export { fetchHealthCheck as healthCheck } from '../http/health.js'
