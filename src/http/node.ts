/**
 * The guard for plain node:http (and anything that hands over Node's request and response):
 * the same decision as every adapter, carried out on a ServerResponse.
 */
import type { DynamicSession } from '../session/session.js'
import { guardRequest, writeAnswer, type NodeResponseLike } from './guard.js'
import type { AnonymousAllowed, AuthenticateOptions } from './options.js'
import { nodeReader, type NodeRequestLike } from './request.js'
import { setupAdapter, type AuthOrOptions } from './setup.js'

export type { NodeResponseLike }

/** A node:http handler that receives the verified session. */
export type ProtectedNodeHandler<Req extends NodeRequestLike, Res extends NodeResponseLike, S = DynamicSession> = (
  request: Req,
  response: Res,
  session: S,
) => unknown

/**
 * Wraps a node:http request handler: `createServer(protectNodeHandler((req, res, session) => …, auth))`.
 * The handler runs with the verified session. A refusal is answered per RFC 6750 (status,
 * `WWW-Authenticate`, JSON body); with `refusals: 'forward'` the returned promise rejects with the
 * DynamicAuthError instead (catch it). A request shaped like a CORS preflight is answered 204 and
 * the handler does not run, unless `passPreflightsToApp` is set (the handler then runs with no
 * session): answer preflights with CORS headers before calling the wrapped handler.
 */
export function protectNodeHandler<Req extends NodeRequestLike, Res extends NodeResponseLike>(
  handler: ProtectedNodeHandler<Req, Res, DynamicSession | undefined>,
  authOrOptions: AuthOrOptions,
  options: AuthenticateOptions & AnonymousAllowed,
): (request: Req, response: Res) => Promise<void>
export function protectNodeHandler<Req extends NodeRequestLike, Res extends NodeResponseLike>(
  handler: ProtectedNodeHandler<Req, Res>,
  authOrOptions: AuthOrOptions,
  options?: AuthenticateOptions,
): (request: Req, response: Res) => Promise<void>
export function protectNodeHandler<Req extends NodeRequestLike, Res extends NodeResponseLike>(
  handler: ProtectedNodeHandler<Req, Res>,
  authOrOptions: AuthOrOptions,
  options?: AuthenticateOptions,
): (request: Req, response: Res) => Promise<void> {
  const setup = setupAdapter(authOrOptions, options)
  const run = handler as ProtectedNodeHandler<Req, Res, DynamicSession | undefined>
  return async function protectedNodeHandler(request: Req, response: Res): Promise<void> {
    const decision = await guardRequest(setup, request, nodeReader)
    if (decision.action === 'continue') await run(request, response, decision.session)
    else if (decision.action === 'forward') throw decision.error
    else writeAnswer(response, decision.answer)
  }
}
