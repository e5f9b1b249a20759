/**
 * dynamic-guard/next: App Router route handlers and Next middleware (`middleware.ts` / `proxy.ts`).
 *
 * @example
 * // app/api/me/route.ts
 * import { withDynamicAuth } from 'dynamic-guard/next'
 * import { auth } from '@/lib/auth' // createDynamicAuth({ environmentId: ... }), created once
 *
 * export const GET = withDynamicAuth(async (request, { auth: session }) => Response.json({ userId: session.userId }), auth)
 *
 * // middleware.ts
 * import { dynamicAuthMiddleware } from 'dynamic-guard/next'
 * export const middleware = dynamicAuthMiddleware(auth)
 * export const config = { matcher: '/api/:path*' }
 *
 * @packageDocumentation
 */
import type { NextFetchEvent, NextRequest } from 'next/server.js'
import { authenticateRequest } from '../http/authenticate.js'
import type { AuthenticateOptions } from '../http/options.js'
import { refusalFor, refusalResponse, type RefusalOptions } from '../http/refusal.js'
import { isDynamicAuthError, type DynamicAuthError } from '../errors.js'
import { scopeList } from '../http/scopes.js'
import { isPreflight, webReader } from '../http/request.js'
import { setupAdapter, type AdapterSetup, type AuthOrOptions } from '../http/setup.js'
import type { DynamicSession } from '../session/session.js'
import type { DynamicAuth } from '../verifier.js'

export type { AuthenticateOptions, AuthOrOptions, DynamicSession, DynamicAuth }

/** A route handler's context (`{ params }`), with the verified session added as `auth`. */
export type WithAuth<Context, S = DynamicSession> = Context & { auth: S }

/** A route handler that receives the verified session in its context. */
export type ProtectedRouteHandler<Context, S = DynamicSession> = (request: NextRequest, context: WithAuth<Context, S>) => Response | Promise<Response>

/** A Next App Router route handler. */
export type RouteHandler<Context> = (request: NextRequest, context: Context) => Promise<Response>

/** A Next middleware function. */
export type NextMiddleware = (request: NextRequest, event: NextFetchEvent) => Promise<Response | undefined>

/** Options of the Next helpers: the shared adapter options, and a replacement for the refusal. */
export interface NextAuthOptions extends AuthenticateOptions {
  /** Replaces the RFC 6750 answer to a refusal (the error's `code` says why). */
  onRefusal?: (error: DynamicAuthError, request: NextRequest) => Response | Promise<Response>
}

type Setup = AdapterSetup & { readonly refusal: RefusalOptions; readonly onRefusal: NextAuthOptions['onRefusal'] }

function setup(authOrOptions: AuthOrOptions, options?: NextAuthOptions): Setup {
  const base = setupAdapter(authOrOptions, options)
  return { ...base, refusal: { realm: base.options.realm, scopes: base.scopes }, onRefusal: options?.onRefusal }
}

async function authenticateOrRefuse(s: Setup, request: NextRequest): Promise<{ session: DynamicSession | undefined } | Response> {
  try {
    return { session: await authenticateRequest(s.auth, request, webReader, s.options) }
  } catch (error) {
    if (!isDynamicAuthError(error)) throw error
    return s.onRefusal ? s.onRefusal(error, request) : refusalResponse(refusalFor(error, s.refusal))
  }
}

/** Options requiring scopes on a route: `withDynamicAuth(handler, auth, requireScopes('wallet:sign'))`. */
export function requireScopes(...scopes: string[]): NextAuthOptions {
  return { requiredScopes: scopeList(scopes) }
}

/**
 * Protects an App Router route handler: the handler runs with `context.auth`, the verified
 * session; a refusal is answered per RFC 6750. A CORS preflight (Next answers OPTIONS itself
 * unless you export it) is answered 204 without CORS headers.
 */
export function withDynamicAuth<Context = { params: Promise<Record<string, string | string[]>> }>(
  handler: ProtectedRouteHandler<Context>,
  authOrOptions: AuthOrOptions,
  options?: NextAuthOptions,
): RouteHandler<Context>
export function withDynamicAuth<Context = { params: Promise<Record<string, string | string[]>> }>(
  handler: ProtectedRouteHandler<Context, DynamicSession | undefined>,
  authOrOptions: AuthOrOptions,
  options: NextAuthOptions & { optional: true },
): RouteHandler<Context>
export function withDynamicAuth<Context>(
  handler: ProtectedRouteHandler<Context, DynamicSession | undefined>,
  authOrOptions: AuthOrOptions,
  options?: NextAuthOptions,
): RouteHandler<Context> {
  const s = setup(authOrOptions, options)
  return async function protectedRouteHandler(request: NextRequest, context: Context): Promise<Response> {
    if (isPreflight(webReader, request)) return new Response(null, { status: 204 })
    const result = await authenticateOrRefuse(s, request)
    if (result instanceof Response) return result
    return handler(request, { ...context, auth: result.session })
  }
}

/**
 * Next middleware that refuses unauthenticated requests per RFC 6750 and lets the others
 * continue (it returns nothing, which Next reads as "go on"). Scope it with `config.matcher`.
 * With a handler, the handler decides what to return, given the session.
 */
export function dynamicAuthMiddleware(
  authOrOptions: AuthOrOptions,
  options?: NextAuthOptions,
  handler?: (request: NextRequest, session: DynamicSession | undefined, event: NextFetchEvent) => Response | undefined | Promise<Response | undefined>,
): NextMiddleware {
  const s = setup(authOrOptions, options)
  return async function dynamicAuthNextMiddleware(request: NextRequest, event: NextFetchEvent): Promise<Response | undefined> {
    if (isPreflight(webReader, request)) return undefined
    const result = await authenticateOrRefuse(s, request)
    if (result instanceof Response) return result
    return handler ? handler(request, result.session, event) : undefined
  }
}
