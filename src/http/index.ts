/**
 * The HTTP layer every adapter is a thin skin over: read a request, extract the token, verify it,
 * check the origin of cookie tokens, and turn a refusal into one RFC 6750 answer.
 */
export { authenticateRequest, authenticateHttpRequest } from './authenticate.js'
export { bearerToken, cookieValue, queryToken } from './extract.js'
export { checkOrigin, isSafeMethod } from './csrf.js'
export {
  resolveAuthenticateOptions,
  DEFAULT_COOKIE_NAME,
  DEFAULT_REALM,
  type AnonymousAllowed,
  type AuthenticateOptions,
  type RefusalHandling,
  type ResolvedAuthenticateOptions,
} from './options.js'
export { refusalFor, type Refusal, type RefusalBody, type RefusalOptions } from './refusal.js'
export { isPreflight, isWebRequest, nodeReader, webReader, type HttpRequestLike, type NodeRequestLike, type WebRequestLike, type RequestReader } from './request.js'
export { setupAdapter, isDynamicAuth, type AdapterSetup, type AuthOrOptions } from './setup.js'
export { scopeList, scopeRefusal } from './scopes.js'
export { guardRequest, scopeDecision, writeAnswer, answerResponse, PREFLIGHT_ANSWER, type GuardDecision, type HttpAnswer, type NodeResponseLike } from './guard.js'
export { dressRefusal, refusalOf, type RefusedError } from './dress.js'
export { protectNodeHandler, type ProtectedNodeHandler } from './node.js'
