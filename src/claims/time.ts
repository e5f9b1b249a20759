/**
 * Time claims (RFC 7519 NumericDate, seconds). `exp` is required; `nbf` and `iat` are checked
 * when present. Strings, NaN, Infinity and negative values are refused rather than coerced, and
 * an `exp` further ahead than the longest lifetime Dynamic issues (likely a milliseconds value)
 * is refused too.
 */
import { DynamicAuthError } from '../errors.js'

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
}

/** Checks exp, nbf and iat against `now` (seconds), allowing `tolerance` seconds of clock skew. */
export function checkTimes(payload: Record<string, unknown>, now: number, tolerance: number, maxLifetime: number): number {
  const exp = payload.exp
  if (exp === undefined) throw new DynamicAuthError('token_malformed', 'The token has no "exp" claim; tokens without an expiry are refused.')
  if (!isNumericDate(exp)) throw new DynamicAuthError('token_malformed', 'The "exp" claim is not a NumericDate (a finite, non-negative number of seconds).')
  if (now >= exp + tolerance) {
    throw new DynamicAuthError('token_expired', `The token expired at ${new Date(exp * 1000).toISOString()}; the client must refresh it.`)
  }
  if (exp > now + maxLifetime + tolerance) {
    throw new DynamicAuthError('token_malformed', `The "exp" claim lies more than ${maxLifetime} s ahead (option maxTokenLifetime); it may be in milliseconds instead of seconds.`)
  }
  const nbf = payload.nbf
  if (nbf !== undefined) {
    if (!isNumericDate(nbf)) throw new DynamicAuthError('token_malformed', 'The "nbf" claim is not a NumericDate.')
    if (nbf > now + tolerance) {
      throw new DynamicAuthError('token_not_active', `The token is not valid before ${new Date(nbf * 1000).toISOString()}; check the server clock.`)
    }
  }
  const iat = payload.iat
  if (iat !== undefined) {
    if (!isNumericDate(iat)) throw new DynamicAuthError('token_malformed', 'The "iat" claim is not a NumericDate.')
    if (iat > now + tolerance) {
      throw new DynamicAuthError('token_not_active', `The token claims to be issued in the future (${new Date(iat * 1000).toISOString()}); check the server clock.`)
    }
  }
  return exp
}
