/**
 * Step-up in the emulator: `POST stepUp/check` and the `requestedScopes` of a verification, which
 * answer an elevated access token beside the session's tokens. Lifetimes and single use follow
 * Dynamic's `MFASettingsActions` defaults (single use for `wallet:` scopes, 300 s; time-bound for
 * the others, 600 s), configurable per scope with {@link EmulatorStepUpOptions}.
 */
import { EmulatorError } from './http.js'
import {
  TOKEN_SCOPES,
  defaultTokenBehavior,
  ELEVATED_TOKEN_LIFETIME,
  type ElevatedTokenBehavior,
  type TokenScope,
} from '../step-up.js'

/** How one scope's elevated tokens behave (Dynamic's `MFASettingsActions.tokenBehavior` and `tokenExpirySeconds`). */
export interface ElevatedTokenSetting {
  /** `single_use` (consumed at its first use) or `time_bound` (valid until it expires). Default: single use for `wallet:` scopes. */
  tokenBehavior?: ElevatedTokenBehavior
  /** Lifetime in seconds (1 to 3600). Default 300 for single use, 600 for time-bound. */
  tokenExpirySeconds?: number
}

/** The emulated project's step-up settings. */
export interface EmulatorStepUpOptions {
  /** Scopes for which `stepUp/check` answers `isRequired: false`. Default none: every scope needs a step-up. */
  notRequired?: readonly TokenScope[]
  /** Per scope, how its tokens behave. Default Dynamic's. */
  tokens?: Partial<Record<TokenScope, ElevatedTokenSetting>>
}

const isScope = (value: unknown): value is TokenScope =>
  typeof value === 'string' && (TOKEN_SCOPES as readonly string[]).includes(value)

/** Throws a TypeError naming the first bad step-up option. */
export function checkStepUpOptions(options: EmulatorStepUpOptions | undefined): void {
  if (options === undefined) return
  for (const scope of options.notRequired ?? [])
    if (!isScope(scope))
      throw new TypeError(
        `stepUp.notRequired: ${JSON.stringify(scope)} is not one of Dynamic's TokenScope values (${TOKEN_SCOPES.join(', ')}).`,
      )
  for (const [scope, setting] of Object.entries(options.tokens ?? {})) {
    if (!isScope(scope))
      throw new TypeError(`stepUp.tokens: ${JSON.stringify(scope)} is not one of Dynamic's TokenScope values.`)
    if (
      setting?.tokenBehavior !== undefined &&
      setting.tokenBehavior !== 'single_use' &&
      setting.tokenBehavior !== 'time_bound'
    )
      throw new TypeError(`stepUp.tokens["${scope}"].tokenBehavior must be "single_use" or "time_bound".`)
    const expiry = setting?.tokenExpirySeconds
    if (expiry !== undefined && (!Number.isInteger(expiry) || expiry < 1 || expiry > 3600))
      throw new TypeError(
        `stepUp.tokens["${scope}"].tokenExpirySeconds must be a whole number of seconds from 1 to 3600.`,
      )
  }
}

/** The `requestedScopes` of a request body: undefined when absent, else TokenScope values, or a 400. */
export function requestedScopes(body: Record<string, unknown>): TokenScope[] | undefined {
  const value = body.requestedScopes
  if (value === undefined || value === null) return undefined
  if (!Array.isArray(value) || value.length === 0 || value.length > TOKEN_SCOPES.length)
    throw new EmulatorError(400, 'invalid_request', '"requestedScopes" must be a non-empty list of TokenScope values.')
  const unknown = value.find((scope) => !isScope(scope))
  if (unknown !== undefined)
    throw new EmulatorError(
      400,
      'invalid_scope',
      `${JSON.stringify(unknown)} is not a TokenScope value (${TOKEN_SCOPES.join(', ')}).`,
    )
  return [...new Set(value as TokenScope[])]
}

/** The one scope of `stepUp/check`'s body, or a 400. */
export function checkedScope(body: Record<string, unknown>): TokenScope {
  if (!isScope(body.scope))
    throw new EmulatorError(400, 'invalid_scope', `"scope" must be one TokenScope value (${TOKEN_SCOPES.join(', ')}).`)
  return body.scope
}

/**
 * How a token for `scopes` behaves: single use when any scope is (the stricter wins), and the
 * shortest lifetime of them. An assumption: Dynamic does not document tokens of mixed scopes.
 */
export function elevatedTokenPolicy(
  scopes: readonly TokenScope[],
  options: EmulatorStepUpOptions | undefined,
): { singleUse: boolean; expiresIn: number } {
  let singleUse = false
  let expiresIn = Number.POSITIVE_INFINITY
  for (const scope of scopes) {
    const setting = options?.tokens?.[scope]
    const behavior = setting?.tokenBehavior ?? defaultTokenBehavior(scope)
    singleUse ||= behavior === 'single_use'
    expiresIn = Math.min(expiresIn, setting?.tokenExpirySeconds ?? ELEVATED_TOKEN_LIFETIME[behavior])
  }
  return { singleUse, expiresIn }
}
