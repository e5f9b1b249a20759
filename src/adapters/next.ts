/**
 * dynamic-guard/next: App Router route handlers and Next middleware (`middleware.ts` / `proxy.ts`).
 *
 * @example
 * // app/api/me/route.ts
 * import { withDynamicAuth } from 'dynamic-guard/next'
 * import { getAuth } from '@/lib/auth' // makes createDynamicAuth({ environmentId: ... }) on first use, then shares it
 *
 * export const GET = withDynamicAuth(async (request, { auth: session }) => Response.json({ userId: session.userId }), getAuth)
 *
 * // proxy.ts (middleware.ts before Next 16)
 * import { dynamicAuthMiddleware } from 'dynamic-guard/next'
 * export const proxy = dynamicAuthMiddleware(getAuth)
 * export const config = { matcher: '/api/:path*' }
 *
 * @packageDocumentation
 */
import type { NextFetchEvent, NextRequest } from 'next/server.js'
import type { DynamicAuthError } from '../errors.js'
import { answerResponse, guardRequest, guardSettings, type GuardSettings } from '../http/guard.js'
import { elevatedDecision, elevatedScopes, type RequireElevatedOptions } from '../http/elevated.js'
import type { AnonymousAllowed, AuthenticateOptions } from '../http/options.js'
import { scopeList } from '../http/scopes.js'
import {
  sessionSignatureDecision,
  sessionSignatureRoute,
  type SessionSignatureOptions,
} from '../http/session-signature.js'

/** Options of `requireSessionSignature()`: `maxSkewSeconds`, the allowed clock skew (default 60, 1 to 300). */
export type { SessionSignatureOptions }
import { webReader } from '../http/request.js'
import { setupAdapter, type AdapterSetup, type AuthOrOptions } from '../http/setup.js'
import type { DynamicSession } from '../session/session.js'

/** A route handler's context (`{ params }`), with the verified session added as `auth`. */
export type WithAuth<Context, S = DynamicSession> = Context & {
  /** The verified session. */
  auth: S
}

/** A route handler that receives the verified session in its context. */
export type ProtectedRouteHandler<Context, S = DynamicSession> = (
  request: NextRequest,
  context: WithAuth<Context, S>,
) => Response | Promise<Response>

/** A Next App Router route handler. */
export type RouteHandler<Context> = (request: NextRequest, context: Context) => Promise<Response>

/** A Next middleware function. */
export type NextMiddleware = (request: NextRequest, event: NextFetchEvent) => Promise<Response | undefined>

/** Options of the Next helpers: the shared adapter options, and a replacement for the refusal. */
export interface NextAuthOptions extends AuthenticateOptions {
  /** Replaces the RFC 6750 answer to a refusal (the error's `code` says why). Not called with `refusals: 'forward'`. */
  onRefusal?: (error: DynamicAuthError, request: NextRequest) => Response | Promise<Response>
}

/**
 * A verifier made on the first request: `() => auth` (or `() => options`). `next build` loads
 * route modules without the runtime's environment variables, so a verifier made at load time
 * from `process.env.DYNAMIC_ENVIRONMENT_ID` fails the build.
 */
export type LazyAuth = () => AuthOrOptions

type Setup = AdapterSetup & {
  readonly onRefusal: NextAuthOptions['onRefusal']
  /** For `requireElevated()`: the guard's settings and verifier. */
  readonly settings: GuardSettings
}

function setup(authOrOptions: AuthOrOptions, options?: NextAuthOptions): Setup {
  const made = setupAdapter(authOrOptions, options)
  return { ...made, onRefusal: options?.onRefusal, settings: guardSettings(made) }
}

/** The setup now, or, for a {@link LazyAuth}, on first use (then kept). */
function setupOnce(authOrOptions: AuthOrOptions | LazyAuth, options?: NextAuthOptions): () => Setup {
  if (typeof authOrOptions !== 'function') {
    const made = setup(authOrOptions, options)
    return () => made
  }
  let made: Setup | undefined
  return () => (made ??= setup(authOrOptions(), options))
}

/** The session to go on with, or the answer (a refusal or the 204 to a preflight); throws a forwarded refusal. */
async function authenticateOrAnswer(
  s: Setup,
  request: NextRequest,
  elevated?: readonly string[],
): Promise<{ session: DynamicSession | undefined } | Response> {
  let decision = await guardRequest(s, request, webReader)
  if (decision.action === 'continue' && elevated !== undefined) {
    const step = await elevatedDecision(request, webReader, decision.session, elevated, s.settings, NAMES)
    if (step.action === 'continue') return decision
    decision = step
  }
  if (decision.action === 'continue') return decision
  if (decision.action === 'forward') throw decision.error
  return s.onRefusal && decision.error ? s.onRefusal(decision.error, request) : answerResponse(decision.answer)
}

const NAMES = { helper: 'requireElevated()', guard: 'withDynamicAuth' } as const

/**
 * Protects an App Router route handler: the handler runs with `context.auth`, the verified
 * session; a refusal is answered per RFC 6750 (or thrown, with `refusals: 'forward'`). A request
 * shaped like a CORS preflight is answered 204 without CORS headers and the handler does not run,
 * unless `passPreflightsToApp` is set (the handler then runs with no session). Give the verifier
 * as a function (`() => getAuth()`) to make it on the first request, not when `next build` loads
 * the route.
 */
export function withDynamicAuth<
  Context = {
    /** The route's dynamic segments, as Next.js passes them. */
    params: Promise<Record<string, string | string[]>>
  },
>(
  handler: ProtectedRouteHandler<Context, DynamicSession | undefined>,
  authOrOptions: AuthOrOptions | LazyAuth,
  options: NextAuthOptions & AnonymousAllowed,
): RouteHandler<Context>
export function withDynamicAuth<
  Context = {
    /** The route's dynamic segments, as Next.js passes them. */
    params: Promise<Record<string, string | string[]>>
  },
>(
  handler: ProtectedRouteHandler<Context>,
  authOrOptions: AuthOrOptions | LazyAuth,
  options?: NextAuthOptions,
): RouteHandler<Context>
export function withDynamicAuth<Context>(
  handler: ProtectedRouteHandler<Context, DynamicSession | undefined>,
  authOrOptions: AuthOrOptions | LazyAuth,
  options?: NextAuthOptions,
): RouteHandler<Context> {
  return protect(handler, authOrOptions, options)
}

function protect<Context>(
  handler: ProtectedRouteHandler<Context, DynamicSession | undefined>,
  authOrOptions: AuthOrOptions | LazyAuth,
  options?: NextAuthOptions,
  elevated?: readonly string[],
): RouteHandler<Context> {
  const s = setupOnce(authOrOptions, options)
  return async function protectedRouteHandler(request: NextRequest, context: Context): Promise<Response> {
    const result = await authenticateOrAnswer(s(), request, elevated)
    if (result instanceof Response) return result
    return handler(request, { ...context, auth: result.session })
  }
}

/**
 * Requires an elevated access token (Dynamic's step-up) on a route: returns
 * {@link withDynamicAuth} that, once the session token is verified, also requires a token in
 * `x-dyn-elevated-access-token` granting every scope, of the same user and session, and consumes
 * it when single use (in `auth.oneTimeStore`):
 * `export const POST = requireElevated({ scopes: ['wallet:export'] })(handler, getAuth)`.
 * A refusal is 403 `insufficient_scope` naming the scopes (in `WWW-Authenticate` and the body's
 * `required_scopes`), with a code saying why (`elevated_token_missing`, `_invalid`, `_mismatch`,
 * `_reused`), or 503 `one_time_store_unavailable`; answered, replaced by `onRefusal` or thrown like
 * any refusal of that guard. For the grant itself, call `auth.verifyElevatedToken` in the handler instead.
 */
export function requireElevated(options: RequireElevatedOptions): typeof withDynamicAuth {
  const required = elevatedScopes(options)
  return (<Context>(
    handler: ProtectedRouteHandler<Context, DynamicSession | undefined>,
    authOrOptions: AuthOrOptions | LazyAuth,
    options?: NextAuthOptions,
  ) => protect(handler, authOrOptions, options, required)) as typeof withDynamicAuth
}

/**
 * Requires scopes on a route: returns {@link withDynamicAuth} requiring them (on top of
 * `user:basic`, the verifier's and the options' `requiredScopes`), refused with 403
 * `insufficient_scope` and answered or forwarded like any refusal of that guard:
 * `export const POST = requireScopes('wallet:sign')(handler, getAuth)`.
 */
export function requireScopes(...scopes: string[]): typeof withDynamicAuth {
  const required = scopeList(scopes)
  return (<Context>(
    handler: ProtectedRouteHandler<Context, DynamicSession | undefined>,
    authOrOptions: AuthOrOptions | LazyAuth,
    options: NextAuthOptions = {},
  ) => {
    const given = options.requiredScopes
    return withDynamicAuth(handler, authOrOptions, {
      ...options,
      requiredScopes: [...(given === undefined ? [] : typeof given === 'string' ? [given] : given), ...required],
    })
  }) as typeof withDynamicAuth
}

/**
 * Requires a request signed with the session key: returns {@link withDynamicAuth} that, once the
 * token is verified, checks the `x-session-signature` header, a signature by the key the token
 * names (`session_public_key`) over the method, the URL (path and query) and the body's bytes
 * (read from a clone: the handler reads the body as usual). Nonces are recorded in the verifier's
 * one-time store. Refusals (401, or 503 `one_time_store_unavailable`) are answered, replaced by
 * `onRefusal` or thrown like any refusal of that guard:
 * `export const POST = requireSessionSignature()(handler, getAuth)`.
 */
export function requireSessionSignature(options?: SessionSignatureOptions): typeof withDynamicAuth {
  const route = sessionSignatureRoute(options)
  return (<Context>(
    handler: ProtectedRouteHandler<Context, DynamicSession | undefined>,
    authOrOptions: AuthOrOptions | LazyAuth,
    nextOptions?: NextAuthOptions,
  ): RouteHandler<Context> => {
    const s = setupOnce(authOrOptions, nextOptions)
    let settings: GuardSettings | undefined
    return async function signedRouteHandler(request: NextRequest, context: Context): Promise<Response> {
      const made = s()
      const result = await authenticateOrAnswer(made, request)
      if (result instanceof Response) return result
      const decision = await sessionSignatureDecision(
        request,
        webReader,
        result.session,
        (settings ??= guardSettings(made)),
        route,
        { url: request.url, body: () => (request.body === null ? null : request.clone().arrayBuffer()) },
        { helper: 'requireSessionSignature()', guard: 'withDynamicAuth()' },
      )
      if (decision.action === 'continue') return handler(request, { ...context, auth: result.session })
      if (decision.action === 'forward') throw decision.error
      return made.onRefusal && decision.error
        ? made.onRefusal(decision.error, request)
        : answerResponse(decision.answer)
    }
  }) as typeof withDynamicAuth
}

/**
 * Next middleware that refuses unauthenticated requests per RFC 6750 (or throws the refusal, with
 * `refusals: 'forward'`) and lets the others continue (it returns nothing, which Next reads as
 * "go on"). Scope it with `config.matcher`. With a handler, the handler decides what to return,
 * given the session. A request shaped like a CORS preflight is answered 204 and never reaches a
 * route, unless `passPreflightsToApp` is set (it then goes on with no session). The verifier may
 * be given as a function, called on the first request.
 */
export function dynamicAuthMiddleware(
  authOrOptions: AuthOrOptions | LazyAuth,
  options?: NextAuthOptions,
  handler?: (
    request: NextRequest,
    session: DynamicSession | undefined,
    event: NextFetchEvent,
  ) => Response | undefined | Promise<Response | undefined>,
): NextMiddleware {
  const s = setupOnce(authOrOptions, options)
  return async function dynamicAuthNextMiddleware(
    request: NextRequest,
    event: NextFetchEvent,
  ): Promise<Response | undefined> {
    const result = await authenticateOrAnswer(s(), request)
    if (result instanceof Response) return result
    return handler ? handler(request, result.session, event) : undefined
  }
}

/**
 * A health endpoint. Next.js: `export const GET = healthCheck(auth)` in `app/healthz/route.ts`. 200 while this instance can verify tokens (`ok`, `degraded`), 503 when it
 * cannot (`unavailable`), with the JSON of `auth.health()`; takes the verifier or this adapter's middleware.
 */
export { fetchHealthCheck as healthCheck } from '../http/health.js'
