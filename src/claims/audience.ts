/**
 * Audience: Dynamic sets `aud` to the origin of the site that obtained the token. When the server
 * is configured with its front-end origins, `aud` (a string or an array) must contain one of them,
 * compared exactly.
 */
import { DynamicAuthError } from '../errors.js'

/** An array `aud` longer than this is refused unread. */
export const MAX_AUDIENCES = 64

/** Checks `aud` against the configured audiences (none configured: no check). */
export function checkAudience(payload: Record<string, unknown>, audiences: readonly string[] | undefined): void {
  if (!audiences) return
  const aud = payload.aud
  if (typeof aud === 'string' ? audiences.includes(aud) : Array.isArray(aud) && aud.length <= MAX_AUDIENCES && aud.some((a) => typeof a === 'string' && audiences.includes(a))) {
    return
  }
  throw new DynamicAuthError(
    'audience_mismatch',
    `The token's audience is none of ${audiences.join(', ')}; it was obtained by another site, or the audience option misses this front end's origin.`,
  )
}
