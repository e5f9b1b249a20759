/**
 * Scopes. Dynamic writes them as one space-separated `scope` string; older tokens used a
 * `scopes` array, read only when `scope` is absent. `user:basic` means the user finished signing
 * in and is always required; a token without it (an MFA step pending, say) opens nothing.
 */
import { DynamicAuthError, type DynamicPendingStep } from '../errors.js'

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
  if (typeof scope === 'string') {
    // One scope (Dynamic's usual `user:basic`) needs no split: the same list, a fraction of the cost.
    if (scope.indexOf(' ') < 0) return scope.length > 0 ? [scope] : []
    return scope.split(SEPARATOR).filter(Boolean)
  }
  if (scope !== undefined) throw new DynamicAuthError('token_malformed', 'The "scope" claim is not a string.')
  const legacy = payload.scopes
  if (legacy === undefined) return []
  if (Array.isArray(legacy) && legacy.every((s) => typeof s === 'string')) return legacy.filter(Boolean)
  throw new DynamicAuthError('token_malformed', 'The "scopes" claim is not an array of strings.')
}

/** The scope Dynamic grants while the user still owes the information form (`missing_fields`). */
export const USER_DATA_FORM = 'userDataForm'
/** The scope Dynamic grants while the user's device registration is pending. */
export const DEVICE_REGISTER = 'device:register'

/**
 * Throws insufficient_scope unless every required scope is among `scopes`. When `user:basic` is
 * missing, the refusal names the step of Dynamic's sign-in still pending (`pendingStep`), read
 * from the token's scopes (and, for the information form, its signed `missing_fields`).
 */
export function requireScopes(
  scopes: readonly string[],
  required: readonly string[],
  claims?: Readonly<Record<string, unknown>>,
): void {
  const refusal = scopeRefusal(scopes, required, claims)
  if (refusal) throw refusal
}

/**
 * The insufficient_scope refusal of {@link requireScopes}, or undefined when every required scope
 * is there (returned, not thrown: the verifier's hot path stays optimisable in a flood of refusals).
 */
export function scopeRefusal(
  scopes: readonly string[],
  required: readonly string[],
  claims?: Readonly<Record<string, unknown>>,
): DynamicAuthError | undefined {
  let missing: string[] | undefined
  for (const scope of required) {
    if (!scopes.includes(scope)) (missing ??= []).push(scope)
  }
  if (!missing) return undefined
  if (!missing.includes(USER_BASIC)) {
    const list = missing.map((s) => `"${s}"`).join(', ')
    return new DynamicAuthError(
      'insufficient_scope',
      `The token lacks the scope${missing.length > 1 ? 's' : ''} ${list} this route requires.`,
      { missingScopes: missing },
    )
  }
  const lacks = `so the token lacks "${USER_BASIC}".`
  let pendingStep: DynamicPendingStep | undefined
  let message: string
  if (scopes.includes(REQUIRES_ADDITIONAL_AUTH)) {
    pendingStep = 'mfa'
    message = `The user has not finished signing in: additional authentication (MFA) pending, ${lacks}`
  } else if (scopes.includes(DEVICE_REGISTER)) {
    pendingStep = 'device_registration'
    message = `The user has not finished signing in: device registration pending, ${lacks}`
  } else if (scopes.includes(USER_DATA_FORM)) {
    pendingStep = 'user_data_form'
    const names = missingFieldNames(claims?.missing_fields)
    message = `The user has not finished signing in: the user has not completed the information form${names ? ` (missing: ${names})` : ''}, ${lacks}`
  } else if (scopes.length === 0) {
    pendingStep = 'sign_in_incomplete'
    message = `The token was issued without ${USER_BASIC} (an older token, or the sign-in did not complete).`
  } else {
    message = `The token lacks the "${USER_BASIC}" scope: the user has not finished signing in.`
  }
  return new DynamicAuthError(
    'insufficient_scope',
    message,
    pendingStep ? { missingScopes: missing, pendingStep } : { missingScopes: missing },
  )
}

const MAX_FIELD_NAMES = 5
const MAX_FIELD_NAME_LENGTH = 40
// Field names are set by the environment's owner: printable ASCII only, no quotes or backslashes,
// so that a name can neither break the WWW-Authenticate header nor smuggle anything into a log.
const UNPRINTABLE = /[^\x20\x21\x23-\x5b\x5d-\x7e]+/g

/** The names of the signed `missing_fields` objects, bounded and sanitised for a message. */
function missingFieldNames(fields: unknown): string | undefined {
  if (!Array.isArray(fields)) return undefined
  const names: string[] = []
  let more = 0
  for (const field of fields) {
    const raw = typeof field === 'object' && field !== null ? (field as { name?: unknown }).name : undefined
    if (typeof raw !== 'string') continue
    const name = raw.slice(0, 200).replace(UNPRINTABLE, '').trim().slice(0, MAX_FIELD_NAME_LENGTH)
    if (name.length === 0 || names.includes(name)) continue
    if (names.length < MAX_FIELD_NAMES) names.push(name)
    else more++
  }
  if (names.length === 0) return undefined
  return names.join(', ') + (more > 0 ? ` and ${more} more` : '')
}
