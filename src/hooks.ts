/**
 * The verifier's hooks: what it tells an observer as it works (a verification started, ended, a
 * key event, a revocation made). The verifier calls them and knows nothing of what they do;
 * `createDynamicAuth` hands it the telemetry's hooks, or {@link NO_HOOKS} when telemetry is off.
 */
import type { KeyStoreEvent } from './keys/key-store.js'
import type { KeyStoreStatus } from './keys/key-store.js'
import type { KeyEventFacts } from './health/key-monitor.js'
import type { RevocationStatus } from './revocation/store.js'
import type { DynamicSession } from './session/session.js'

/** What hooks may read of the verifier they observe (held weakly by metrics). */
export interface ObservedVerifier {
  /** The key store's state now (for the key gauges). */
  keyStatus(): KeyStoreStatus
  /** The revocation store's state now (for the revocation gauges). */
  revocationStatus(): RevocationStatus
}

/**
 * The hooks a verifier calls. `mark` is a timestamp the hooks chose to take (or a negative number
 * for none): `started()` gives it, `coldStarted(mark)` may take one when the token was not cached,
 * and the outcome hooks get it back.
 */
export interface VerifierHooks {
  /** A verification starts. */
  started(): number
  /** The token was not in the verified-token cache: the full verification starts. */
  coldStarted(mark: number): number
  /** A verification succeeded; `cached` when the verified-token cache answered it. */
  verified(session: DynamicSession, mark: number, cached: boolean): void
  /** A verification refused the token. */
  refused(error: unknown, mark: number, cached: boolean): void
  /** A full verification that settles later (a key fetch, an async signature check). */
  settles(result: Promise<DynamicSession>, mark: number): void
  /** A request refused before its token reached verification (no token, a cross-site cookie request). */
  requestRefused(error: unknown): void
  /** The verifier revoked a session or a user. */
  revoked(type: 'session' | 'user'): void
  /** The verified-token cache dropped an entry to make room (undefined: not observed). */
  readonly evicted: (() => void) | undefined
  /** Runs one verification, e.g. inside a span (undefined: not wrapped). */
  readonly wrap: ((verify: () => Promise<DynamicSession>) => Promise<DynamicSession>) | undefined
  /** The fetch the key store uses for the JWKS, given the configured one (e.g. wrapped in a span). */
  jwksFetch(fetch: typeof globalThis.fetch): typeof globalThis.fetch
  /** Every key-store event. */
  keyEvent(event: KeyStoreEvent): void
  /** The verifier is built: hooks that read its state later (gauges) attach here. */
  attach(verifier: ObservedVerifier, facts: KeyEventFacts): void
}

const nothing = (): void => {}

/** Hooks that do nothing: telemetry off. */
export const NO_HOOKS: VerifierHooks = Object.freeze({
  started: () => -1,
  coldStarted: (mark: number) => mark,
  verified: nothing,
  refused: nothing,
  settles: nothing,
  requestRefused: nothing,
  revoked: nothing,
  evicted: undefined,
  wrap: undefined,
  jwksFetch: (fetch: typeof globalThis.fetch) => fetch,
  keyEvent: nothing,
  attach: nothing,
})
