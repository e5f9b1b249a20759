/**
 * dynamic-guard/http: HTTP authentication without a framework adapter, over a verifier from
 * `createDynamicAuth`: authenticate a Node IncomingMessage or a Web Request, guard a node:http
 * handler, and build the RFC 6750 answer to a refusal. The options and types every adapter shares
 * are defined here.
 *
 * @example
 * import { createServer } from 'node:http'
 * import { createDynamicAuth } from 'dynamic-guard'
 * import { protectNodeHandler } from 'dynamic-guard/http'
 *
 * const auth = createDynamicAuth({ environmentId: process.env.DYNAMIC_ENVIRONMENT_ID! })
 * createServer(protectNodeHandler((req, res, session) => res.end(session.userId), auth)).listen(3000)
 *
 * @packageDocumentation
 */
export { authenticate } from './authenticate.js'
export { verifySessionSignature, type SessionSignatureOptions } from './session-signature.js'
export { protectNodeHandler, type ProtectedNodeHandler } from './node.js'
export { refusalFor, type NodeResponseLike, type Refusal, type RefusalBody, type RefusalOptions } from './refusal.js'
export type { AnonymousAllowed, AuthenticateOptions, RefusalHandling } from './options.js'
export type { AuthOrOptions } from './setup.js'
export type { HttpRequestLike, NodeRequestLike, WebRequestLike } from './request.js'
export type { GuardSettings } from './guard.js'
export { ELEVATED_TOKEN_HEADER, type RequireElevatedOptions } from './elevated.js'
