/**
 * Every refusal dynamic-guard makes is a {@link DynamicAuthError} with a stable `code`.
 * Codes are a public contract: adapters map them to HTTP answers and users branch on them.
 */

/** The stable error codes, in the order the verifier checks. */
export const ERROR_CODES = [
  'token_missing',
  'token_malformed',
  'algorithm_not_allowed',
  'key_not_found',
  'signature_invalid',
  'token_expired',
  'token_not_active',
  'issuer_mismatch',
  'environment_mismatch',
  'audience_mismatch',
  'insufficient_scope',
  'session_revoked',
  'jwks_unavailable',
  'key_unusable',
  'invalid_request',
  'origin_not_allowed',
  'revocation_unavailable',
  'session_signature_missing',
  'session_signature_malformed',
  'session_key_missing',
  'session_key_malformed',
  'session_signature_expired',
  'session_signature_invalid',
  'session_signature_replayed',
  'elevated_token_missing',
  'elevated_token_invalid',
  'elevated_token_mismatch',
  'elevated_token_reused',
  'one_time_store_unavailable',
  'admin_token_not_accepted',
  'actor_not_allowed',
  'environment_not_allowed',
] as const

/** One of {@link ERROR_CODES}. */
export type DynamicAuthErrorCode = (typeof ERROR_CODES)[number]

/** The HTTP status each code maps to (RFC 6750: 400 invalid request, 401 invalid token, 403 insufficient scope). */
export const ERROR_STATUS: Readonly<Record<DynamicAuthErrorCode, 400 | 401 | 403 | 503>> = Object.freeze({
  token_missing: 401,
  token_malformed: 401,
  algorithm_not_allowed: 401,
  key_not_found: 401,
  signature_invalid: 401,
  token_expired: 401,
  token_not_active: 401,
  issuer_mismatch: 401,
  environment_mismatch: 401,
  audience_mismatch: 401,
  insufficient_scope: 403,
  session_revoked: 401,
  jwks_unavailable: 503,
  key_unusable: 503,
  invalid_request: 400,
  origin_not_allowed: 403,
  revocation_unavailable: 503,
  session_signature_missing: 401,
  session_signature_malformed: 401,
  session_key_missing: 401,
  session_key_malformed: 401,
  session_signature_expired: 401,
  session_signature_invalid: 401,
  session_signature_replayed: 401,
  // Elevated-token refusals are 403 with an insufficient_scope challenge naming the scopes: the
  // session token is fine, and the client's remedy is one step-up, whatever went wrong.
  elevated_token_missing: 403,
  elevated_token_invalid: 403,
  elevated_token_mismatch: 403,
  elevated_token_reused: 403,
  one_time_store_unavailable: 503,
  admin_token_not_accepted: 401,
  actor_not_allowed: 403,
  environment_not_allowed: 403,
})

/** The codes of an elevated access token's refusals: answered 403 `insufficient_scope`, naming the scopes to step up for. */
export const ELEVATED_TOKEN_CODES: ReadonlySet<DynamicAuthErrorCode> = new Set<DynamicAuthErrorCode>([
  'elevated_token_missing',
  'elevated_token_invalid',
  'elevated_token_mismatch',
  'elevated_token_reused',
])

/**
 * The step of Dynamic's sign-in a user still owes when a token lacks `user:basic`, for a front end
 * to route the user: `mfa` (scope `requiresAdditionalAuth`), `device_registration`
 * (`device:register`), `user_data_form` (`userDataForm`: the information form, fields in the
 * token's `missing_fields`), `sign_in_incomplete` (an empty scope: an older token, or a sign-in
 * that did not complete).
 */
export type DynamicPendingStep = 'mfa' | 'user_data_form' | 'device_registration' | 'sign_in_incomplete'

/** Extra facts some refusals carry. */
export interface DynamicAuthErrorDetails {
  /** For `insufficient_scope`: the scopes the route needs that the token lacks. */
  missingScopes?: readonly string[]
  /** For `jwks_unavailable`: seconds after which a retry may succeed. */
  retryAfter?: number
  /** For the elevated-token refusals: the scopes the elevated token must grant (to step up for). */
  requiredScopes?: readonly string[]
  /** For `insufficient_scope` when `user:basic` is missing: the sign-in step still pending. */
  pendingStep?: DynamicPendingStep
  /** The underlying failure (a network error, say). Never holds the token. */
  cause?: unknown
}

/**
 * A refusal. `code` says why, `status` is the HTTP status it maps to, `message` tells a developer
 * what to do. Neither ever contains the token itself.
 */
export class DynamicAuthError extends Error {
  /** Always `DynamicAuthError`: recognisable across bundles and realms (see {@link isDynamicAuthError}). */
  override readonly name = 'DynamicAuthError'
  /** Why the token or request was refused: one of {@link ERROR_CODES}, a stable contract. */
  readonly code: DynamicAuthErrorCode
  /** The HTTP status the code maps to ({@link ERROR_STATUS}). */
  readonly status: 400 | 401 | 403 | 503
  /** For `insufficient_scope`: the scopes the route needs that the token lacks. */
  readonly missingScopes?: readonly string[]
  /** For `jwks_unavailable`, `revocation_unavailable` and `one_time_store_unavailable`: seconds after which a retry may succeed. */
  readonly retryAfter?: number
  /**
   * For `insufficient_scope` when the token lacks `user:basic`: the step of Dynamic's sign-in
   * still pending, when the token says which (undefined otherwise). Also in the JSON refusal body
   * as `pending_step`. (Declared, not a class field: refusals stay as cheap as before.)
   */
  declare readonly pendingStep?: DynamicPendingStep
  /**
   * For the elevated-token refusals (`elevated_token_*`): the scopes the route requires of the
   * elevated token, which the front end steps up for (`checkStepUpAuth`, `getElevatedAccessToken`).
   * Also in the JSON refusal body as `required_scopes` and in the challenge's `scope`.
   */
  declare readonly requiredScopes?: readonly string[]

  constructor(code: DynamicAuthErrorCode, message: string, details: DynamicAuthErrorDetails = {}) {
    // A refusal is an outcome, not a bug: its stack says nothing and capturing one costs more
    // than the rest of a malformed token's refusal. `cause` keeps the stack of a real failure.
    const stackTraceLimit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    Error.stackTraceLimit = stackTraceLimit
    this.code = code
    this.status = ERROR_STATUS[code]
    if (details.missingScopes) this.missingScopes = details.missingScopes
    if (details.retryAfter !== undefined) this.retryAfter = details.retryAfter
    if (details.pendingStep !== undefined) this.pendingStep = details.pendingStep
    if (details.requiredScopes !== undefined) this.requiredScopes = details.requiredScopes
  }

  /** A JSON form safe to log or return: code, status, message and any pending step; no stack, no token. */
  toJSON(): {
    /** `DynamicAuthError`. */
    name: string
    /** The error code. */
    code: DynamicAuthErrorCode
    /** The HTTP status. */
    status: number
    /** What went wrong and the fix. */
    message: string
    /** The step the user still owes, for `insufficient_scope`. */
    pendingStep?: DynamicPendingStep
    /** The scopes to step up for, for the elevated-token refusals. */
    requiredScopes?: readonly string[]
  } {
    const json: {
      name: string
      code: DynamicAuthErrorCode
      status: number
      message: string
      pendingStep?: DynamicPendingStep
      requiredScopes?: readonly string[]
    } = {
      name: this.name,
      code: this.code,
      status: this.status,
      message: this.message,
    }
    if (this.pendingStep !== undefined) json.pendingStep = this.pendingStep
    if (this.requiredScopes !== undefined) json.requiredScopes = this.requiredScopes
    return json
  }
}

/** True when `value` is a {@link DynamicAuthError} (also across duplicated package copies). */
export function isDynamicAuthError(value: unknown): value is DynamicAuthError {
  return (
    value instanceof DynamicAuthError ||
    (typeof value === 'object' &&
      value !== null &&
      (value as { name?: unknown }).name === 'DynamicAuthError' &&
      typeof (value as { code?: unknown }).code === 'string')
  )
}

/** Thrown by {@link createDynamicAuth} for a bad configuration: a programming error, found at start-up. */
export class DynamicAuthConfigError extends TypeError {
  /** Always `DynamicAuthConfigError`. */
  override readonly name = 'DynamicAuthConfigError'
}
