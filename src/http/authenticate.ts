/**
 * The one `authenticate` every adapter wraps: extract the token (header, then query when
 * enabled, then cookie), verify it, and for a cookie token on a state-changing request check the
 * origin. Resolves to the session, or to `undefined` in optional mode when no token was sent;
 * rejects with a {@link DynamicAuthError}.
 */
import { DynamicAuthError } from '../errors.js'
import type { DynamicSession } from '../session/session.js'
import { checkLimits, type SessionLimits } from '../session/limits.js'
import type { DynamicAuth } from '../verifier.js'
import { checkOrigin, isSafeMethod } from './csrf.js'
import { bearerToken, cookieValue, isSchemelessJwt, queryToken } from './extract.js'
import { resolveAuthenticateOptions, type AuthenticateOptions, type ResolvedAuthenticateOptions } from './options.js'
import { RecentTokens } from './recent-tokens.js'
import { isWebRequest, nodeReader, webReader, type HttpRequestLike, type RequestReader } from './request.js'

const ANONYMOUS: Promise<undefined> = Promise.resolve(undefined)

/** Authenticates one request. Never throws synchronously. */
export function authenticateRequest<R>(
  auth: Pick<DynamicAuth, 'verifyToken' | 'hooks'>,
  request: R,
  reader: RequestReader<R>,
  options: ResolvedAuthenticateOptions,
  recent: RecentTokens,
): Promise<DynamicSession | undefined> {
  try {
    let token: string | undefined
    let fromCookie = false
    const authorization = reader.header(request, 'authorization')
    if (authorization !== undefined) token = bearerToken(authorization)
    if (options.queryParam !== undefined) {
      const fromQuery = queryToken(reader.url(request), options.queryParam)
      if (fromQuery !== undefined) {
        if (token !== undefined) {
          throw new DynamicAuthError(
            'invalid_request',
            'The token was sent both in the Authorization header and in the query string; send it once (RFC 6750 §2).',
          )
        }
        token = fromQuery
      }
    }
    if (token === undefined && options.cookieName !== undefined) {
      const cookies = reader.header(request, 'cookie')
      if (cookies !== undefined) {
        token = cookieValue(cookies, options.cookieName)
        fromCookie = token !== undefined
      }
    }
    if (token === undefined) {
      if (options.optional) return ANONYMOUS
      throw missingToken(authorization, options)
    }
    let verified = auth.verifyToken(recent.intern(token), options.verifyOptions)
    const limits = options.limits
    if (limits !== undefined) verified = verified.then((session) => limited(auth, session, limits))
    if (!fromCookie) return verified
    const method = reader.method(request)
    if (isSafeMethod(method)) return verified
    return verified.then((session) => {
      try {
        checkOrigin(reader, request, session, options)
      } catch (error) {
        auth.hooks?.requestRefused(error)
        throw error
      }
      return session
    })
  } catch (error) {
    auth.hooks?.requestRefused(error)
    return Promise.reject(error)
  }
}

/** The session, when the route's actor and environment restrictions allow it. */
function limited(auth: Pick<DynamicAuth, 'hooks'>, session: DynamicSession, limits: SessionLimits): DynamicSession {
  try {
    checkLimits(session, limits)
  } catch (error) {
    auth.hooks?.requestRefused(error)
    throw error
  }
  return session
}

function missingToken(authorization: string | undefined, options: ResolvedAuthenticateOptions): DynamicAuthError {
  const where = options.cookieName !== undefined ? ` or in the ${options.cookieName} cookie` : ''
  return new DynamicAuthError(
    'token_missing',
    authorization === undefined
      ? `No token: send the Dynamic JWT in "Authorization: Bearer <token>"${where}.`
      : isSchemelessJwt(authorization)
        ? 'The Authorization header holds a token but no scheme: add "Bearer ", as in "Authorization: Bearer <token>".'
        : `The Authorization header does not use the Bearer scheme; send "Authorization: Bearer <Dynamic JWT>"${where}.`,
  )
}

/** Options validated once per options object, with the tokens seen under them (a speed-up only). */
interface Prepared {
  readonly options: ResolvedAuthenticateOptions
  readonly recent: RecentTokens
}
let prepareDefault: Prepared | undefined
const prepared = new WeakMap<AuthenticateOptions, Prepared>()

function prepare(options: AuthenticateOptions | undefined): Prepared {
  if (options === undefined)
    return (prepareDefault ??= { options: resolveAuthenticateOptions(), recent: new RecentTokens() })
  let found = prepared.get(options)
  if (found === undefined)
    prepared.set(options, (found = { options: resolveAuthenticateOptions(options), recent: new RecentTokens() }))
  return found
}

/**
 * Authenticates an HTTP request (a Node IncomingMessage or a Web Request) with a verifier: the
 * token from `Authorization: Bearer`, else Dynamic's cookie (with the CSRF origin check for
 * state-changing methods), verified. Resolves to the session; rejects with a
 * `DynamicAuthError` (`refusalFor` turns it into the RFC 6750 answer). With
 * `optional: true`, resolves to `undefined` when no token was sent. The options are validated
 * once per object.
 */
export function authenticate(
  auth: DynamicAuth,
  request: HttpRequestLike,
  options: AuthenticateOptions & { optional: true },
): Promise<DynamicSession | undefined>
export function authenticate(
  auth: DynamicAuth,
  request: HttpRequestLike,
  options?: AuthenticateOptions,
): Promise<DynamicSession>
export function authenticate(
  auth: DynamicAuth,
  request: HttpRequestLike,
  options?: AuthenticateOptions,
): Promise<DynamicSession | undefined> {
  let resolved: Prepared
  try {
    resolved = prepare(options)
    if (
      request === null ||
      typeof request !== 'object' ||
      request.headers === null ||
      typeof request.headers !== 'object'
    ) {
      throw new TypeError('dynamic-guard: authenticate() takes a Node IncomingMessage or a Web Request.')
    }
  } catch (error) {
    return Promise.reject(error)
  }
  return isWebRequest(request)
    ? authenticateRequest(auth, request, webReader, resolved.options, resolved.recent)
    : authenticateRequest(auth, request, nodeReader, resolved.options, resolved.recent)
}
