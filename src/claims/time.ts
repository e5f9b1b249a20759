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

/**
 * Checks exp, nbf and iat against `now` (seconds), allowing `tolerance` seconds of clock skew.
 * Returns `exp`, or the refusal: returned, not thrown, up to verifyToken, which rejects with it
 * (the other claim checks do the same). V8 optimises a function once it has returned often enough,
 * so functions that only throw (all of them between here and a catch, while a client keeps sending
 * an expired token) would stay interpreted, and each throw would unwind through them frame by frame.
 */
export function checkTimes(
  payload: Record<string, unknown>,
  now: number,
  tolerance: number,
  maxLifetime: number,
): number | DynamicAuthError {
  const exp = payload.exp
  if (exp === undefined)
    return new DynamicAuthError(
      'token_malformed',
      'The token has no "exp" claim; tokens without an expiry are refused.',
    )
  if (!isNumericDate(exp))
    return new DynamicAuthError(
      'token_malformed',
      'The "exp" claim is not a NumericDate (a finite, non-negative number of seconds).',
    )
  if (now >= exp + tolerance) {
    return new DynamicAuthError('token_expired', `The token expired at ${isoTime(exp)}; the client must refresh it.`)
  }
  if (exp > now + maxLifetime + tolerance) {
    return new DynamicAuthError(
      'token_malformed',
      `The "exp" claim lies more than ${maxLifetime} s ahead (option maxTokenLifetime); it may be in milliseconds instead of seconds.`,
    )
  }
  const nbf = payload.nbf
  if (nbf !== undefined) {
    if (!isNumericDate(nbf)) return new DynamicAuthError('token_malformed', 'The "nbf" claim is not a NumericDate.')
    if (nbf > now + tolerance) {
      return new DynamicAuthError(
        'token_not_active',
        `The token is not valid before ${isoTime(nbf)}; check the server clock.`,
      )
    }
  }
  const iat = payload.iat
  if (iat !== undefined) {
    if (!isNumericDate(iat)) return new DynamicAuthError('token_malformed', 'The "iat" claim is not a NumericDate.')
    if (iat > now + tolerance) {
      return new DynamicAuthError(
        'token_not_active',
        `The token claims to be issued in the future (${isoTime(iat)}); check the server clock.`,
      )
    }
  }
  return exp
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`)

/**
 * `new Date(seconds * 1000).toISOString()`, the same string, computed without a Date for the years
 * 1970 to 9999 (Date's formatting cost more than the rest of an expired token's refusal). Other
 * values go to Date, which also throws for those it cannot represent, as before.
 */
export function isoTime(seconds: number): string {
  const ms = Math.floor(seconds * 1000) // Date truncates; the same for non-negative values
  if (!(ms >= 0 && ms < 253_402_300_800_000)) return new Date(seconds * 1000).toISOString()
  const days = Math.floor(ms / 86_400_000)
  let rest = ms - days * 86_400_000
  // Days to a civil date (H. Hinnant's days_from_civil, inverted), for days ≥ 0.
  const z = days + 719_468
  const era = Math.floor(z / 146_097)
  const doe = z - era * 146_097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0)
  const hours = Math.floor(rest / 3_600_000)
  rest -= hours * 3_600_000
  const minutes = Math.floor(rest / 60_000)
  rest -= minutes * 60_000
  const secs = Math.floor(rest / 1000)
  const millis = rest - secs * 1000
  return `${year}-${pad2(month)}-${pad2(day)}T${pad2(hours)}:${pad2(minutes)}:${pad2(secs)}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`
}
