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
 *
 * // Per route instead of app-wide:
 * await app.register(dynamicAuthPlugin, { auth, global: false })
 * app.get('/private', { onRequest: app.dynamicAuth }, handler)
 *
 * @packageDocumentation
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import fp from 'fastify-plugin'
import { isDynamicAuthError } from '../errors.js'
import { authenticateRequest } from '../http/authenticate.js'
import { DEFAULT_REALM, type AuthenticateOptions } from '../http/options.js'
import { isPreflight, nodeReader } from '../http/request.js'
import { scopeList, scopeRefusal } from '../http/scopes.js'
import { setupAdapter, type AuthOrOptions } from '../http/setup.js'
import type { DynamicAuthOptions } from '../options.js'
import type { DynamicSession } from '../session/session.js'
import type { DynamicAuth } from '../verifier.js'
import { dressRefusal, refusalOf } from './shared.js'

/** A Fastify hook (`onRequest` or `preHandler`) that authenticates or refuses. */
export type DynamicAuthHook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified Dynamic session (undefined for anonymous requests in optional mode, or on unprotected routes). */
    auth?: DynamicSession
  }
  interface FastifyInstance {
    /** The plugin's authentication hook, for routes protected one by one: `{ onRequest: app.dynamicAuth }`. */
    dynamicAuth: DynamicAuthHook
  }
}

export type { AuthenticateOptions, AuthOrOptions, DynamicSession, DynamicAuth }

/** Options of {@link dynamicAuthPlugin}: a verifier (`auth`) or its options, plus the adapter options. */
export type DynamicAuthPluginOptions = ({ auth: DynamicAuth } | DynamicAuthOptions) &
  AuthenticateOptions & {
    /** Protect every route of the app (an `onRequest` hook). `false`: protect routes one by one with `app.dynamicAuth`. Default true. */
    global?: boolean
    /**
     * Answer refusals per RFC 6750 from an error handler the plugin sets. `false`: refusals reach
     * your own `setErrorHandler` as DynamicAuthErrors (with `statusCode` and `headers`). Default true.
     */
    errorHandler?: boolean
  }

/**
 * A Fastify hook that authenticates the request and sets `request.auth`, or fails the request
 * with a DynamicAuthError carrying `statusCode` and `headers` (answered by the plugin's error
 * handler or your own). CORS preflights pass untouched.
 */
export function dynamicAuth(authOrOptions: AuthOrOptions, options?: AuthenticateOptions): DynamicAuthHook {
  const { auth, options: resolved, scopes } = setupAdapter(authOrOptions, options)
  const realm = resolved.realm
  return function dynamicAuthHook(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
    const raw = request.raw
    if (isPreflight(nodeReader, raw)) return done()
    authenticateRequest(auth, raw, nodeReader, resolved).then(
      (session) => {
        if (session !== undefined) request.auth = session
        done()
      },
      (error: unknown) => done((isDynamicAuthError(error) ? dressRefusal(error, realm, scopes) : error) as FastifyError),
    )
  }
}

/** A hook requiring scopes on a route, after authentication: `{ onRequest: [app.dynamicAuth, requireScopes('wallet:sign')] }`. */
export function requireScopes(...scopes: string[]): DynamicAuthHook {
  const required = scopeList(scopes)
  const challenge = ['user:basic', ...required]
  return function requireScopesHook(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
    if (isPreflight(nodeReader, request.raw)) return done()
    const refusal = scopeRefusal(request.auth, required)
    done(refusal === undefined ? undefined : (dressRefusal(refusal, DEFAULT_REALM, challenge) as unknown as FastifyError))
  }
}

/** Answers DynamicAuthErrors per RFC 6750 and hands anything else to the previous error handler. */
export function dynamicAuthErrorHandler(error: unknown, _request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (!isDynamicAuthError(error)) throw error
  const refusal = refusalOf(error)
  return reply.code(refusal.status).headers(refusal.headers).send(refusal.json)
}

async function plugin(fastify: FastifyInstance, pluginOptions: DynamicAuthPluginOptions): Promise<void> {
  const { global = true, errorHandler = true, ...authOrOptions } = pluginOptions
  const hook = dynamicAuth(authOrOptions as AuthOrOptions)
  // Registered again in a child context (optional mode for some routes, say): the decorators
  // are inherited, and `fastify.dynamicAuth` stays the outer registration's hook.
  if (!fastify.hasRequestDecorator('auth')) fastify.decorateRequest('auth', undefined)
  if (!fastify.hasDecorator('dynamicAuth')) fastify.decorate('dynamicAuth', hook)
  if (global) fastify.addHook('onRequest', hook)
  if (errorHandler) fastify.setErrorHandler(dynamicAuthErrorHandler)
}

/**
 * The Fastify plugin: decorates `request.auth` and `fastify.dynamicAuth`, protects every route
 * (unless `global: false`) and answers refusals per RFC 6750 (unless `errorHandler: false`).
 */
export const dynamicAuthPlugin = fp(plugin, { fastify: '5.x', name: 'dynamic-guard' })
export default dynamicAuthPlugin
