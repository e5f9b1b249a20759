/**
 * CSRF defence for cookie tokens. A browser attaches the cookie to any request to our site, even
 * one another site triggers, so a cookie token authorizes a state-changing request only when the
 * request's Origin (or, without one, its Referer) is allowed: the request's own host, plus the
 * configured origins or, by default, the token's own `aud` (the site Dynamic issued it to).
 * Header and query tokens carry no ambient authority and skip this check.
 */
import { DynamicAuthError } from '../errors.js'
import type { DynamicSession } from '../session/session.js'
import { normalizeOrigin, type ResolvedAuthenticateOptions } from './options.js'
import type { RequestReader } from './request.js'

/** GET, HEAD and OPTIONS change nothing (RFC 9110 §9.2.1); every other method does. */
export function isSafeMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS'
}

/** Throws `origin_not_allowed` unless the request comes from an allowed origin. */
export function checkOrigin<R>(
  reader: RequestReader<R>,
  request: R,
  session: DynamicSession,
  options: ResolvedAuthenticateOptions,
): void {
  const origin = requestOrigin(reader, request)
  if (origin === undefined) {
    throw new DynamicAuthError(
      'origin_not_allowed',
      'A state-changing request authenticated by cookie must carry an Origin or Referer header; send the token in the Authorization header instead.',
    )
  }
  if (isSameHost(origin, reader.host(request))) return
  const allowed = options.allowedOrigins
  if (typeof allowed === 'function' ? allowed(origin) : allowed ? allowed.has(origin) : audienceAllows(session, origin))
    return
  throw new DynamicAuthError(
    'origin_not_allowed',
    `A cookie-authenticated ${reader.method(request)} request from origin ${origin} is refused (cross-site request forgery protection); allow the origin with "allowedOrigins" or send the token in the Authorization header.`,
  )
}

/** The normalised origin the browser declared, or undefined. `Origin: null` (sandboxed, file:) counts as none. */
function requestOrigin<R>(reader: RequestReader<R>, request: R): string | undefined {
  const origin = reader.header(request, 'origin')
  if (origin !== undefined) return origin === 'null' ? undefined : normalizeOrigin(origin)
  const referer = reader.header(request, 'referer')
  return referer === undefined ? undefined : normalizeOrigin(referer)
}

function isSameHost(origin: string, host: string | undefined): boolean {
  if (!host) return false
  // origin is normalised: scheme://host[:port]; the port is dropped when it is the scheme's default.
  const originHost = origin.slice(origin.indexOf('//') + 2)
  const requestHost = host.toLowerCase()
  if (originHost === requestHost) return true
  const defaultPort = origin.startsWith('https:') ? ':443' : ':80'
  return requestHost === originHost + defaultPort
}

function audienceAllows(session: DynamicSession, origin: string): boolean {
  const aud = session.claims.aud
  if (typeof aud === 'string') return normalizeOrigin(aud) === origin
  if (Array.isArray(aud)) return aud.some((a) => typeof a === 'string' && normalizeOrigin(a) === origin)
  return false
}
