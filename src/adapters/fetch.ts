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
import type { AuthenticateOptions } from '../http/options.js'
import { refusalFor, refusalResponse, type Refusal, type RefusalBody, type RefusalOptions } from '../http/refusal.js'
import { isPreflight, webReader } from '../http/request.js'
import { setupAdapter, type AuthOrOptions } from '../http/setup.js'
import { scopeList } from '../http/scopes.js'
import type { DynamicSession } from '../session/session.js'
import type { DynamicAuth } from '../verifier.js'

export type { AuthenticateOptions, AuthOrOptions, DynamicSession, DynamicAuth, Refusal, RefusalBody, RefusalOptions }

/** A fetch handler that receives the verified session. */
export type ProtectedHandler<Args extends unknown[] = unknown[], S = DynamicSession> = (request: Request, session: S, ...args: Args) => Response | Promise<Response>
/** A plain fetch handler (`fetch(request, env, ctx)` in Workers, `(request, info)` in Deno). */
export type FetchHandler<Args extends unknown[] = unknown[]> = (request: Request, ...args: Args) => Promise<Response>

/** Options of {@link DynamicAuthFetch.protect}. */
export interface ProtectOptions<Args extends unknown[]> {
  /**
   * Answers CORS preflights (OPTIONS with Access-Control-Request-Method), which carry no
   * credentials and are never authenticated. Default: 204 with no CORS headers (cross-origin calls refused).
   */
  preflight?: (request: Request, ...args: Args) => Response | Promise<Response>
  /** Replaces the RFC 6750 answer to a refusal (the error's `code` says why). */
  onRefusal?: (error: DynamicAuthError, request: Request, ...args: Args) => Response | Promise<Response>
}

/** The fetch adapter: authenticate by hand, or wrap a handler. */
export interface DynamicAuthFetch<S = DynamicSession> {
  /** The verifier in use. */
  readonly auth: DynamicAuth
  /** Resolves to the request's session; rejects with a DynamicAuthError (see {@link DynamicAuthFetch.refuse}). */
  authenticate(request: Request): Promise<S>
  /** Wraps a handler: it runs with the verified session; refusals are answered per RFC 6750. */
  protect<Args extends unknown[]>(handler: ProtectedHandler<Args, S>, options?: ProtectOptions<Args>): FetchHandler<Args>
  /** The RFC 6750 answer to an error from `authenticate` (rethrows anything that is not a DynamicAuthError). */
  refuse(error: unknown): Response
}

/**
 * Creates the fetch adapter from a verifier or its options.
 */
export function dynamicAuth(authOrOptions: AuthOrOptions, options: AuthenticateOptions & { optional: true }): DynamicAuthFetch<DynamicSession | undefined>
export function dynamicAuth(authOrOptions: AuthOrOptions & { optional: true }, options?: AuthenticateOptions): DynamicAuthFetch<DynamicSession | undefined>
export function dynamicAuth(authOrOptions: AuthOrOptions, options?: AuthenticateOptions): DynamicAuthFetch
export function dynamicAuth(authOrOptions: AuthOrOptions, options?: AuthenticateOptions): DynamicAuthFetch<DynamicSession | undefined> {
  const { auth, options: resolved, scopes } = setupAdapter(authOrOptions, options)
  const refusalOptions: RefusalOptions = { realm: resolved.realm, scopes }
  const authenticate = (request: Request): Promise<DynamicSession | undefined> => authenticateRequest(auth, request, webReader, resolved)
  const refuse = (error: unknown): Response => {
    if (!isDynamicAuthError(error)) throw error
    return refusalResponse(refusalFor(error, refusalOptions))
  }
  return {
    auth,
    authenticate,
    refuse,
    protect<Args extends unknown[]>(handler: ProtectedHandler<Args, DynamicSession | undefined>, protectOptions: ProtectOptions<Args> = {}): FetchHandler<Args> {
      const { preflight, onRefusal } = protectOptions
      return async function protectedHandler(request: Request, ...args: Args): Promise<Response> {
        if (isPreflight(webReader, request)) return preflight ? preflight(request, ...args) : new Response(null, { status: 204 })
        let session: DynamicSession | undefined
        try {
          session = await authenticateRequest(auth, request, webReader, resolved)
        } catch (error) {
          return onRefusal && isDynamicAuthError(error) ? onRefusal(error, request, ...args) : refuse(error)
        }
        return handler(request, session, ...args)
      }
    },
  }
}

/** Options requiring scopes on a route: `dynamicAuth(auth, requireScopes('wallet:sign'))`. */
export function requireScopes(...scopes: string[]): AuthenticateOptions {
  return { requiredScopes: scopeList(scopes) }
}

/** Wraps one handler: `export default { fetch: withDynamicAuth((request, session) => ..., auth) }`. */
export function withDynamicAuth<Args extends unknown[]>(
  handler: ProtectedHandler<Args>,
  authOrOptions: AuthOrOptions,
  options?: AuthenticateOptions & ProtectOptions<Args>,
): FetchHandler<Args> {
  const { preflight, onRefusal, ...rest } = options ?? {}
  return dynamicAuth(authOrOptions, { ...rest, optional: false }).protect(handler, { ...(preflight ? { preflight } : {}), ...(onRefusal ? { onRefusal } : {}) })
}

/** The RFC 6750 answer to a DynamicAuthError, as a Response (for code that calls `auth.authenticate` itself). */
export function refusalAsResponse(error: unknown, options?: RefusalOptions): Response {
  if (!isDynamicAuthError(error)) throw error
  return refusalResponse(refusalFor(error, options))
}
