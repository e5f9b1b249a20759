/**
 * dynamic-guard/fetch: for anything built on the Web-standard Request and Response (Bun, Deno,
 * Cloudflare Workers, Next route handlers, service workers).
 *
 * @example
 * import { createDynamicAuth } from 'dynamic-guard'
 * import { dynamicAuth } from 'dynamic-guard/fetch'
 *
 * const guard = dynamicAuth(createDynamicAuth({ environmentId: process.env.DYNAMIC_ENVIRONMENT_ID! }))
 * export default {
 *   fetch: guard.protect((request, session) => Response.json({ userId: session.userId })),
 * }
 * // or by hand: const session = await guard.authenticate(request)
 *
 * @packageDocumentation
 */
import { isDynamicAuthError, type DynamicAuthError } from '../errors.js'
import { authenticateRequest } from '../http/authenticate.js'
import { answerResponse, guardRequest } from '../http/guard.js'
import type { AnonymousAllowed, AuthenticateOptions, RefusalHandling } from '../http/options.js'
import { refusalFor, type Refusal, type RefusalBody, type RefusalOptions } from '../http/refusal.js'
import { isPreflight, webReader } from '../http/request.js'
import { setupAdapter, type AuthOrOptions } from '../http/setup.js'
import { scopeList } from '../http/scopes.js'
import type { DynamicSession } from '../session/session.js'
import type { DynamicAuth } from '../verifier.js'

export type { AnonymousAllowed, AuthenticateOptions, AuthOrOptions, DynamicSession, DynamicAuth, Refusal, RefusalBody, RefusalHandling, RefusalOptions }

/** A fetch handler that receives the verified session. */
export type ProtectedHandler<Args extends unknown[] = unknown[], S = DynamicSession> = (request: Request, session: S, ...args: Args) => Response | Promise<Response>
/** A plain fetch handler (`fetch(request, env, ctx)` in Workers, `(request, info)` in Deno). */
export type FetchHandler<Args extends unknown[] = unknown[]> = (request: Request, ...args: Args) => Promise<Response>

/** Options of {@link DynamicAuthFetch.protect}. */
export interface ProtectOptions<Args extends unknown[]> {
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

/** The fetch adapter: authenticate by hand, or wrap a handler. */
export interface DynamicAuthFetch<S = DynamicSession> {
  /** The verifier in use. */
  readonly auth: DynamicAuth
  /** Resolves to the request's session; rejects with a DynamicAuthError (see {@link DynamicAuthFetch.refuse}). */
  authenticate(request: Request): Promise<S>
  /**
   * Wraps a handler: it runs with the verified session; refusals are answered per RFC 6750 (or
   * thrown, with `refusals: 'forward'`); a preflight-shaped request is answered 204 (see `preflight`).
   */
  protect<Args extends unknown[]>(handler: ProtectedHandler<Args, S>, options?: ProtectOptions<Args>): FetchHandler<Args>
  /** The RFC 6750 answer to an error from `authenticate` (rethrows anything that is not a DynamicAuthError). */
  refuse(error: unknown): Response
}

/**
 * Creates the fetch adapter from a verifier or its options.
 */
export function dynamicAuth(authOrOptions: AuthOrOptions, options: AuthenticateOptions & AnonymousAllowed): DynamicAuthFetch<DynamicSession | undefined>
export function dynamicAuth(authOrOptions: AuthOrOptions & AnonymousAllowed, options?: AuthenticateOptions): DynamicAuthFetch<DynamicSession | undefined>
export function dynamicAuth(authOrOptions: AuthOrOptions, options?: AuthenticateOptions): DynamicAuthFetch
export function dynamicAuth(authOrOptions: AuthOrOptions, options?: AuthenticateOptions): DynamicAuthFetch<DynamicSession | undefined> {
  const setup = setupAdapter(authOrOptions, options)
  const { auth, options: resolved, scopes } = setup
  const refusalOptions: RefusalOptions = { realm: resolved.realm, scopes }
  const authenticate = (request: Request): Promise<DynamicSession | undefined> => authenticateRequest(auth, request, webReader, resolved, setup.recent)
  const refuse = (error: unknown): Response => {
    if (!isDynamicAuthError(error)) throw error
    return answerResponse(refusalFor(error, refusalOptions))
  }
  return {
    auth,
    authenticate,
    refuse,
    protect<Args extends unknown[]>(handler: ProtectedHandler<Args, DynamicSession | undefined>, protectOptions: ProtectOptions<Args> = {}): FetchHandler<Args> {
      const { preflight, onRefusal } = protectOptions
      return async function protectedHandler(request: Request, ...args: Args): Promise<Response> {
        if (preflight && isPreflight(webReader, request)) return preflight(request, ...args)
        const decision = await guardRequest(setup, request, webReader)
        if (decision.action === 'continue') return handler(request, decision.session, ...args)
        if (decision.action === 'forward') throw decision.error
        return onRefusal && decision.error ? onRefusal(decision.error, request, ...args) : answerResponse(decision.answer)
      }
    },
  }
}

/** Options requiring scopes on a route: `dynamicAuth(auth, requireScopes('wallet:sign'))`. */
export function requireScopes(...scopes: string[]): AuthenticateOptions {
  return { requiredScopes: scopeList(scopes) }
}

/**
 * Wraps one handler: `export default { fetch: withDynamicAuth((request, session) => ..., auth) }`.
 * A token is always required (`optional` is ignored); with `passPreflightsToApp`, preflight-shaped
 * requests reach the handler with no session.
 */
export function withDynamicAuth<Args extends unknown[]>(
  handler: ProtectedHandler<Args, DynamicSession | undefined>,
  authOrOptions: AuthOrOptions,
  options: AuthenticateOptions & ProtectOptions<Args> & { passPreflightsToApp: true },
): FetchHandler<Args>
export function withDynamicAuth<Args extends unknown[]>(
  handler: ProtectedHandler<Args>,
  authOrOptions: AuthOrOptions,
  options?: AuthenticateOptions & ProtectOptions<Args>,
): FetchHandler<Args>
export function withDynamicAuth<Args extends unknown[]>(
  handler: ProtectedHandler<Args>,
  authOrOptions: AuthOrOptions,
  options?: AuthenticateOptions & ProtectOptions<Args>,
): FetchHandler<Args> {
  const { preflight, onRefusal, ...rest } = options ?? {}
  const guard: DynamicAuthFetch<DynamicSession | undefined> = dynamicAuth(authOrOptions, { ...rest, optional: false })
  // Without a token the request is refused, so the handler sees undefined only for a preflight passed on.
  return guard.protect(handler as ProtectedHandler<Args, DynamicSession | undefined>, { ...(preflight ? { preflight } : {}), ...(onRefusal ? { onRefusal } : {}) })
}

/** The RFC 6750 answer to a DynamicAuthError, as a Response (for code that calls `auth.authenticate` itself). */
export function refusalAsResponse(error: unknown, options?: RefusalOptions): Response {
  if (!isDynamicAuthError(error)) throw error
  return answerResponse(refusalFor(error, options))
}

/**
 * A health endpoint. Fetch API: `(request) => Promise<Response>`, e.g. `if (url.pathname === '/healthz') return health(request)`. 200 while this instance can verify tokens (`ok`, `degraded`), 503 when it
 * cannot (`unavailable`), with the JSON of `auth.health()`; takes the verifier or this adapter's middleware.
 */
export { fetchHealthCheck as healthCheck } from '../http/health.js'
