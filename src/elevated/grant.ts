/**
 * What a verified elevated access token (Dynamic's step-up authentication) gives a route, and the
 * options of its verification. Dynamic's published models settle `scope`, `singleUse` and `exp`
 * only; the other claims are assumed to be those of the session token (see the step-up guide).
 */

/** The name of the header Dynamic's client sends an elevated access token in. */
export const ELEVATED_TOKEN_HEADER = 'x-dyn-elevated-access-token'

/** The claims of an elevated access token. Beyond `scope`, `singleUse` and `exp`, assumed (see the step-up guide). */
export interface ElevatedTokenClaims {
  /** Space-separated `TokenScope` values, e.g. `wallet:export`. */
  scope: string
  /** True: consumed after one use. Absent or false: usable until `exp` (time-bound). */
  singleUse?: boolean
  /** When the token expires (seconds since the epoch). */
  exp: number
  /** When it was issued (seconds since the epoch). */
  iat?: number
  /** The Dynamic user id: the same as the session token's. */
  sub: string
  /** The `sid` of the session token it was issued beside (assumed). */
  sid?: string
  /** The session id it belongs to, kept across refreshes (assumed). */
  originalSid?: string
  /** The token's id (assumed); a single-use token without one is recorded by its hash. */
  jti?: string
  /** The issuer, as in the session token. */
  iss: string
  /** The audience, as in the session token. */
  aud?: string | string[]
  /** The Dynamic environment it was issued for. */
  environment_id?: string
  /** Any other claim. */
  [claim: string]: unknown
}

/** An elevated access token, verified (and, when single use, consumed) for a request. */
export interface ElevatedGrant {
  /** Every scope the token grants, as whole words. */
  readonly scopes: readonly string[]
  /** True when the token was single use: it has now been consumed and is refused from now on. */
  readonly singleUse: boolean
  /** When the token expires. */
  readonly expiresAt: Date
  /** Every claim of the token. Treat as read-only. */
  readonly claims: Readonly<ElevatedTokenClaims>
}

/** Options of `auth.verifyElevatedToken`. */
export interface ElevatedTokenOptions {
  /** The scopes the action requires, each a `TokenScope` such as `wallet:export`: the token must grant every one. */
  scopes: readonly string[]
}

/**
 * Validates the scopes an elevated check requires: one or more, one word each, without
 * duplicates. Throws TypeError (a programming error, not a refusal).
 */
export function elevatedScopeList(scopes: unknown, where = 'verifyElevatedToken'): readonly string[] {
  if (
    !Array.isArray(scopes) ||
    scopes.length === 0 ||
    scopes.some((s) => typeof s !== 'string' || s.length === 0 || s.length > 200 || /\s/.test(s))
  ) {
    throw new TypeError(
      `dynamic-guard: ${where} takes { scopes: [...] }, one or more scopes of one word each (e.g. ['wallet:export']).`,
    )
  }
  if (scopes.includes('user:basic')) {
    throw new TypeError(
      `dynamic-guard: ${where}: "user:basic" is the session token's scope, not a step-up scope; name the TokenScope the action needs (e.g. 'wallet:export').`,
    )
  }
  return Object.freeze([...new Set(scopes as string[])])
}
