/**
 * Scopes. Dynamic writes them as one space-separated `scope` string; older tokens used a
 * `scopes` array, read only when `scope` is absent. `user:basic` means the user finished signing
 * in and is always required; a token without it (an MFA step pending, say) opens nothing.
 */
import { DynamicAuthError } from '../errors.js'

/** The scope every protected route requires. */
export const USER_BASIC = 'user:basic'
/** The scope Dynamic grants while a second factor is still pending. */
export const REQUIRES_ADDITIONAL_AUTH = 'requiresAdditionalAuth'

// RFC 6749 §3.3: scope tokens are separated by a space (U+0020) and never contain whitespace.
// Splitting on any whitespace would read "user:basic\u00a0admin" as two scopes where an
// RFC-strict component sees one: a parser differential, so only the space separates.
const SEPARATOR = / +/

/** The token's scopes as a list of whole words. Throws token_malformed for a non-string scope. */
export function readScopes(payload: Record<string, unknown>): string[] {
  const scope = payload.scope
  if (typeof scope === 'string') return scope.split(SEPARATOR).filter(Boolean)
  if (scope !== undefined) throw new DynamicAuthError('token_malformed', 'The "scope" claim is not a string.')
  const legacy = payload.scopes
  if (legacy === undefined) return []
  if (Array.isArray(legacy) && legacy.every((s) => typeof s === 'string')) return legacy.filter(Boolean)
  throw new DynamicAuthError('token_malformed', 'The "scopes" claim is not an array of strings.')
}

/** Throws insufficient_scope unless every required scope is among `scopes`. */
export function requireScopes(scopes: readonly string[], required: readonly string[]): void {
  let missing: string[] | undefined
  for (const scope of required) {
    if (!scopes.includes(scope)) (missing ??= []).push(scope)
  }
  if (!missing) return
  const mfaPending = scopes.includes(REQUIRES_ADDITIONAL_AUTH)
  const message = missing.includes(USER_BASIC)
    ? mfaPending
      ? `The user has not finished signing in: an additional authentication step (MFA) is pending, so the token lacks "${USER_BASIC}".`
      : `The token lacks the "${USER_BASIC}" scope: the user has not finished signing in.`
    : `The token lacks the scope${missing.length > 1 ? 's' : ''} ${missing.map((s) => `"${s}"`).join(', ')} this route requires.`
  throw new DynamicAuthError('insufficient_scope', message, { missingScopes: missing })
}
