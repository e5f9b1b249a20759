/**
 * The `environments` form of `createDynamicAuth`: several Dynamic environments (a project's
 * sandbox and live, say) in one verifier. Validated once, at start-up, into one single-environment
 * option set per environment, so that each is checked by the same rules as `environmentId` is.
 */
import { DynamicAuthConfigError } from '../errors.js'
import type { DynamicAuthOptions, JwksOptions, StaticKeys } from '../options.js'
import { createMemoryRevocationStore } from '../revocation/memory-store.js'
import { closestName } from '../util/closest-name.js'

/** One environment of {@link DynamicAuthEnvironmentsOptions.environments}. */
export interface DynamicEnvironmentOptions {
  /** The environment's id (a UUID, from the dashboard's Developer → SDK & API Keys). Required. */
  id: string
  /**
   * A name for it, unique in the list, e.g. `live` or `sandbox`: on each session
   * (`session.environmentName`), and usable in a route's `allowedEnvironments`. Letters, digits,
   * `_`, `-` and `.`, at most 64. Default: none (the id alone).
   */
  name?: string
  /**
   * Accepted `iss` values of this environment's tokens. Default: `app.dynamicauth.com/<id>` and
   * `app.dynamic.xyz/<id>`.
   */
  issuer?: string | readonly string[]
  /**
   * JWKS settings of this environment, over the shared top-level `jwks` ones: typically `url`
   * when a custom hostname serves its keys. Default URL: Dynamic's JWKS of this environment.
   */
  jwks?: JwksOptions
  /** This environment's keys without network, instead of its JWKS. See {@link StaticKeys}. */
  staticKeys?: StaticKeys
}

/**
 * Options of `createDynamicAuth` for several environments: `environments` instead of
 * `environmentId`, the other options shared by every environment. `issuer`, `staticKeys` and
 * `jwks.url` differ per environment, so they go on each entry of `environments`.
 *
 * @example
 * const auth = createDynamicAuth({
 *   environments: [
 *     { id: process.env.DYNAMIC_LIVE_ENVIRONMENT_ID!, name: 'live' },
 *     { id: process.env.DYNAMIC_SANDBOX_ENVIRONMENT_ID!, name: 'sandbox' },
 *   ],
 * })
 */
export interface DynamicAuthEnvironmentsOptions
  extends Omit<DynamicAuthOptions, 'environmentId' | 'issuer' | 'staticKeys'> {
  /**
   * The environments whose tokens are accepted, each with its own keys and issuer. A token goes to
   * the one its (unverified) `environment_id` names (else the id at the end of its `iss`), and only
   * that environment's keys and issuer can verify it. At least one; at most 100.
   */
  environments: readonly DynamicEnvironmentOptions[]
  /** Not with `environments`: each environment has its id in the list. */
  environmentId?: never
  /** Not with `environments`: set `issuer` on each environment. */
  issuer?: never
  /** Not with `environments`: set `staticKeys` on each environment. */
  staticKeys?: never
}

/** An environment of a verifier: its id and the name it was given. */
export interface DynamicEnvironmentInfo {
  /** The environment id (lower-case). */
  readonly id: string
  /** The name given in `environments`, or undefined. */
  readonly name: string | undefined
}

/** One environment, validated: its info and its single-environment options. */
export interface PlannedEnvironment extends DynamicEnvironmentInfo {
  readonly options: DynamicAuthOptions
}

const ENTRY_NAMES = ['id', 'name', 'issuer', 'jwks', 'staticKeys'] as const satisfies ReadonlyArray<
  keyof DynamicEnvironmentOptions
>
const everyEntryNamed: Exclude<keyof DynamicEnvironmentOptions, (typeof ENTRY_NAMES)[number]> extends never
  ? true
  : never = true
void everyEntryNamed

const NAME = /^[A-Za-z0-9_.-]{1,64}$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const MAX_ENVIRONMENTS = 100

function fail(message: string): never {
  throw new DynamicAuthConfigError(`dynamic-guard: ${message}`)
}

/** True when `options` is the several-environments form. */
export function hasEnvironments(options: object): options is DynamicAuthEnvironmentsOptions {
  return Object.hasOwn(options, 'environments')
}

/**
 * Validates the `environments` form and splits it into one option set per environment, sharing
 * one revocation store (a revocation applies whatever the environment). Throws
 * {@link DynamicAuthConfigError} with the fix.
 */
export function planEnvironments(options: DynamicAuthEnvironmentsOptions): PlannedEnvironment[] {
  const { environments, ...shared } = options
  const record = shared as Record<string, unknown>
  if (record.environmentId !== undefined)
    fail(
      'give environmentId (one environment) or environments (several), not both: put every environment in environments, e.g. [{ id, name: "live" }, { id, name: "sandbox" }].',
    )
  if (record.issuer !== undefined)
    fail('with environments, the issuer differs per environment: set issuer on each entry of environments.')
  if (record.staticKeys !== undefined)
    fail('with environments, keys differ per environment: set staticKeys on each entry of environments.')
  const sharedJwks = record.jwks as JwksOptions | undefined
  if (typeof sharedJwks === 'object' && sharedJwks !== null && Object.hasOwn(sharedJwks, 'url'))
    fail(
      "with environments, each environment has its own JWKS URL: set jwks.url on each entry of environments (it defaults to Dynamic's JWKS of that environment), not at the top level.",
    )
  if (!Array.isArray(environments) || environments.length === 0)
    fail(
      'environments must be a non-empty list of environments, e.g. [{ id: "<live environment id>", name: "live" }, { id: "<sandbox environment id>", name: "sandbox" }].',
    )
  if (environments.length > MAX_ENVIRONMENTS) fail(`environments holds more than ${MAX_ENVIRONMENTS} environments.`)
  delete record.environmentId
  delete record.issuer
  delete record.staticKeys
  // One store for every environment, unless one is given: a revoked session is revoked everywhere.
  const revocation = options.revocation ?? createMemoryRevocationStore({ clock: options.advanced?.clock ?? Date.now })
  const seen = new Map<string, string>()
  return environments.map((entry, index) => {
    const where = `environments[${index}]`
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
      fail(`${where} must be an object: { id: "<environment id>", name?: "live" }.`)
    for (const key of Object.keys(entry)) {
      if ((ENTRY_NAMES as readonly string[]).includes(key)) continue
      const suggestion = closestName(key, ENTRY_NAMES)
      fail(
        `unknown option ${JSON.stringify(`${where}.${key.slice(0, 40)}`)}${suggestion ? `; did you mean ${where}.${suggestion}?` : '.'} An environment takes id, name, issuer, jwks and staticKeys; the other options are shared, at the top level.`,
      )
    }
    const { id, name } = entry
    if (typeof id !== 'string' || !UUID.test(id.trim()))
      fail(
        `${where}.id must be an environment id, a UUID like 2762a57b-faa4-41ce-9f16-abff9300e2c9; got ${JSON.stringify(String(id).slice(0, 60))}.`,
      )
    const normalized = id.trim().toLowerCase()
    if (name !== undefined && (typeof name !== 'string' || !NAME.test(name)))
      fail(
        `${where}.name must be 1 to 64 letters, digits, "_", "-" or "."; got ${JSON.stringify(String(name).slice(0, 60))}.`,
      )
    for (const key of [normalized, ...(name === undefined ? [] : [name])]) {
      const other = seen.get(key)
      if (other !== undefined)
        fail(`${where} and ${other} share ${JSON.stringify(key)}: each environment needs its own id and name.`)
      seen.set(key, where)
    }
    const jwks = sharedJwks === undefined && entry.jwks === undefined ? undefined : { ...sharedJwks, ...entry.jwks }
    const single: DynamicAuthOptions = {
      ...(shared as Omit<DynamicAuthOptions, 'environmentId'>),
      environmentId: id,
      revocation,
    }
    if (jwks !== undefined) single.jwks = jwks
    else delete single.jwks
    if (entry.issuer !== undefined) single.issuer = entry.issuer
    if (entry.staticKeys !== undefined) single.staticKeys = entry.staticKeys
    return { id: normalized, name, options: single }
  })
}
