/**
 * dynamic-guard/koa (Koa 2 and 3).
 *
 * @example
 * import Koa from 'koa'
 * import { dynamicAuth, dynamicAuthErrorHandler } from 'dynamic-guard/koa'
 *
 * const app = new Koa()
 * app.use(dynamicAuthErrorHandler()) // RFC 6750 answers in JSON
 * app.use(dynamicAuth({ environmentId: process.env.DYNAMIC_ENVIRONMENT_ID! }))
 * app.use((ctx) => { ctx.body = { userId: ctx.state.auth!.userId } })
 *
 * @packageDocumentation
 */
import type { Middleware } from 'koa'
import { isDynamicAuthError, type DynamicAuthError } from '../errors.js'
import { authenticateRequest } from '../http/authenticate.js'
import { DEFAULT_REALM, type AuthenticateOptions } from '../http/options.js'
import { isPreflight, nodeReader } from '../http/request.js'
import { scopeList, scopeRefusal } from '../http/scopes.js'
import { setupAdapter, type AuthOrOptions } from '../http/setup.js'
import type { DynamicSession } from '../session/session.js'
import type { DynamicAuth } from '../verifier.js'
import { dressRefusal, refusalOf } from './shared.js'

declare module 'koa' {
  interface DefaultState {
    /** The verified Dynamic session, set by `dynamicAuth()` (undefined for anonymous requests in optional mode). */
    auth?: DynamicSession
  }
}

export type { AuthenticateOptions, AuthOrOptions, DynamicSession, DynamicAuth }

/** The middleware, with the verifier it uses. */
export type DynamicAuthMiddleware = Middleware & { readonly auth: DynamicAuth }

/**
 * Protects the middleware after it: verifies the request's Dynamic token and sets
 * `ctx.state.auth`. A refusal is thrown the way `ctx.throw` does: a DynamicAuthError with
 * `status`, `expose` and `headers`, so Koa's default handling answers with the right status and
 * challenge (in text); {@link dynamicAuthErrorHandler} answers in JSON, and any upstream
 * try/catch middleware can answer differently. CORS preflights pass untouched.
 */
export function dynamicAuth(authOrOptions: AuthOrOptions, options?: AuthenticateOptions): DynamicAuthMiddleware {
  const { auth, options: resolved, scopes } = setupAdapter(authOrOptions, options)
  const realm = resolved.realm
  const middleware: Middleware = async function dynamicAuthMiddleware(ctx, next) {
    const request = ctx.req
    if (isPreflight(nodeReader, request)) return next()
    let session: DynamicSession | undefined
    try {
      session = await authenticateRequest(auth, request, nodeReader, resolved)
    } catch (error) {
      throw isDynamicAuthError(error) ? dressRefusal(error, realm, scopes) : error
    }
    if (session !== undefined) ctx.state.auth = session
    return next()
  }
  return Object.assign(middleware, { auth })
}

/** Requires scopes, after `dynamicAuth()`: `router.post('/sign', requireScopes('wallet:sign'), handler)`. */
export function requireScopes(...scopes: string[]): Middleware {
  const required = scopeList(scopes)
  const challenge = ['user:basic', ...required]
  return async function requireScopesMiddleware(ctx, next) {
    if (isPreflight(nodeReader, ctx.req)) return next()
    const refusal = scopeRefusal(ctx.state.auth as DynamicSession | undefined, required)
    if (refusal !== undefined) throw dressRefusal(refusal, DEFAULT_REALM, challenge)
    return next()
  }
}

/**
 * Mount first: answers refusals from the middleware after it per RFC 6750 (status,
 * `WWW-Authenticate`, `Retry-After`, JSON `{ error, error_description, code }`) and rethrows
 * every other error.
 */
export function dynamicAuthErrorHandler(options: { realm?: string } = {}): Middleware {
  return async function dynamicAuthErrorHandler(ctx, next) {
    try {
      await next()
    } catch (error) {
      if (!isDynamicAuthError(error) || ctx.headerSent) throw error
      const refusal = refusalOf(error as DynamicAuthError, options.realm)
      ctx.status = refusal.status
      ctx.set(refusal.headers as Record<string, string>)
      ctx.body = refusal.json
    }
  }
}
