/**
 * dynamic-guard/fastify (Fastify 5): a plugin in the fastify-plugin style.
 *
 * @example
 * import Fastify from 'fastify'
 * import { dynamicAuthPlugin, requireScopes } from 'dynamic-guard/fastify'
 *
 * const app = Fastify()
 * await app.register(dynamicAuthPlugin, { environmentId: process.env.DYNAMIC_ENVIRONMENT_ID! })
 * app.get('/me', async (request) => ({ userId: request.auth!.userId }))
 * app.post('/sign', { onRequest: requireScopes('wallet:sign') }, handler)
 * // A request signed with the session key (after the body is parsed, its bytes kept):
 * app.post('/withdraw', { preParsing: keepRawBody, preHandler: requireSessionSignature() }, handler)
 *
 * // Refusals are answered per RFC 6750 in JSON. To handle them in your setErrorHandler instead:
 * // await app.register(dynamicAuthPlugin, { auth, refusals: 'forward' })
 *
 * // Per route instead of app-wide:
 * await app.register(dynamicAuthPlugin, { auth, global: false })
 * app.get('/private', { onRequest: app.dynamicAuth }, handler)
 *
 * @packageDocumentation
 */
import { Transform } from 'node:stream'
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  RequestPayload,
} from 'fastify'
import fp from 'fastify-plugin'
import { DynamicAuthConfigError, isDynamicAuthError } from '../errors.js'
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
import type { DynamicAuthOptions } from '../options.js'
import type { DynamicSession } from '../session/session.js'
import type { DynamicAuth } from '../verifier.js'

/** A Fastify hook (`onRequest` or `preHandler`) that authenticates or refuses. */
export type DynamicAuthHook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified Dynamic session (undefined for anonymous requests in optional mode, or on unprotected routes). */
    auth?: DynamicSession
    /** The settings and verifier of the authentication hook that ran: `requireScopes()` and `requireElevated()` follow them. */
    authGuard?: GuardSettings
    /** The elevated access token's grant, set by `requireElevated()` when it accepts one. */
    elevated?: ElevatedGrant
  }
  interface FastifyInstance {
    /** The plugin's authentication hook, for routes protected one by one: `{ onRequest: app.dynamicAuth }`. */
    dynamicAuth: DynamicAuthHook
  }
}

/** Options of {@link dynamicAuthPlugin}: a verifier (`auth`) or its options, plus the adapter options. */
export type DynamicAuthPluginOptions = (
  | {
      /** A verifier from createDynamicAuth. */
      auth: DynamicAuth
    }
  | DynamicAuthOptions
) &
  AuthenticateOptions & {
    /** Protect every route of the app (an `onRequest` hook). `false`: protect routes one by one with `app.dynamicAuth`. Default true. */
    global?: boolean
  }

/**
 * A Fastify hook that authenticates the request and sets `request.auth`. A refusal is answered
 * per RFC 6750 (status, `WWW-Authenticate`, JSON body); with `refusals: 'forward'` the request
 * fails instead with a DynamicAuthError carrying `statusCode` and `headers`, for your
 * `setErrorHandler`. A request shaped like a CORS preflight is answered 204 and goes no further,
 * unless `passPreflightsToApp` is set: register your CORS plugin (its `onRequest` hook) before this one.
 */
export function dynamicAuth(authOrOptions: AuthOrOptions, options?: AuthenticateOptions): DynamicAuthHook {
  const setup = setupAdapter(authOrOptions, options)
  const settings = guardSettings(setup)
  return function dynamicAuthHook(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    if (!undeclaredWarned && !('auth' in request)) warnUndeclared()
    request.authGuard = settings
    guardRequest(setup, request.raw, nodeReader).then((decision) => {
      if (decision.action === 'continue' && decision.session !== undefined) request.auth = decision.session
      carryOut(decision, reply, done)
    }, done)
  }
}

let undeclaredWarned = false

/**
 * Fastify builds every request with the same shape, from the properties declared with
 * `decorateRequest`; a hook that sets an undeclared one changes the shape of each request, which
 * slows every request (figures in the benchmarks guide). Said once per process.
 */
function warnUndeclared(): void {
  undeclaredWarned = true
  process.emitWarning(
    'dynamic-guard/fastify: request.auth is not declared in this Fastify context, so setting it on each request slows Fastify down. Register dynamicAuthPlugin (with global: false to protect routes one by one) before using dynamicAuth() as a hook, or call app.decorateRequest("auth", undefined).',
    { code: 'DYNAMIC_GUARD_FASTIFY_UNDECLARED_AUTH' },
  )
}

/**
 * A hook requiring scopes on a route, after authentication: `{ onRequest: [app.dynamicAuth, requireScopes('wallet:sign')] }`.
 * Answered or forwarded as the hook before it does.
 */
export function requireScopes(...scopes: string[]): DynamicAuthHook {
  const required = scopeList(scopes)
  return function requireScopesHook(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    carryOut(scopeDecision(request.raw, nodeReader, request.auth, required, request.authGuard), reply, done)
  }
}

const NAMES = { helper: 'requireElevated()', guard: 'the dynamicAuthPlugin hook (app.dynamicAuth)' } as const

/**
 * A hook requiring an elevated access token (Dynamic's step-up), after authentication:
 * `{ onRequest: [app.dynamicAuth, requireElevated({ scopes: ['wallet:export'] })] }` (or
 * `{ onRequest: requireElevated(...) }` under the plugin's global hook); the grant is in
 * `request.elevated`.
 * The token comes in `x-dyn-elevated-access-token`; it must grant every scope and belong to the
 * same user and session as the verified session, and a single-use token is consumed (in
 * `auth.oneTimeStore`). A refusal is 403 `insufficient_scope` naming the scopes (in
 * `WWW-Authenticate` and the body's `required_scopes`), with a code saying why
 * (`elevated_token_missing`, `_invalid`, `_mismatch`, `_reused`), or 503
 * `one_time_store_unavailable`; answered or forwarded as the guard before it does. Without that
 * guard, every request is refused 401.
 */
export function requireElevated(options: RequireElevatedOptions): DynamicAuthHook {
  const required = elevatedScopes(options)
  return function requireElevatedHook(
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ): void {
    elevatedDecision(request.raw, nodeReader, request.auth, required, request.authGuard, NAMES).then((decision) => {
      if (decision.action !== 'continue') return carryOut(decision, reply, done)
      if (decision.grant !== undefined) request.elevated = decision.grant
      done()
    }, done)
  }
}

function carryOut(decision: GuardDecision, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  if (decision.action === 'continue') done()
  else if (decision.action === 'forward') done(decision.error as unknown as FastifyError)
  // Answered from the hook: the request goes no further (done is not called).
  else void send(reply, decision.answer)
}

function send(reply: FastifyReply, answer: HttpAnswer): FastifyReply {
  return reply.code(answer.status).headers(answer.headers).send(answer.json)
}

/** For `refusals: 'forward'`: answers DynamicAuthErrors per RFC 6750 and hands anything else to the previous error handler. */
export function dynamicAuthErrorHandler(error: unknown, _request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (!isDynamicAuthError(error)) throw error
  return send(reply, forwardedRefusal(error))
}

async function plugin(fastify: FastifyInstance, pluginOptions: DynamicAuthPluginOptions): Promise<void> {
  const { global = true, ...authOrOptions } = pluginOptions
  if ('errorHandler' in authOrOptions) {
    throw new DynamicAuthConfigError(
      "dynamic-guard/fastify: the errorHandler option was removed. The hooks answer refusals themselves; for your own setErrorHandler, pass refusals: 'forward' (and app.setErrorHandler(dynamicAuthErrorHandler) to answer them per RFC 6750).",
    )
  }
  const hook = dynamicAuth(authOrOptions as AuthOrOptions)
  // Registered again in a child context (optional mode for some routes, say): the decorators
  // are inherited, and `fastify.dynamicAuth` stays the outer registration's hook.
  if (!fastify.hasRequestDecorator('auth')) fastify.decorateRequest('auth', undefined)
  if (!fastify.hasRequestDecorator('authGuard')) fastify.decorateRequest('authGuard', undefined)
  if (!fastify.hasRequestDecorator('elevated')) fastify.decorateRequest('elevated', undefined)
  if (!fastify.hasDecorator('dynamicAuth')) fastify.decorate('dynamicAuth', hook)
  if (global) fastify.addHook('onRequest', hook)
}

/**
 * The Fastify plugin: decorates `request.auth` and `fastify.dynamicAuth` and protects every route
 * (unless `global: false`); its hooks answer refusals per RFC 6750 (unless `refusals: 'forward'`)
 * and preflight-shaped requests with a 204 (unless `passPreflightsToApp`).
 */
export const dynamicAuthPlugin = fp(plugin, { fastify: '5.x', name: 'dynamic-guard' })
export default dynamicAuthPlugin

// The raw bodies keepRawBody kept, by request: a WeakMap, so that no undeclared property changes
// the shape of Fastify's requests (and nothing outlives the request).
const rawBodies = new WeakMap<FastifyRequest, Buffer>()

/**
 * A `preParsing` hook that keeps the request body's raw bytes as they stream to Fastify's parser
 * (within the route's `bodyLimit`), for {@link requireSessionSignature}:
 * `{ preParsing: keepRawBody, preHandler: requireSessionSignature() }`, or
 * `app.addHook('preParsing', keepRawBody)` for every route.
 */
export function keepRawBody(
  request: FastifyRequest,
  _reply: FastifyReply,
  payload: RequestPayload,
  done: (error: Error | null, payload?: RequestPayload) => void,
): void {
  const chunks: Buffer[] = []
  const tee = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk)
      callback(null, chunk)
    },
    flush(callback) {
      rawBodies.set(request, Buffer.concat(chunks))
      callback()
    },
  })
  payload.on('error', (error) => tee.destroy(error))
  done(null, payload.pipe(tee) as unknown as RequestPayload)
}

/**
 * A `preHandler` hook requiring a request signed with the session key, after authentication: the
 * `x-session-signature` header must be a signature by the key the token names
 * (`session_public_key`) over the method, `request.url` and the body's raw bytes (see the
 * session-key guide). The bytes come from {@link keepRawBody} (or a `request.rawBody` set by
 * `fastify-raw-body`, or a body parsed as a Buffer); a body parsed without them is refused as a
 * configuration error, never passed unchecked. Nonces are recorded in the verifier's one-time
 * store. Refusals (401, or 503 `one_time_store_unavailable`) are answered or forwarded as the
 * hook before it does.
 */
export function requireSessionSignature(options?: SessionSignatureOptions): DynamicAuthHook {
  const route = sessionSignatureRoute(options)
  return function requireSessionSignatureHook(
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ): void {
    const source = {
      url: request.url,
      body: () =>
        nodeRawBody(
          rawBodies.get(request) ?? (request as { rawBody?: unknown }).rawBody,
          request.body,
          request.raw.headers,
          "add keepRawBody as the route's preParsing hook, and requireSessionSignature() as its preHandler (not onRequest, which runs before the body is read).",
        ),
    }
    sessionSignatureDecision(request.raw, nodeReader, request.auth, request.authGuard, route, source, {
      helper: 'requireSessionSignature()',
      guard: 'app.dynamicAuth (or the plugin)',
    }).then((decision) => carryOut(decision, reply, done), done)
  }
}

/**
 * A health endpoint. Fastify: `app.get('/healthz', healthCheck(auth))`, on a route the plugin does not protect. 200 while this instance can verify tokens (`ok`, `degraded`), 503 when it
 * cannot (`unavailable`), with the JSON of `auth.health()`; takes the verifier or this adapter's middleware.
 */
export { fastifyHealthCheck as healthCheck } from '../http/health.js'
