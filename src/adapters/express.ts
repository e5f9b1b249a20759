/**
 * dynamic-guard/express (Express 4 and 5).
 *
 * @example
 * import express from 'express'
 * import { dynamicAuth, dynamicAuthErrorHandler, requireScopes } from 'dynamic-guard/express'
 *
 * const app = express()
 * app.use('/api', dynamicAuth({ environmentId: process.env.DYNAMIC_ENVIRONMENT_ID! }))
 * app.get('/api/me', (req, res) => res.json({ userId: req.auth!.userId }))
 * app.post('/api/sign', requireScopes('wallet:sign'), handler)
 * app.use(dynamicAuthErrorHandler()) // RFC 6750 answers in JSON
 *
 * @packageDocumentation
 */
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express'
import { isDynamicAuthError, type DynamicAuthError } from '../errors.js'
import { authenticateRequest } from '../http/authenticate.js'
import { DEFAULT_REALM, type AuthenticateOptions } from '../http/options.js'
import { writeRefusal } from '../http/refusal.js'
import { isPreflight, nodeReader } from '../http/request.js'
import { scopeList, scopeRefusal } from '../http/scopes.js'
import { setupAdapter, type AuthOrOptions } from '../http/setup.js'
import type { DynamicSession } from '../session/session.js'
import type { DynamicAuth } from '../verifier.js'
import { dressRefusal, refusalOf } from './shared.js'

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The verified Dynamic session, set by `dynamicAuth()` (undefined for anonymous requests in optional mode). */
      auth?: DynamicSession
    }
  }
}

export type { AuthenticateOptions, AuthOrOptions, DynamicSession }
export type { DynamicAuth }

/** The middleware, with the verifier it uses (to share it with `requireScopes` or elsewhere). */
export type DynamicAuthMiddleware = RequestHandler & { readonly auth: DynamicAuth }

/**
 * Protects the routes after it: verifies the request's Dynamic token and sets `req.auth`.
 * A refusal goes to `next(err)` as a {@link DynamicAuthError} carrying `status`, `statusCode`
 * and `headers`: mount {@link dynamicAuthErrorHandler} for the RFC 6750 JSON answer, or your own
 * error handler to answer differently. CORS preflights pass untouched.
 */
export function dynamicAuth(authOrOptions: AuthOrOptions, options?: AuthenticateOptions): DynamicAuthMiddleware {
  const { auth, options: resolved, scopes } = setupAdapter(authOrOptions, options)
  const realm = resolved.realm
  const middleware = function dynamicAuthMiddleware(req: Request, _res: Response, next: NextFunction): void {
    if (isPreflight(nodeReader, req)) return next()
    authenticateRequest(auth, req, nodeReader, resolved).then(
      (session) => {
        if (session !== undefined) req.auth = session
        next()
      },
      (error: unknown) => next(isDynamicAuthError(error) ? dressRefusal(error, realm, scopes) : error),
    )
  }
  return Object.assign(middleware, { auth })
}

/**
 * Requires scopes on a route, after `dynamicAuth()`: `app.post('/sign', requireScopes('wallet:sign'), handler)`.
 * Refuses with 403 `insufficient_scope` (or 401 when the request is anonymous, in optional mode).
 */
export function requireScopes(...scopes: string[]): RequestHandler {
  const required = scopeList(scopes)
  return function requireScopesMiddleware(req: Request, _res: Response, next: NextFunction): void {
    if (isPreflight(nodeReader, req)) return next()
    const refusal = scopeRefusal(req.auth, required)
    if (refusal === undefined) return next()
    next(dressRefusal(refusal, DEFAULT_REALM, ['user:basic', ...required]))
  }
}

/**
 * An Express error handler that answers refusals per RFC 6750 (status, `WWW-Authenticate`,
 * `Retry-After`, JSON `{ error, error_description, code }`) and passes every other error on.
 */
export function dynamicAuthErrorHandler(options: { realm?: string } = {}): ErrorRequestHandler {
  return function dynamicAuthErrorHandler(error: unknown, _req: Request, res: Response, next: NextFunction): void {
    if (!isDynamicAuthError(error) || res.headersSent) return next(error)
    writeRefusal(res, refusalOf(error as DynamicAuthError, options.realm))
  }
}
