/**
 * Binds a token to one Dynamic environment: the issuer by exact string equality against the
 * configured list, and `environment_id`, when present, equal to the configured id.
 */
import { DynamicAuthError } from '../errors.js'

/** The issuer strings Dynamic uses for an environment (both API hosts, no scheme). */
export function defaultIssuers(environmentId: string): string[] {
  return [`app.dynamicauth.com/${environmentId}`, `app.dynamic.xyz/${environmentId}`]
}

/** Checks `iss` and `environment_id`; throws the refusal. */
export function checkIssuerAndEnvironment(
  payload: Record<string, unknown>,
  issuers: readonly string[],
  environmentId: string,
): void {
  const refusal = issuerRefusal(payload, issuers, environmentId)
  if (refusal) throw refusal
}

/**
 * The refusal of `iss` and `environment_id`, or undefined when both are right. Returned, not
 * thrown: the verifier's hot path stays optimisable in a flood of one refusal (see checkTimes).
 */
export function issuerRefusal(
  payload: Record<string, unknown>,
  issuers: readonly string[],
  environmentId: string,
): DynamicAuthError | undefined {
  const environment = payload.environment_id
  const iss = payload.iss
  const otherEnvironment = environment !== undefined && environment !== environmentId
  if (typeof iss !== 'string' || !issuers.includes(iss)) {
    if (otherEnvironment) return environmentMismatch(environment, environmentId)
    return new DynamicAuthError(
      'issuer_mismatch',
      typeof iss === 'string' ? issuerMismatch(iss, issuers) : 'The token has no string "iss" claim.',
    )
  }
  return otherEnvironment ? environmentMismatch(environment, environmentId) : undefined
}

function issuerMismatch(iss: string, issuers: readonly string[]): string {
  const shown = JSON.stringify(iss.length > 100 ? `${iss.slice(0, 100)}…` : iss)
  const withScheme = issuers.find(
    (expected) => /^[a-z]+:\/\//i.test(expected) && expected.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '') === iss,
  )
  if (withScheme !== undefined) {
    return `The token's issuer is ${shown}, but the issuer option says ${JSON.stringify(withScheme)}: Dynamic's issuer has no scheme. Set issuer to ${shown}, or leave it out (the default accepts both of Dynamic's hosts).`
  }
  return `The token's issuer is ${shown}; this server accepts ${issuers.map((i) => JSON.stringify(i)).join(', ')}. Set the issuer option if Dynamic issues from another host for your environment.`
}

function environmentMismatch(found: unknown, expected: string): DynamicAuthError {
  return new DynamicAuthError(
    'environment_mismatch',
    typeof found === 'string' && found.length <= 64
      ? `The token belongs to Dynamic environment ${found}, but this server is configured for ${expected}.`
      : `The token's environment_id is not ${expected}, the environment this server is configured for.`,
  )
}
