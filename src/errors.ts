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
  'invalid_request',
  'origin_not_allowed',
  'revocation_unavailable',
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
  invalid_request: 400,
  origin_not_allowed: 403,
  revocation_unavailable: 503,
})

/** Extra facts some refusals carry. */
export interface DynamicAuthErrorDetails {
  /** For `insufficient_scope`: the scopes the route needs that the token lacks. */
  missingScopes?: readonly string[]
  /** For `jwks_unavailable`: seconds after which a retry may succeed. */
  retryAfter?: number
  /** The underlying failure (a network error, say). Never holds the token. */
  cause?: unknown
}

/**
 * A refusal. `code` says why, `status` is the HTTP status it maps to, `message` tells a developer
 * what to do. Neither ever contains the token itself.
 */
export class DynamicAuthError extends Error {
  override readonly name = 'DynamicAuthError'
  readonly code: DynamicAuthErrorCode
  readonly status: 400 | 401 | 403 | 503
  readonly missingScopes?: readonly string[]
  readonly retryAfter?: number

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
  }

  /** A JSON form safe to log or return: code, status and message, no stack, no token. */
  toJSON(): { name: string; code: DynamicAuthErrorCode; status: number; message: string } {
    return { name: this.name, code: this.code, status: this.status, message: this.message }
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
  override readonly name = 'DynamicAuthConfigError'
}
