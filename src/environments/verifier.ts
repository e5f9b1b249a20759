/**
 * A verifier over several Dynamic environments: one complete single-environment verifier per
 * environment (its own key store, JWKS URL, issuer pin, token cache and telemetry attributes),
 * sharing one revocation store, and a router in front of them.
 *
 * The router reads the token's (unverified) `environment_id`, else the id at the end of its
 * `iss`, and hands the token to that environment's verifier alone: its signature is checked only
 * against that environment's keys, and its issuer and `environment_id` against that environment.
 * A token signed by one environment's key that names another is refused by the other's checks.
 * A token already verified is found by a lookup in each environment's cache, without parsing.
 */
import { DynamicAuthError } from '../errors.js'
import type { DynamicAuthHealth, HealthStatus } from '../health/health.js'
import type { VerifierHooks } from '../hooks.js'
import type { KeyStoreStatus } from '../keys/key-store.js'
import { parseCompactJws } from '../parse/compact-jws.js'
import type { RevocationStatus } from '../revocation/store.js'
import type { DynamicSession } from '../session/session.js'
import type { DynamicAuth, Verifier, VerifyOptions } from '../verifier.js'
import type { ElevatedGrant, ElevatedTokenOptions } from '../elevated/grant.js'
import type { OneTimeStore } from '../one-time/store.js'
import type { DynamicEnvironmentInfo } from './options.js'

/** The several-environments verifier; `createDynamicAuth({ environments })` makes one. */
export class EnvironmentsVerifier implements DynamicAuth {
  readonly environmentId: string
  readonly environments: readonly DynamicEnvironmentInfo[]
  readonly requiredScopes: readonly string[]
  /** The one-time store every environment shares. */
  readonly oneTimeStore: OneTimeStore
  /** The first environment's hooks: requests refused before any token is routed are reported there. */
  readonly hooks: VerifierHooks
  private readonly byId: ReadonlyMap<string, Verifier>
  private readonly list: readonly Verifier[]
  private readonly first: Verifier
  private readonly maxTokenLength: number

  constructor(verifiers: readonly Verifier[], maxTokenLength: number) {
    const first = verifiers[0]
    if (first === undefined) throw new TypeError('dynamic-guard: at least one environment is needed.')
    this.first = first
    this.list = verifiers
    this.byId = new Map(verifiers.map((verifier) => [verifier.environmentId, verifier]))
    this.environmentId = first.environmentId
    this.environments = Object.freeze(verifiers.flatMap((verifier) => verifier.environments))
    this.requiredScopes = first.requiredScopes
    this.oneTimeStore = first.oneTimeStore
    this.hooks = first.hooks
    this.maxTokenLength = maxTokenLength
  }

  verifyToken(token: string, options?: VerifyOptions): Promise<DynamicSession> {
    let verifier: Verifier
    try {
      verifier = this.route(token)
    } catch (error) {
      this.hooks.requestRefused(error)
      return Promise.reject(error)
    }
    return verifier.verifyToken(token, options)
  }

  /**
   * Checked by the session's own environment: an elevated token of another environment fails
   * that environment's issuer and key checks, so it never counts for this session.
   */
  verifyElevatedToken(
    token: string | undefined,
    session: DynamicSession,
    options: ElevatedTokenOptions,
  ): Promise<ElevatedGrant> {
    const verifier = this.byId.get(session.environmentId) ?? this.first
    return verifier.verifyElevatedToken(token, session, options)
  }

  /** The one environment whose checks decide `token`. Throws `environment_mismatch` for none. */
  private route(token: string): Verifier {
    const list = this.list
    if (typeof token !== 'string') return this.first // it refuses the token as malformed
    for (let i = 0; i < list.length; i++) if (list[i]!.hasVerified(token)) return list[i]!
    let payload: Record<string, unknown>
    try {
      payload = parseCompactJws(token, this.maxTokenLength).payload
    } catch {
      return this.first // a token that does not parse is refused by the same checks as with one environment
    }
    const claimed = claimedEnvironment(payload)
    const verifier = claimed === undefined ? undefined : this.byId.get(claimed)
    if (verifier !== undefined) return verifier
    throw new DynamicAuthError(
      'environment_mismatch',
      claimed === undefined
        ? `The token names no Dynamic environment (no environment_id, and no environment id at the end of its iss), so it cannot be matched to one of this server's environments: ${this.describe()}.`
        : `The token says (unverified) that it belongs to Dynamic environment ${claimed}, which is not one of this server's environments: ${this.describe()}. Sign in through a front end of one of these, or add the environment to createDynamicAuth({ environments }).`,
    )
  }

  private describe(): string {
    return this.environments.map((env) => (env.name === undefined ? env.id : `${env.name} (${env.id})`)).join(', ')
  }

  warmUp(): Promise<void> {
    return Promise.all(this.list.map((verifier) => verifier.warmUp())).then(() => undefined)
  }

  /** The first environment's key store; {@link EnvironmentsVerifier.health} reports every one. */
  keyStatus(): KeyStoreStatus {
    return this.first.keyStatus()
  }

  /** The key store of each environment, by id. */
  keyStatuses(): ReadonlyMap<string, KeyStoreStatus> {
    return new Map(this.list.map((verifier) => [verifier.environmentId, verifier.keyStatus()]))
  }

  // The revocation store is shared: one call revokes in every environment.
  revokeSession(sid: string): Promise<void> {
    return this.first.revokeSession(sid)
  }

  revokeUser(sub: string, options?: { before?: Date | number }): Promise<void> {
    return this.first.revokeUser(sub, options)
  }

  revocationStatus(): RevocationStatus {
    return this.first.revocationStatus()
  }

  /**
   * Every environment's health in `environments`. At the top: `unavailable` only when no
   * environment can verify (one environment's failing JWKS must not take the instance out of
   * rotation for the others: it is `degraded`), and the keys of the environment in the worst state
   * (so that a health handler loads the keys that are missing).
   */
  health(): DynamicAuthHealth {
    const each = this.list.map((verifier) => ({ verifier, health: verifier.health() }))
    let worst = each[0]!
    for (const entry of each) if (RANK[entry.health.status] > RANK[worst.health.status]) worst = entry
    const status: HealthStatus = each.every((entry) => entry.health.status === 'unavailable')
      ? 'unavailable'
      : worst.health.status === 'ok'
        ? 'ok'
        : 'degraded'
    return {
      ...worst.health,
      status,
      environmentId: this.environmentId,
      environments: each.map(({ verifier, health }) => ({
        id: verifier.environmentId,
        ...(verifier.environments[0]?.name === undefined ? {} : { name: verifier.environments[0].name }),
        status: health.status,
        keys: health.keys,
      })),
    }
  }
}

const RANK: Readonly<Record<HealthStatus, number>> = { ok: 0, degraded: 1, unavailable: 2 }

/** The environment a token claims: `environment_id`, else the id at the end of `iss`. Unverified, lower-case. */
export function claimedEnvironment(payload: Record<string, unknown>): string | undefined {
  const id = payload.environment_id
  if (typeof id === 'string') return /^[\w-]{1,64}$/.test(id) ? id.toLowerCase() : undefined
  const iss = payload.iss
  if (typeof iss !== 'string' || iss.length > 200) return undefined
  return /\/([0-9a-f-]{36})$/i.exec(iss)?.[1]?.toLowerCase()
}
