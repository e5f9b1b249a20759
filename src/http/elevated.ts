/**
 * The decision of a `requireElevated({ scopes })` helper, shared by every adapter: read the
 * elevated access token from `x-dyn-elevated-access-token`, verify it with the verifier of the
 * guard that ran before (`auth.verifyElevatedToken`, which also consumes a single-use token), and
 * go on or refuse the way that guard does (`refusals`, `passPreflightsToApp`, `realm`).
 */
import { DynamicAuthConfigError } from '../errors.js'
import { ELEVATED_TOKEN_HEADER, elevatedScopeList, type ElevatedGrant } from '../elevated/grant.js'
import type { DynamicSession } from '../session/session.js'
import { ANSWER_PREFLIGHT, noGuardDecision, refusalDecision, type GuardDecision, type GuardSettings } from './guard.js'
import { isPreflight, type RequestReader } from './request.js'
import { scopeRefusal } from './scopes.js'

export { ELEVATED_TOKEN_HEADER } from '../elevated/grant.js'

/** Options of `requireElevated()`, in every adapter. */
export interface RequireElevatedOptions {
  /**
   * The scopes the route requires of the elevated access token, each one of Dynamic's
   * `TokenScope` values (`wallet:export`, `wallet:sign`, `credential:link`, `user:update`, ...).
   * The token must grant every one.
   */
  scopes: readonly string[]
}

/** What an adapter does after a `requireElevated()` check. */
export type ElevatedDecision =
  /** Go on, with the grant (undefined: a preflight passed on with `passPreflightsToApp`). */
  | { readonly action: 'continue'; readonly grant: ElevatedGrant | undefined }
  | Exclude<GuardDecision, { readonly action: 'continue' }>

const PASS_PREFLIGHT: ElevatedDecision = Object.freeze({ action: 'continue', grant: undefined })

/** Validates `requireElevated()`'s options once, when the route is set up: the required scopes. */
export function elevatedScopes(options: RequireElevatedOptions): readonly string[] {
  try {
    if (options === null || typeof options !== 'object') throw new TypeError('')
    return elevatedScopeList(options.scopes, 'requireElevated')
  } catch {
    throw new DynamicAuthConfigError(
      "dynamic-guard: requireElevated takes { scopes: [...] }: one or more of Dynamic's TokenScope values (e.g. { scopes: ['wallet:export'] }), one word each, not user:basic.",
    )
  }
}

/**
 * Decides for a `requireElevated()` helper, given the request's session and the
 * {@link GuardSettings} its guard stored. Without a guard before it, a 401 saying to mount one.
 * `helper` and `guard` name the adapter's helper and guard for that message.
 */
export function elevatedDecision<R extends object>(
  request: R,
  reader: RequestReader<R>,
  session: DynamicSession | undefined,
  required: readonly string[],
  guard: GuardSettings | undefined,
  names: { readonly helper: string; readonly guard: string },
): Promise<ElevatedDecision> {
  if (guard === undefined || typeof guard.auth?.verifyElevatedToken !== 'function')
    return Promise.resolve(noGuardDecision(names.helper, names.guard) as ElevatedDecision)
  if (isPreflight(reader, request))
    return Promise.resolve(guard.passPreflights ? PASS_PREFLIGHT : (ANSWER_PREFLIGHT as ElevatedDecision))
  if (session === undefined) return Promise.resolve(refuse(scopeRefusal(undefined, required), guard, required))
  const token = reader.header(request, ELEVATED_TOKEN_HEADER)
  return guard.auth.verifyElevatedToken(token, session, { scopes: required }).then(
    (grant): ElevatedDecision => ({ action: 'continue', grant }),
    (error: unknown) => refuse(error, guard, required),
  )
}

function refuse(error: unknown, guard: GuardSettings, required: readonly string[]): ElevatedDecision {
  return refusalDecision(error, guard.refusals, guard.realm, required) as ElevatedDecision
}
