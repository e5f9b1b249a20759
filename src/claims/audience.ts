/**
 * Audience: Dynamic sets `aud` to the origin of the site that obtained the token. When the server
 * is configured with its front-end origins, `aud` (a string or an array) must contain one of them,
 * compared exactly.
 */
import { DynamicAuthError } from '../errors.js'

/** An array `aud` longer than this is refused unread. */
export const MAX_AUDIENCES = 64

/** Checks `aud` against the configured audiences (none configured: no check); throws the refusal. */
export function checkAudience(payload: Record<string, unknown>, audiences: readonly string[] | undefined): void {
  const refusal = audienceRefusal(payload, audiences)
  if (refusal) throw refusal
}

/** The refusal of `aud`, or undefined when it is accepted (returned, not thrown: see issuerRefusal). */
export function audienceRefusal(
  payload: Record<string, unknown>,
  audiences: readonly string[] | undefined,
): DynamicAuthError | undefined {
  if (!audiences) return undefined
  const aud = payload.aud
  if (
    typeof aud === 'string'
      ? audiences.includes(aud)
      : Array.isArray(aud) &&
        aud.length <= MAX_AUDIENCES &&
        aud.some((a) => typeof a === 'string' && audiences.includes(a))
  ) {
    return undefined
  }
  const found =
    typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : []
  const shown =
    found.length === 0 ? 'missing' : found.slice(0, 5).map(quoted).join(', ') + (found.length > 5 ? ', ...' : '')
  const slashOnly = found.some((a) =>
    audiences.some((expected) => a.replace(/\/+$/, '') === expected.replace(/\/+$/, '')),
  )
  return new DynamicAuthError(
    'audience_mismatch',
    `The token's audience (aud) is ${shown}; this server accepts ${audiences.map(quoted).join(', ')} (the audience option). ` +
      (slashOnly
        ? "They differ only by a trailing slash: Dynamic sets aud to the site's origin, which has none, so write the audience option without it."
        : "The token was obtained by another site, or the audience option misses this front end's origin."),
  )
}

/** A claim value for a message: JSON-quoted and cut short (it is the token's, verified but unbounded). */
function quoted(value: string): string {
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value)
}
