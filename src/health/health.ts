/**
 * `auth.health()`: a small JSON-able snapshot of what decides whether this instance can verify
 * tokens: the keys (fresh, stale, unavailable, and why) and the revocation store (connected,
 * serving from a stale set, or refusing). Never a token, never a user.
 */
import type { KeyStoreStatus } from '../keys/key-store.js'
import type { RevocationStatus, RevocationStore } from '../revocation/store.js'
import type { KeyEventFacts } from './key-monitor.js'

/**
 * `ok`: verifying normally. `degraded`: verifying, but something needs attention (stale keys
 * served, refreshes failing, revocation store disconnected); keep the instance in rotation and
 * alert. `unavailable`: every token would be refused with a 503 (no usable keys, or a revocation
 * store that refuses while cut off); take the instance out of rotation until it recovers.
 */
export type HealthStatus = 'ok' | 'degraded' | 'unavailable'

/** The keys' side of {@link DynamicAuthHealth}. */
export interface KeysHealth {
  /**
   * `fresh`: fetched within `jwks.cacheMaxAge`. `stale`: older, served under `jwks.staleIfError`
   * because refreshing fails. `unavailable`: no usable keys. `not_loaded`: not fetched yet (the
   * first verification, `warmUp()` or a health handler loads them). `static`: configured keys.
   */
  readonly state: 'fresh' | 'stale' | 'unavailable' | 'not_loaded' | 'static'
  /** Why the state is not `fresh`/`static`, or why refreshing fails, in one sentence. */
  readonly reason?: string
  /** How many keys are in use. */
  readonly keys: number
  /** Seconds since the keys in use were fetched. */
  readonly ageSeconds?: number
  /** How many JWKS fetches in a row have failed. */
  readonly consecutiveFailures: number
  /** Why the last JWKS fetch failed, if one did. */
  readonly lastError?: string
  /** When the last fetch failed (ISO 8601). */
  readonly lastErrorAt?: string
  /** Seconds before the key store may fetch again (backoff, or the server's Retry-After). */
  readonly retryInSeconds?: number
}

/** The revocation store's side of {@link DynamicAuthHealth}. */
export interface RevocationHealth {
  /**
   * `connected` (always for the in-memory store); `disconnected` (serving from its set, within its
   * staleness limit); `stale_serving` (past the limit, still serving: revocations made elsewhere
   * meanwhile are not applied here); `stale_refusing` (past the limit, refusing every token).
   */
  readonly state: 'connected' | 'disconnected' | 'stale_serving' | 'stale_refusing'
  /** The revocation store: `memory`, `redis`, or a custom store's name. */
  readonly kind: string
  /** How many revocations the store holds. */
  readonly entries: number
  /** Seconds since the shared set was last loaded in full. */
  readonly lastSyncAgeSeconds?: number
  /** The store's last error, if any. */
  readonly lastError?: string
}

/** What `auth.health()` returns. */
export interface DynamicAuthHealth {
  /** `ok`, `degraded` (serving, with something to look at) or `unavailable` (cannot verify tokens). */
  readonly status: HealthStatus
  /** ISO 8601. */
  readonly checkedAt: string
  /** The Dynamic environment the verifier accepts tokens of. */
  readonly environmentId: string
  /** The signing keys: their state, count and age. */
  readonly keys: KeysHealth
  /** The revocation store: its state and size. */
  readonly revocation: RevocationHealth
  /**
   * With several environments (`createDynamicAuth({ environments })`): each one's status and keys.
   * The top-level `status` is then the worst of them, and `keys` those of the environment in the
   * worst state. Absent with one environment.
   */
  readonly environments?: readonly EnvironmentHealth[]
}

/** One environment's entry of {@link DynamicAuthHealth.environments}. */
export interface EnvironmentHealth {
  /** The environment id. */
  readonly id: string
  /** The name it was given, when it has one. */
  readonly name?: string
  /** Its status, as the top-level one would be with this environment alone. */
  readonly status: HealthStatus
  /** Its signing keys. */
  readonly keys: KeysHealth
}

/** What {@link computeHealth} reads. Times in ms. */
export interface HealthInput {
  readonly now: number
  readonly environmentId: string
  readonly keyStatus: KeyStoreStatus
  readonly keyFacts: KeyEventFacts
  readonly maxAgeMs: number
  readonly staleIfErrorMs: number
  readonly revocationStatus: RevocationStatus
  /** True when the revocation store refuses every token right now. */
  readonly revocationRefusing: boolean
}

const seconds = (ms: number) => Math.max(0, Math.round(ms / 100) / 10)

function keysHealth(input: HealthInput): KeysHealth {
  const { keyStatus: status, keyFacts: facts, now } = input
  const base = {
    keys: status.kids.length,
    consecutiveFailures: status.consecutiveFailures,
    ...(status.lastError === undefined ? {} : { lastError: status.lastError }),
    ...(facts.lastErrorAt === undefined || status.consecutiveFailures === 0
      ? {}
      : { lastErrorAt: new Date(facts.lastErrorAt).toISOString() }),
    ...(facts.retryAt > now ? { retryInSeconds: seconds(facts.retryAt - now) } : {}),
  }
  if (status.source === 'static') return { state: 'static', ...base }
  const failing =
    status.consecutiveFailures > 0
      ? ` Refreshing fails (${status.consecutiveFailures} in a row): ${status.lastError ?? 'unknown error'}.`
      : ''
  if (status.fetchedAt === undefined) {
    return status.consecutiveFailures > 0
      ? { state: 'unavailable', reason: `No keys could be fetched yet.${failing}`, ...base }
      : {
          state: 'not_loaded',
          reason: 'The keys are not fetched yet: the first verification, warmUp() or a health handler loads them.',
          ...base,
        }
  }
  const age = now - status.fetchedAt
  const withAge = { ...base, ageSeconds: seconds(age) }
  if (age < input.maxAgeMs)
    return failing ? { state: 'fresh', reason: failing.trim(), ...withAge } : { state: 'fresh', ...withAge }
  if (age < input.maxAgeMs + input.staleIfErrorMs) {
    return {
      state: 'stale',
      reason: `The keys are past their max age and served under stale-if-error for ${seconds(input.maxAgeMs + input.staleIfErrorMs - age)} s more.${failing}`,
      ...withAge,
    }
  }
  return {
    state: 'unavailable',
    reason: `The keys are past their max age and their stale-if-error allowance.${failing}`,
    ...withAge,
  }
}

function revocationHealth(input: HealthInput): RevocationHealth {
  const status = input.revocationStatus
  const state: RevocationHealth['state'] = status.connected
    ? 'connected'
    : input.revocationRefusing
      ? 'stale_refusing'
      : status.stale
        ? 'stale_serving'
        : 'disconnected'
  return {
    state,
    kind: status.kind,
    entries: status.entries,
    ...(status.lastSyncAt === undefined ? {} : { lastSyncAgeSeconds: seconds(input.now - status.lastSyncAt) }),
    ...(status.lastError === undefined || status.connected ? {} : { lastError: status.lastError }),
  }
}

/** Builds the health snapshot. */
export function computeHealth(input: HealthInput): DynamicAuthHealth {
  const keys = keysHealth(input)
  const revocation = revocationHealth(input)
  const status: HealthStatus =
    keys.state === 'unavailable' || keys.state === 'not_loaded' || revocation.state === 'stale_refusing'
      ? 'unavailable'
      : keys.state === 'stale' || keys.consecutiveFailures > 0 || revocation.state !== 'connected'
        ? 'degraded'
        : 'ok'
  return { status, checkedAt: new Date(input.now).toISOString(), environmentId: input.environmentId, keys, revocation }
}

/**
 * Whether a revocation store refuses every token right now: a check of no one, which a store cut
 * off for longer than its staleness limit and set to refuse answers `unavailable` for anyone.
 */
export function revocationRefuses(store: RevocationStore): boolean {
  try {
    return store.check({ sub: '' }) === 'unavailable'
  } catch {
    return false
  }
}
