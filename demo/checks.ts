/**
 * Every check of a verification, one by one, for the demo page to show. The verifier itself stops
 * at the first failed check; this runs each check on its own (with the library's own check
 * functions) so a visitor sees which passed and which failed. It explains; the server's answer
 * is what decides.
 */
import { createPublicKey, verify } from 'node:crypto'
import { isDynamicAuthError } from '../src/errors.js'
import { parseCompactJws } from '../src/parse/compact-jws.js'
import { acceptJwk } from '../src/keys/jwk.js'
import { checkTimes } from '../src/claims/time.js'
import { defaultIssuers } from '../src/claims/issuer.js'
import { readScopes, requireScopes, USER_BASIC } from '../src/claims/scopes.js'

export type CheckStatus = 'pass' | 'fail' | 'skip'

export interface Check {
  id: 'format' | 'signature' | 'expiry' | 'issuer' | 'environment' | 'scope'
  label: string
  status: CheckStatus
  detail: string
}

export interface Explanation {
  header: Record<string, unknown> | null
  payload: Record<string, unknown> | null
  checks: Check[]
}

const reason = (error: unknown): string =>
  isDynamicAuthError(error) ? `${error.code}: ${error.message}` : String(error)

/** Runs each check of a Dynamic token against `environmentId` and its JWKS. */
export function explainToken(
  token: string,
  config: { environmentId: string; jwks: { keys: Array<Record<string, unknown>> }; now?: number },
): Explanation {
  const now = config.now ?? Date.now() / 1000
  const checks: Check[] = []
  let parsed
  try {
    parsed = parseCompactJws(token, 16384)
    if (parsed.header.alg !== 'RS256')
      throw new Error(`alg is ${JSON.stringify(parsed.header.alg)}; only RS256 is accepted`)
    checks.push({ id: 'format', label: 'Format', status: 'pass', detail: 'A strict compact JWS, signed with RS256.' })
  } catch (error) {
    checks.push({ id: 'format', label: 'Format', status: 'fail', detail: reason(error) })
    for (const [id, label] of [
      ['signature', 'Signature'],
      ['expiry', 'Expiry'],
      ['issuer', 'Issuer'],
      ['environment', 'Environment'],
      ['scope', 'Scope'],
    ] as const) {
      checks.push({ id, label, status: 'skip', detail: 'Not checked: the token cannot be read.' })
    }
    return { header: null, payload: null, checks }
  }
  const { header, payload } = parsed

  const jwk = config.jwks.keys.find((k) => k.kid === header.kid)
  if (!jwk) {
    // The server refuses this as key_not_found; when the token names another environment, that is
    // the likeliest cause, and the server's message says so (the claim is unverified: no key).
    const claimed =
      typeof payload.environment_id === 'string' && payload.environment_id !== config.environmentId
        ? payload.environment_id
        : undefined
    const hint =
      claimed === undefined
        ? ''
        : ` The token says (unverified, since its key is unknown) that it was issued for Dynamic environment ${claimed}, but this server verifies environment ${config.environmentId}.`
    checks.push({
      id: 'signature',
      label: 'Signature',
      status: 'fail',
      detail: `key_not_found: no key with kid ${JSON.stringify(header.kid)} in this environment's JWKS.${hint}`,
    })
  } else {
    const accepted = acceptJwk(jwk)
    const ok =
      !('rejected' in accepted) &&
      verify(
        'sha256',
        Buffer.from(parsed.signingInput, 'latin1'),
        createPublicKey({ key: { ...accepted.jwk }, format: 'jwk' }),
        parsed.signature,
      )
    checks.push(
      ok
        ? {
            id: 'signature',
            label: 'Signature',
            status: 'pass',
            detail: `RS256 signature matches key ${String(header.kid)} from the JWKS.`,
          }
        : {
            id: 'signature',
            label: 'Signature',
            status: 'fail',
            detail: 'The signature does not match: the token was altered after Dynamic signed it.',
          },
    )
  }

  try {
    // checkTimes returns its refusal instead of throwing it (see why there).
    const refusal = checkTimes(payload, now, 5, 30 * 24 * 3600)
    if (typeof refusal !== 'number') throw refusal
    const left = Math.round((Number(payload.exp) - now) / 60)
    checks.push({ id: 'expiry', label: 'Expiry', status: 'pass', detail: `Valid for another ${left} min.` })
  } catch (error) {
    checks.push({ id: 'expiry', label: 'Expiry', status: 'fail', detail: reason(error) })
  }

  const issuers = defaultIssuers(config.environmentId)
  checks.push(
    typeof payload.iss === 'string' && issuers.includes(payload.iss)
      ? { id: 'issuer', label: 'Issuer', status: 'pass', detail: `iss is ${payload.iss}.` }
      : {
          id: 'issuer',
          label: 'Issuer',
          status: 'fail',
          detail: `iss ${JSON.stringify(payload.iss)} is not ${issuers.join(' or ')}.`,
        },
  )

  checks.push(
    payload.environment_id === config.environmentId
      ? {
          id: 'environment',
          label: 'Environment',
          status: 'pass',
          detail: `environment_id is this server's environment.`,
        }
      : {
          id: 'environment',
          label: 'Environment',
          status: 'fail',
          detail: `environment_id ${JSON.stringify(payload.environment_id)} is another environment than ${config.environmentId}.`,
        },
  )

  try {
    const scopes = readScopes(payload)
    requireScopes(scopes, [USER_BASIC])
    checks.push({
      id: 'scope',
      label: 'Scope',
      status: 'pass',
      detail: `Has ${USER_BASIC}: the user finished signing in.`,
    })
  } catch (error) {
    checks.push({ id: 'scope', label: 'Scope', status: 'fail', detail: reason(error) })
  }
  return { header, payload, checks }
}
