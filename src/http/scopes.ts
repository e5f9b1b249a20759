/** Per-route scope checks (`requireScopes('wallet:sign')`) on an already verified session. */
import { DynamicAuthError } from '../errors.js'
import { requireScopes } from '../claims/scopes.js'
import type { DynamicSession } from '../session/session.js'

/** Validates the scopes given to a `requireScopes(...)` helper, once. */
export function scopeList(scopes: readonly string[]): readonly string[] {
  if (scopes.length === 0 || scopes.some((s) => typeof s !== 'string' || s.length === 0 || /\s/.test(s))) {
    throw new TypeError('dynamic-guard: requireScopes takes one or more scopes, one word each.')
  }
  return Object.freeze([...new Set(scopes)])
}

/** The refusal for a request whose session lacks `scopes`, or undefined when it has them all. */
export function scopeRefusal(
  session: DynamicSession | undefined,
  scopes: readonly string[],
): DynamicAuthError | undefined {
  if (session === undefined) {
    return new DynamicAuthError(
      'token_missing',
      'This route requires a signed-in user: send the Dynamic JWT in "Authorization: Bearer <token>".',
    )
  }
  try {
    requireScopes(session.scopes, scopes, session.claims)
    return undefined
  } catch (error) {
    return error as DynamicAuthError
  }
}
