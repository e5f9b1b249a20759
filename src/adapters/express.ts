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
 * // A request signed with the session key (the signature covers the body's raw bytes):
 * app.post('/api/withdraw', express.raw({ type: 'application/json' }), requireSessionSignature(), handler)
 * // Step-up: an elevated access token for wallet:export, in x-dyn-elevated-access-token.
 * app.post('/api/export', requireElevated({ scopes: ['wallet:export'] }), handler)
 * // Refusals are answered per RFC 6750 in JSON. To handle them in your error middleware instead:
 * // dynamicAuth(auth, { refusals: 'forward' }) and app.use(dynamicAuthErrorHandler()) or your own.
 *
 * @packageDocumentation
 */
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express'
import { isDynamicAuthError, type DynamicAuthError } from '../errors.js'
import { forwardedRefusal } from '../http/dress.js'
import {
  guardRequest,
  guardSettings,
  scopeDecision,
  writeAnswer,
  type GuardDecision,
  type GuardSettings,
} from '../http/guard.js'
import type { AuthenticateOptions } from '../http/options.js'
import {
  elevatedDecision,
  elevatedScopes,
  type ElevatedDecision,
  type RequireElevatedOptions,
} from '../http/elevated.js'
import type { ElevatedGrant } from '../elevated/grant.js'
import { nodeReader } from '../http/request.js'
import { scopeList } from '../http/scopes.js'
import {
  nodeRawBody,
  sessionSignatureDecision,
  sessionSignatureRoute,
  type SessionSignatureOptions,
} from '../http/session-signature.js'

/** Options of `requireSessionSignature()`: `maxSkewSeconds`, the allowed clock skew (default 60, 1 to 300). */
export type { SessionSignatureOptions }
import { setupAdapter, type AuthOrOptions } from '../http/setup.js'
import type { DynamicSession } from '../session/session.js'
import type { DynamicAuth } from '../verifier.js'

declare global {
  // Express declares its Request type in this global namespace: augmenting it is how `req.auth` gets typed.
  namespace Express {
    interface Request {
      /** The verified Dynamic session, set by `dynamicAuth()` (undefined for anonymous requests in optional mode). */
      auth?: DynamicSession
      /** The settings and verifier of the `dynamicAuth()` that ran: `requireScopes()` and `requireElevated()` follow them. */
      authGuard?: GuardSettings
      /** The elevated access token's grant, set by `requireElevated()` when it accepts one. */
      elevated?: ElevatedGrant
    }
  }
}

/** The middleware, with the verifier it uses (to share it with `requireScopes` or elsewhere). */
export type DynamicAuthMiddleware = RequestHandler & {
  /** The verifier the middleware uses. */
  readonly auth: DynamicAuth
}

/**
 * Protects the routes after it: verifies the request's Dynamic token and sets `req.auth`.
 * A refusal is answered per RFC 6750 (status, `WWW-Authenticate`, JSON body); with
 * `refusals: 'forward'` it goes to `next(err)` instead, as a {@link DynamicAuthError} carrying
 * `status`, `statusCode` and `headers` (answer it with {@link dynamicAuthErrorHandler} or your
 * own error middleware). A request shaped like a CORS preflight is answered 204 and goes no
 * further, unless `passPreflightsToApp` is set: mount your CORS middleware before this one.
 */
export function dynamicAuth(authOrOptions: AuthOrOptions, options?: AuthenticateOptions): DynamicAuthMiddleware {
  const setup = setupAdapter(authOrOptions, options)
  const settings = guardSettings(setup)
  const middleware = function dynamicAuthMiddleware(req: Request, res: Response, next: NextFunction): void {
    req.authGuard = settings
    guardRequest(setup, req, nodeReader).then((decision) => {
      if (decision.action === 'continue' && decision.session !== undefined) req.auth = decision.session
      carryOut(decision, res, next)
    }, next)
  }
  return Object.assign(middleware, { auth: setup.auth })
}

/**
 * Requires scopes on a route, after `dynamicAuth()`: `app.post('/sign', requireScopes('wallet:sign'), handler)`.
 * Refuses with 403 `insufficient_scope` (or 401 when the request is anonymous, in optional mode),
 * answered or forwarded as the `dynamicAuth()` before it does.
 */
export function requireScopes(...scopes: string[]): RequestHandler {
  const required = scopeList(scopes)
  return function requireScopesMiddleware(req: Request, res: Response, next: NextFunction): void {
    carryOut(scopeDecision(req, nodeReader, req.auth, required, req.authGuard), res, next)
  }
}

const NAMES = { helper: 'requireElevated()', guard: 'dynamicAuth()' } as const

/**
 * Requires an elevated access token (Dynamic's step-up) on a route, after `dynamicAuth()`:
 * `app.post('/export', requireElevated({ scopes: ['wallet:export'] }), handler)`. The token comes
 * in `x-dyn-elevated-access-token`; it must grant every scope and belong to the same user and
 * session as `req.auth`, and a single-use token is consumed (in `auth.oneTimeStore`). The handler
 * finds the grant in `req.elevated`. A refusal is 403 `insufficient_scope` naming the scopes (in
 * `WWW-Authenticate` and the body's `required_scopes`), with a code saying why
 * (`elevated_token_missing`, `_invalid`, `_mismatch`, `_reused`), or 503
 * `one_time_store_unavailable`; answered or forwarded as the `dynamicAuth()` before it does.
 * Without `dynamicAuth()` before it, every request is refused 401.
 */
export function requireElevated(options: RequireElevatedOptions): RequestHandler {
  const required = elevatedScopes(options)
  return function requireElevatedMiddleware(req: Request, res: Response, next: NextFunction): void {
    elevatedDecision(req, nodeReader, req.auth, required, req.authGuard, NAMES).then((decision: ElevatedDecision) => {
      if (decision.action !== 'continue') return carryOut(decision, res, next)
      if (decision.grant !== undefined) req.elevated = decision.grant
      next()
    }, next)
  }
}

function carryOut(decision: GuardDecision, res: Response, next: NextFunction): void {
  if (decision.action === 'continue') next()
  else if (decision.action === 'forward') next(decision.error)
  else writeAnswer(res, decision.answer)
}

/**
 * For `refusals: 'forward'`: an Express error handler that answers refusals per RFC 6750 (status, `WWW-Authenticate`,
 * `Retry-After`, JSON `{ error, error_description, code }`) and passes every other error on.
 */
export function dynamicAuthErrorHandler(options: { realm?: string } = {}): ErrorRequestHandler {
  return function dynamicAuthErrorHandler(error: unknown, _req: Request, res: Response, next: NextFunction): void {
    if (!isDynamicAuthError(error) || res.headersSent) {
      next(error)
      return
    }
    writeAnswer(res, forwardedRefusal(error as DynamicAuthError, options.realm))
  }
}

/**
 * Requires a request signed with the session key, after `dynamicAuth()`: the `x-session-signature`
 * header must be a signature by the key the token names (`session_public_key`) over the method,
 * `req.originalUrl` and the body's raw bytes (see the session-key guide). Keep the bytes with the
 * body parser's `verify` hook (`express.json({ verify: (req, _res, bytes) => { req.rawBody = bytes } })`)
 * or take the body raw (`express.raw()`); a body parsed without them is refused as a configuration
 * error (`next(err)`), never passed unchecked. Nonces are recorded in the verifier's one-time store.
 * Refusals (401, or 503 `one_time_store_unavailable`) are answered or forwarded as the
 * `dynamicAuth()` before it does.
 */
export function requireSessionSignature(options?: SessionSignatureOptions): RequestHandler {
  const route = sessionSignatureRoute(options)
  return function requireSessionSignatureMiddleware(req: Request, res: Response, next: NextFunction): void {
    const source = {
      url: req.originalUrl,
      body: () =>
        nodeRawBody(
          (req as { rawBody?: unknown }).rawBody,
          req.body,
          req.headers,
          "keep the bytes with express.json({ verify: (req, _res, bytes) => { req.rawBody = bytes } }) (or express.raw()) before this route's requireSessionSignature().",
        ),
    }
    sessionSignatureDecision(req, nodeReader, req.auth, req.authGuard, route, source, {
      helper: 'requireSessionSignature()',
      guard: 'dynamicAuth()',
    }).then((decision) => carryOut(decision, res, next), next)
  }
}

/**
 * A health endpoint. Express: `app.get('/healthz', healthCheck(auth))`. 200 while this instance can verify tokens (`ok`, `degraded`), 503 when it
 * cannot (`unavailable`), with the JSON of `auth.health()`; takes the verifier or this adapter's middleware.
 */
export { expressHealthCheck as healthCheck } from '../http/health.js'
