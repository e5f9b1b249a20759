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
 *
 * @packageDocumentation
 */
import type { MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { isDynamicAuthError, type DynamicAuthError } from '../errors.js'
import { authenticateRequest } from '../http/authenticate.js'
import { DEFAULT_REALM, type AuthenticateOptions } from '../http/options.js'
import { refusalFor, refusalResponse } from '../http/refusal.js'
import { isPreflight, webReader } from '../http/request.js'
import { scopeList, scopeRefusal } from '../http/scopes.js'
import { setupAdapter, type AuthOrOptions } from '../http/setup.js'
import type { DynamicSession } from '../session/session.js'
import type { DynamicAuth } from '../verifier.js'

export type { AuthenticateOptions, AuthOrOptions, DynamicSession, DynamicAuth }

/** Hono environment of protected routes: `c.get('auth')` is the session. */
export type DynamicAuthEnv = { Variables: { auth: DynamicSession } }
/** Hono environment of routes in optional mode: `c.get('auth')` may be undefined. */
export type OptionalDynamicAuthEnv = { Variables: { auth: DynamicSession | undefined } }

/**
 * A refusal, as Hono's HTTPException: its `getResponse()` is the RFC 6750 answer, so Hono's
 * default error handling sends it, and `app.onError` can replace it (`err.error` is the
 * DynamicAuthError, `err.error.code` its code).
 */
export class DynamicAuthException extends HTTPException {
  override readonly name = 'DynamicAuthException'
  /** The refusal. */
  readonly error: DynamicAuthError

  constructor(error: DynamicAuthError, realm: string = DEFAULT_REALM, scopes?: readonly string[]) {
    const refusal = refusalFor(error, scopes ? { realm, scopes } : { realm })
    super(refusal.status as 400 | 401 | 403 | 503, { res: refusalResponse(refusal), message: error.message, cause: error })
    this.error = error
  }
}

/**
 * Protects the routes after it: verifies the request's Dynamic token and sets `c.get('auth')`.
 * A refusal is thrown as a {@link DynamicAuthException}. CORS preflights pass untouched.
 */
export function dynamicAuth(authOrOptions: AuthOrOptions, options: AuthenticateOptions & { optional: true }): MiddlewareHandler<OptionalDynamicAuthEnv>
export function dynamicAuth(authOrOptions: AuthOrOptions & { optional: true }, options?: AuthenticateOptions): MiddlewareHandler<OptionalDynamicAuthEnv>
export function dynamicAuth(authOrOptions: AuthOrOptions, options?: AuthenticateOptions): MiddlewareHandler<DynamicAuthEnv>
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function dynamicAuth(authOrOptions: AuthOrOptions, options?: AuthenticateOptions): MiddlewareHandler<any> {
  const { auth, options: resolved, scopes } = setupAdapter(authOrOptions, options)
  const realm = resolved.realm
  const middleware: MiddlewareHandler<OptionalDynamicAuthEnv> = async function dynamicAuthMiddleware(c, next) {
    const request = c.req.raw
    if (isPreflight(webReader, request)) return next()
    let session: DynamicSession | undefined
    try {
      session = await authenticateRequest(auth, request, webReader, resolved)
    } catch (error) {
      throw isDynamicAuthError(error) ? new DynamicAuthException(error, realm, scopes) : error
    }
    c.set('auth', session)
    return next()
  }
  return middleware
}

/** Requires scopes on a route, after `dynamicAuth()`: `app.post('/sign', requireScopes('wallet:sign'), handler)`. */
export function requireScopes(...scopes: string[]): MiddlewareHandler<OptionalDynamicAuthEnv> {
  const required = scopeList(scopes)
  const challenge = ['user:basic', ...required]
  return async function requireScopesMiddleware(c, next) {
    if (isPreflight(webReader, c.req.raw)) return next()
    const refusal = scopeRefusal(c.get('auth'), required)
    if (refusal !== undefined) throw new DynamicAuthException(refusal, DEFAULT_REALM, challenge)
    return next()
  }
}
