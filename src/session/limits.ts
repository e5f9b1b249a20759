/**
 * What a route may restrict beyond scopes: the kind of actor (a user's session or an agent's
 * server-side one) and the environments its tokens may come from. Checked after the token is
 * verified, on the session, so that a verifier written by hand is restricted the same way.
 */
import { DynamicAuthConfigError, DynamicAuthError } from '../errors.js'
import type { DynamicActor, DynamicSession } from './session.js'

export type { DynamicActor }

/** Which actors a route accepts: users only, agents only, or both (`any`, the default). */
export type ActorSetting = DynamicActor | 'any'

/** The restrictions of one route, validated. */
export interface SessionLimits {
  /** Only this actor; undefined: both. */
  readonly actor: DynamicActor | undefined
  /** Environment ids and names allowed; undefined: every environment of the verifier. */
  readonly environments: ReadonlySet<string> | undefined
  /** The environments as given, for messages. */
  readonly environmentList: readonly string[] | undefined
}

/** The actor of a session, read from its claims (`server_auth: true` → `agent`). */
export function actorOf(session: DynamicSession): DynamicActor {
  return session.claims.server_auth === true ? 'agent' : 'user'
}

function fail(message: string): never {
  throw new DynamicAuthConfigError(`dynamic-guard: ${message}`)
}

/**
 * Validates `actor` and `environments` options (of a route, or of one `verifyToken` call).
 * Undefined when neither restricts anything, so callers skip the check. Throws
 * {@link DynamicAuthConfigError}.
 */
export function resolveLimits(actor: unknown, environments: unknown): SessionLimits | undefined {
  if (actor !== undefined && actor !== 'user' && actor !== 'agent' && actor !== 'any')
    fail(
      `"actor" must be 'user' (users' sessions only), 'agent' (agents' server-side sessions only) or 'any' (both, the default); got ${JSON.stringify(String(actor).slice(0, 40))}.`,
    )
  let list: string[] | undefined
  if (environments !== undefined) {
    const given = typeof environments === 'string' ? [environments] : environments
    if (
      !Array.isArray(given) ||
      given.length === 0 ||
      given.some((e) => typeof e !== 'string' || e.trim().length === 0 || e.length > 100)
    )
      fail(
        "\"allowedEnvironments\" must be an environment's id or name, or a non-empty list of them (the names given in createDynamicAuth({ environments })), e.g. ['live'].",
      )
    list = (given as string[]).map((e) => e.trim())
  }
  const only = actor === 'user' || actor === 'agent' ? actor : undefined
  if (only === undefined && list === undefined) return undefined
  return Object.freeze({
    actor: only,
    environments: list === undefined ? undefined : new Set(list.flatMap((e) => [e, e.toLowerCase()])),
    environmentList: list === undefined ? undefined : Object.freeze(list),
  })
}

/** Throws `actor_not_allowed` or `environment_not_allowed` when the session is outside `limits`. */
export function checkLimits(session: DynamicSession, limits: SessionLimits): void {
  const actor = limits.actor
  if (actor !== undefined && actorOf(session) !== actor) {
    throw new DynamicAuthError(
      'actor_not_allowed',
      actor === 'user'
        ? "This route accepts users' sessions only, and the token is an agent's server-side session (its server_auth claim is true). Call it with a token from a user's sign-in, or use a route that accepts agents."
        : "This route accepts agents' server-side sessions only (tokens whose server_auth claim is true), and the token is a user's session. Call it from an agent signed in with Dynamic's server-side authentication, or use a route that accepts users.",
    )
  }
  const environments = limits.environments
  if (
    environments !== undefined &&
    !environments.has(session.environmentId) &&
    !(session.environmentName !== undefined && environments.has(session.environmentName))
  ) {
    const name = session.environmentName === undefined ? '' : ` (${session.environmentName})`
    throw new DynamicAuthError(
      'environment_not_allowed',
      `This route accepts tokens of the environment${limits.environmentList!.length > 1 ? 's' : ''} ${limits.environmentList!.join(', ')} only, and the token belongs to Dynamic environment ${session.environmentId}${name}. Sign in through a front end of an accepted environment, or use a route that accepts this one.`,
    )
  }
}
