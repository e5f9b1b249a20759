/**
 * What every adapter does once, when it is created: take an existing verifier or build one from
 * options, and validate the adapter options.
 */
import { closestName } from '../util/closest-name.js'
import { ENVIRONMENTS_OPTION_NAME, OPTION_MOVES, OPTION_NAMES, unknownTopLevelMessage } from '../options.js'
import type { DynamicAuthOptions } from '../options.js'
import type { DynamicAuthEnvironmentsOptions } from '../environments/options.js'
import { createDynamicAuth } from '../create.js'
import type { DynamicAuth } from '../verifier.js'
import { DynamicAuthConfigError } from '../errors.js'
import { RecentTokens } from './recent-tokens.js'
import {
  AUTHENTICATE_OPTION_NAMES,
  resolveAuthenticateOptions,
  type AuthenticateOptions,
  type ResolvedAuthenticateOptions,
} from './options.js'

/**
 * What an adapter accepts: a verifier from createDynamicAuth, `{ auth, ...adapterOptions }`, or
 * the verifier's options (adapter options may be mixed in).
 */
export type AuthOrOptions =
  | DynamicAuth
  | ({
      /** A verifier from createDynamicAuth. */
      auth: DynamicAuth
    } & AuthenticateOptions)
  | (DynamicAuthOptions & AuthenticateOptions)
  | (DynamicAuthEnvironmentsOptions & AuthenticateOptions)

/** The verifier and validated adapter options an adapter works with. */
export interface AdapterSetup {
  readonly auth: DynamicAuth
  readonly options: ResolvedAuthenticateOptions
  /** Every scope the route requires, for the `scope` attribute of a 403 challenge. */
  readonly scopes: readonly string[]
  /** Tokens this adapter saw recently, so a repeated token reaches the verifier's cache without being hashed again. */
  readonly recent: RecentTokens
}

/**
 * A route's `allowedEnvironments` must name environments of its verifier (by id or name): a
 * misspelt name would refuse every request, so it is refused at start-up instead.
 */
function checkRouteEnvironments(auth: DynamicAuth, options: ResolvedAuthenticateOptions): void {
  const wanted = options.limits?.environmentList
  const known = auth.environments
  if (wanted === undefined || known === undefined) return
  for (const entry of wanted) {
    if (known.some((env) => env.id === entry.toLowerCase() || env.name === entry)) continue
    const list = known.map((env) => (env.name === undefined ? env.id : `${env.name} (${env.id})`)).join(', ')
    throw new DynamicAuthConfigError(
      `dynamic-guard: allowedEnvironments names ${JSON.stringify(entry.slice(0, 64))}, which is not an environment of this verifier (its environments: ${list}). Give an environment's id, or the name given to it in createDynamicAuth({ environments: [{ id, name }] }).`,
    )
  }
}

/** True for a verifier made by createDynamicAuth (or anything shaped like one). */
const CORE_OPTION_NAMES: readonly string[] = [...OPTION_NAMES, ENVIRONMENTS_OPTION_NAME]

export function isDynamicAuth(value: unknown): value is DynamicAuth {
  return typeof value === 'object' && value !== null && typeof (value as DynamicAuth).verifyToken === 'function'
}

/** Resolves an adapter's arguments; throws {@link DynamicAuthConfigError} for bad ones. */
export function setupAdapter(authOrOptions: AuthOrOptions, adapterOptions?: AuthenticateOptions): AdapterSetup {
  if (authOrOptions === null || typeof authOrOptions !== 'object') {
    throw new DynamicAuthConfigError(
      'dynamic-guard: pass a verifier from createDynamicAuth or its options ({ environmentId, ... }).',
    )
  }
  let auth: DynamicAuth
  let mixed: AuthenticateOptions = {}
  if (isDynamicAuth(authOrOptions)) auth = authOrOptions
  else if (isDynamicAuth((authOrOptions as { auth?: unknown }).auth)) {
    // { auth, ...adapterOptions }
    const { auth: given, ...adapter } = authOrOptions as { auth: DynamicAuth } & AuthenticateOptions
    auth = given
    mixed = adapter
  } else {
    const coreOptions: Record<string, unknown> = {}
    const adapter: Record<string, unknown> = {}
    for (const [name, value] of Object.entries(authOrOptions)) {
      if (!AUTHENTICATE_OPTION_NAMES.has(name) && !CORE_OPTION_NAMES.includes(name)) {
        // An option of the 0.x flat layout is told where it moved.
        if (Object.hasOwn(OPTION_MOVES, name)) throw new DynamicAuthConfigError(unknownTopLevelMessage(name))
        // Suggested from both lists: a misspelt adapter option (`optinal`) is an adapter option.
        const suggestion = closestName(name, [...CORE_OPTION_NAMES, ...AUTHENTICATE_OPTION_NAMES])
        throw new DynamicAuthConfigError(
          `dynamic-guard: unknown option ${JSON.stringify(name.slice(0, 64))}${suggestion ? `; did you mean ${suggestion}?` : '.'}`,
        )
      }
      // requiredScopes given with the verifier's options belongs to the verifier (applies to every token).
      if (AUTHENTICATE_OPTION_NAMES.has(name) && name !== 'requiredScopes') adapter[name] = value
      else coreOptions[name] = value
    }
    auth = createDynamicAuth(coreOptions as unknown as DynamicAuthOptions | DynamicAuthEnvironmentsOptions)
    mixed = adapter as AuthenticateOptions
  }
  const options = resolveAuthenticateOptions({ ...mixed, ...adapterOptions })
  checkRouteEnvironments(auth, options)
  const scopes = [...new Set([...(auth.requiredScopes ?? []), ...(options.verifyOptions?.requiredScopes ?? [])])]
  return { auth, options, scopes, recent: new RecentTokens() }
}
