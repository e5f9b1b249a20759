/**
 * dynamic-guard/koa (Koa 2 and 3).
 *
 * @example
 * import Koa from 'koa'
 * import { dynamicAuth } from 'dynamic-guard/koa'
 *
 * const app = new Koa()
 * app.use(dynamicAuth({ environmentId: process.env.DYNAMIC_ENVIRONMENT_ID! })) // refusals answered per RFC 6750 in JSON
 * app.use((ctx) => { ctx.body = { userId: ctx.state.auth!.userId } })
 * // To handle refusals upstream instead: dynamicAuth(auth, { refusals: 'forward' }), and
 * // app.use(dynamicAuthErrorHandler()) mounted first, or your own try/catch middleware.
 *
 * @packageDocumentation
 */
import type { Context, Middleware, Next } from 'koa'
import { isDynamicAuthError, type DynamicAuthError } from '../errors.js'
import { forwardedRefusal } from '../http/dress.js'
import {
  guardRequest,
  guardSettings,
  scopeDecision,
  type GuardDecision,
  type GuardSettings,
  type HttpAnswer,
} from '../http/guard.js'
import type { AuthenticateOptions } from '../http/options.js'
import { elevatedDecision, elevatedScopes, type RequireElevatedOptions } from '../http/elevated.js'
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

declare module 'koa' {
  interface DefaultState {
    /** The verified Dynamic session, set by `dynamicAuth()` (undefined for anonymous requests in optional mode). */
    auth?: DynamicSession
    /** The settings and verifier of the `dynamicAuth()` that ran: `requireScopes()` and `requireElevated()` follow them. */
    authGuard?: GuardSettings
    /** The elevated access token's grant, set by `requireElevated()` when it accepts one. */
    elevated?: ElevatedGrant
  }
}

/** The middleware, with the verifier it uses. */
export type DynamicAuthMiddleware = Middleware & {
  /** The verifier the middleware uses. */
  readonly auth: DynamicAuth
}

/**
 * Protects the middleware after it: verifies the request's Dynamic token and sets
 * `ctx.state.auth`. A refusal is answered per RFC 6750 (status, `WWW-Authenticate`, JSON body).
 * With `refusals: 'forward'` it is thrown instead, the way `ctx.throw` does: a DynamicAuthError
 * with `status`, `expose` and `headers`, for an upstream try/catch middleware (such as
 * {@link dynamicAuthErrorHandler}) or Koa's own handling and `app.on('error')`. A request shaped
 * like a CORS preflight is answered 204 and goes no further, unless `passPreflightsToApp` is set:
 * mount your CORS middleware before this one.
 */
export function dynamicAuth(authOrOptions: AuthOrOptions, options?: AuthenticateOptions): DynamicAuthMiddleware {
  const setup = setupAdapter(authOrOptions, options)
  const settings = guardSettings(setup)
  const middleware: Middleware = async function dynamicAuthMiddleware(ctx, next) {
    ctx.state.authGuard = settings
    const decision = await guardRequest(setup, ctx.req, nodeReader)
    if (decision.action === 'continue' && decision.session !== undefined) ctx.state.auth = decision.session
    return carryOut(decision, ctx, next)
  }
  return Object.assign(middleware, { auth: setup.auth })
}

/**
 * Requires scopes, after `dynamicAuth()`: `router.post('/sign', requireScopes('wallet:sign'), handler)`.
 * Answered or forwarded as the `dynamicAuth()` before it does.
 */
export function requireScopes(...scopes: string[]): Middleware {
  const required = scopeList(scopes)
  return async function requireScopesMiddleware(ctx, next) {
    return carryOut(
      scopeDecision(
        ctx.req,
        nodeReader,
        ctx.state.auth as DynamicSession | undefined,
        required,
        ctx.state.authGuard as GuardSettings | undefined,
      ),
      ctx,
      next,
    )
  }
}

const NAMES = { helper: 'requireElevated()', guard: 'dynamicAuth()' } as const

/**
 * Requires an elevated access token (Dynamic's step-up), after `dynamicAuth()`:
 * `router.post('/export', requireElevated({ scopes: ['wallet:export'] }), handler)`; the grant is
 * in `ctx.state.elevated`.
 * The token comes in `x-dyn-elevated-access-token`; it must grant every scope and belong to the
 * same user and session as the verified session, and a single-use token is consumed (in
 * `auth.oneTimeStore`). A refusal is 403 `insufficient_scope` naming the scopes (in
 * `WWW-Authenticate` and the body's `required_scopes`), with a code saying why
 * (`elevated_token_missing`, `_invalid`, `_mismatch`, `_reused`), or 503
 * `one_time_store_unavailable`; answered or forwarded as the guard before it does. Without that
 * guard, every request is refused 401.
 */
export function requireElevated(options: RequireElevatedOptions): Middleware {
  const required = elevatedScopes(options)
  return async function requireElevatedMiddleware(ctx, next) {
    const decision = await elevatedDecision(
      ctx.req,
      nodeReader,
      ctx.state.auth as DynamicSession | undefined,
      required,
      ctx.state.authGuard as GuardSettings | undefined,
      NAMES,
    )
    if (decision.action !== 'continue') return carryOut(decision, ctx, next)
    if (decision.grant !== undefined) ctx.state.elevated = decision.grant
    return next()
  }
}

function carryOut(decision: GuardDecision, ctx: Context, next: Next): Promise<void> | void {
  if (decision.action === 'continue') return next()
  if (decision.action === 'forward') throw decision.error
  answer(ctx, decision.answer)
}

function answer(ctx: Context, answer: HttpAnswer): void {
  ctx.status = answer.status
  ctx.set(answer.headers as Record<string, string>)
  ctx.body = answer.json ?? null
}

/**
 * For `refusals: 'forward'`. Mount first: answers refusals from the middleware after it per
 * RFC 6750 (status, `WWW-Authenticate`, `Retry-After`, JSON `{ error, error_description, code }`)
 * and rethrows every other error.
 */
export function dynamicAuthErrorHandler(options: { realm?: string } = {}): Middleware {
  return async function dynamicAuthErrorHandler(ctx, next) {
    try {
      await next()
    } catch (error) {
      if (!isDynamicAuthError(error) || ctx.headerSent) throw error
      answer(ctx, forwardedRefusal(error as DynamicAuthError, options.realm))
    }
  }
}

/**
 * Requires a request signed with the session key, after `dynamicAuth()`: the `x-session-signature`
 * header must be a signature by the key the token names (`session_public_key`) over the method,
 * `ctx.originalUrl` and the body's raw bytes (see the session-key guide). The body parser must keep
 * `ctx.request.rawBody` (bytes, or a string taken as UTF-8), or leave the body as bytes; a body
 * parsed without them is refused as a configuration error (thrown), never passed unchecked. Nonces
 * are recorded in the verifier's one-time store. Refusals (401, or 503
 * `one_time_store_unavailable`) are answered or forwarded as the `dynamicAuth()` before it does.
 */
export function requireSessionSignature(options?: SessionSignatureOptions): Middleware {
  const route = sessionSignatureRoute(options)
  return async function requireSessionSignatureMiddleware(ctx, next) {
    const request = ctx.request as { rawBody?: unknown; body?: unknown }
    const source = {
      url: ctx.originalUrl,
      body: () =>
        nodeRawBody(
          request.rawBody,
          request.body,
          ctx.req.headers,
          'use a body parser that keeps ctx.request.rawBody (such as @koa/bodyparser), mounted before requireSessionSignature().',
        ),
    }
    const decision = await sessionSignatureDecision(
      ctx.req,
      nodeReader,
      ctx.state.auth as DynamicSession | undefined,
      ctx.state.authGuard as GuardSettings | undefined,
      route,
      source,
      { helper: 'requireSessionSignature()', guard: 'dynamicAuth()' },
    )
    return carryOut(decision, ctx, next)
  }
}

/**
 * A health endpoint. Koa: a route or middleware answering `healthCheck(auth)`. 200 while this instance can verify tokens (`ok`, `degraded`), 503 when it
 * cannot (`unavailable`), with the JSON of `auth.health()`; takes the verifier or this adapter's middleware.
 */
export { koaHealthCheck as healthCheck } from '../http/health.js'
