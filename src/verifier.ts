/**
 * `createDynamicAuth`: the whole path of a token in one call.
 *
 *   parse (strict compact JWS) → algorithm (RS256 only) → key (by kid, from the key store)
 *   → signature → claims (time, issuer and environment, audience, scopes) → session
 *
 * The first failed check refuses the token with a {@link DynamicAuthError}. A token verified once
 * is remembered, so the same token again costs a lookup plus the time and scope checks.
 */
import { DynamicAuthError, isDynamicAuthError } from './errors.js'
import type { ResolvedOptions } from './options.js'
import { parseCompactJws, type ParsedToken } from './parse/compact-jws.js'
import {
  RemoteKeyStore,
  StaticKeyStore,
  type RemoteKeyStoreOptions,
  type KeyEntry,
  type KeyStore,
  type KeyStoreStatus,
} from './keys/key-store.js'
import type { SignatureBackend } from './signature/backend.js'
import { checkTimes } from './claims/time.js'
import { issuerRefusal } from './claims/issuer.js'
import { audienceRefusal } from './claims/audience.js'
import { readScopes, scopeRefusal } from './claims/scopes.js'
import { VerifiedSession, type DynamicSession } from './session/session.js'
import type { DynamicJwtClaims } from './session/claims.js'
import { TokenCache, type CachedVerification } from './cache/token-cache.js'
import type { RevocationStatus, RevocationStore, RevocationVerdict } from './revocation/store.js'
import { sessionRevocation, userRevocation } from './revocation/admin.js'
import { computeHealth, revocationRefuses, type DynamicAuthHealth } from './health/health.js'
import { KeyMonitor } from './health/key-monitor.js'
import type { VerifierHooks } from './hooks.js'
import type { OneTimeStore } from './one-time/store.js'
import { ElevatedTokens } from './elevated/verify.js'
import type { ElevatedGrant, ElevatedTokenOptions } from './elevated/grant.js'
import { adminTokenRefusal, isAdminApiToken } from './parse/admin-token.js'
import { checkLimits, resolveLimits, type ActorSetting } from './session/limits.js'
import type { DynamicEnvironmentInfo } from './environments/options.js'

/** Per-call options of {@link DynamicAuth.verifyToken}. */
export interface VerifyOptions {
  /** Scopes this call requires on top of the configured ones (e.g. a route's `wallet:sign`). */
  requiredScopes?: readonly string[]
  /**
   * Which sessions this call accepts: `'user'` (users' sessions only), `'agent'` (agents'
   * server-side sessions only, `server_auth: true`) or `'any'` (both; the default). Another is
   * refused with `actor_not_allowed`.
   */
  actor?: ActorSetting
  /**
   * The environments this call accepts, by id or by the name given in
   * `createDynamicAuth({ environments })`. A token of another is refused with
   * `environment_not_allowed`. Default: every environment of the verifier.
   */
  allowedEnvironments?: string | readonly string[]
}

/** A verifier of one Dynamic environment, or of several (`environments`). Create one per app and share it. */
export interface DynamicAuth {
  /**
   * Verifies a Dynamic access or ID token and returns its session. Rejects with a
   * {@link DynamicAuthError} whose `code` says why the token was refused.
   */
  verifyToken(token: string, options?: VerifyOptions): Promise<DynamicSession>
  /**
   * Fetches the keys now instead of at the first verification, and waits for a shared revocation
   * store's first load. Rejects with `jwks_unavailable` or `revocation_unavailable`.
   */
  warmUp(): Promise<void>
  /**
   * Verifies an elevated access token (Dynamic's step-up authentication, sent by the client in
   * `x-dyn-elevated-access-token`) for a request whose session token gave `session`, and returns
   * its grant. It is checked like a session token (signature with the environment's keys, RS256,
   * issuer, environment, times, audience, revocation of its session) but without `user:basic`; it
   * must belong to the same user and session (`originalSid ?? sid` equal), and grant every scope
   * in `options.scopes`. A single-use token (`singleUse: true`) is then consumed in
   * {@link DynamicAuth.oneTimeStore}: a second use is refused (`elevated_token_reused`), on every
   * instance sharing the store. Rejects with a {@link DynamicAuthError}: `elevated_token_missing`
   * (no token, or not these scopes), `elevated_token_invalid`, `elevated_token_mismatch`,
   * `elevated_token_reused`, `one_time_store_unavailable` (503, the store failed: refused, never
   * accepted twice), or a 503 of the keys or revocation store.
   */
  verifyElevatedToken(
    token: string | undefined,
    session: DynamicSession,
    options: ElevatedTokenOptions,
  ): Promise<ElevatedGrant>
  /** The key store's state, for health checks. */
  keyStatus(): KeyStoreStatus
  /**
   * Revokes a session: every token whose `sid` or `originalSid` is `sid` is refused with
   * `session_revoked` (a refreshed token of that session too), on every instance that shares the
   * revocation store. Rejects when the store could not share it (it is still refused here).
   */
  revokeSession(sid: string): Promise<void>
  /**
   * "Sign out everywhere": refuses every token of user `sub` issued before `before` (default:
   * now; a Date or ms since the epoch). Tokens without `iat` are refused too.
   */
  revokeUser(sub: string, options?: { before?: Date | number }): Promise<void>
  /** The revocation store's state, for health checks. */
  revocationStatus(): RevocationStatus
  /**
   * Whether this instance can verify tokens now, as a small JSON-able object: `status` (`ok`,
   * `degraded` or `unavailable`), the keys (fresh, stale or unavailable, and why), the revocation
   * store's state and the last errors. The health handlers of each adapter answer it as 200/503.
   */
  health(): DynamicAuthHealth
  /**
   * The Dynamic environment this verifier accepts tokens of (lower-case). With several
   * (`createDynamicAuth({ environments })`), the first of them: see
   * {@link DynamicAuth.environments} for all.
   */
  readonly environmentId: string
  /**
   * Every environment this verifier accepts tokens of, with the name given to each: one entry
   * (named `undefined`) for `createDynamicAuth({ environmentId })`. Absent on a verifier written by
   * hand.
   */
  readonly environments?: readonly DynamicEnvironmentInfo[]
  /** The scopes every token must have: `user:basic`, then the configured `requiredScopes`. */
  readonly requiredScopes: readonly string[]
  /**
   * Where ids that may be used once are recorded (single-use elevated tokens, session-key proof
   * nonces): the `oneTimeStore` option, or this verifier's own in-memory store.
   */
  readonly oneTimeStore: OneTimeStore
  /**
   * The hooks this verifier reports to (telemetry; they do nothing when it is off). The HTTP layer
   * reports here the requests it refuses before their token reaches {@link DynamicAuth.verifyToken}.
   * Absent on a verifier written by hand (a test double, a wrapper): nothing is reported then.
   */
  readonly hooks?: VerifierHooks
}

const RS256 = 'RS256'

/**
 * The verifier of {@link DynamicAuth}, given validated options, the crypto backend and the hooks
 * to report to. `createDynamicAuth` is the public way to make one.
 */
export class Verifier implements DynamicAuth {
  readonly environmentId: string
  readonly environments: readonly DynamicEnvironmentInfo[]
  readonly requiredScopes: readonly string[]
  readonly oneTimeStore: OneTimeStore
  private readonly keys: KeyStore
  private readonly cache: TokenCache
  private readonly revocation: RevocationStore
  /** What the key events said that the key store's status does not: for `health()`. */
  private readonly monitor: KeyMonitor
  /** The elevated-token check, made on first use. */
  private elevated: ElevatedTokens | undefined = undefined

  constructor(
    private readonly config: ResolvedOptions,
    private readonly backend: SignatureBackend,
    readonly hooks: VerifierHooks,
    /** The name given to this environment in `createDynamicAuth({ environments })`, put on each session. */
    private readonly environmentName?: string,
  ) {
    this.environmentId = config.environmentId
    this.environments = Object.freeze([Object.freeze({ id: config.environmentId, name: environmentName })])
    this.requiredScopes = config.requiredScopes
    this.oneTimeStore = config.oneTimeStore
    const monitor = (this.monitor = new KeyMonitor(config.clock, [(event) => hooks.keyEvent(event), config.onEvent]))
    const source = config.keySource
    if (source.kind === 'remote') {
      const remote: RemoteKeyStoreOptions = {
        url: source.url,
        fetch: hooks.jwksFetch(config.fetch),
        timeoutMs: config.jwksTimeout,
        maxBytes: config.jwksMaxBytes,
        maxKeys: 100,
        maxAgeMs: config.jwksCacheMaxAge,
        cooldownMs: config.jwksCooldown,
        staleIfErrorMs: config.jwksStaleIfError,
        maxBackoffMs: config.jwksMaxBackoff,
        backend,
        clock: config.clock,
        onEvent: (event) => {
          // The operator hears of a JWKS that fails (once per distinct failure), not only the client.
          if (event.type === 'jwks_error')
            config.problems.report(
              `jwks:${event.message}`,
              `${event.message.replace(/\.?$/, '.')} Tokens that need these keys are answered 503 jwks_unavailable meanwhile.`,
            )
          monitor.onEvent(event)
        },
      }
      this.keys = config.keyStore ? config.keyStore({ remote }) : new RemoteKeyStore(remote)
    } else {
      this.keys = new StaticKeyStore(
        { origin: source.kind === 'pem' ? 'publicKey' : 'jwks', keys: source.keys },
        backend,
      )
    }
    // One cache class, and the same own properties on every verifier whatever its hooks: the
    // benchmarks guide says why ("The verifier's shape").
    this.cache = new TokenCache(config.tokenCacheSize, hooks.evicted)
    this.revocation = config.revocation
    hooks.attach(this, monitor)
    // Only a verifier whose hooks wrap verifications has its verifyToken wrapped.
    const wrap = hooks.wrap
    const verify = Verifier.prototype.verifyToken
    this.verifyToken = wrap === undefined ? verify : (token, options) => wrap(() => verify.call(this, token, options))
  }

  verifyToken(token: string, options?: VerifyOptions): Promise<DynamicSession> {
    if (options !== undefined && (options.actor !== undefined || options.allowedEnvironments !== undefined))
      return this.verifyLimited(token, options)
    const hooks = this.hooks
    let mark = hooks.started()
    let cached = false
    try {
      const extra = options?.requiredScopes
      if (typeof token === 'string') {
        const hit = this.cache.get(token)
        if (hit) {
          const now = this.config.clock()
          if (now / 1000 < hit.exp + this.config.clockTolerance && this.keys.isCurrent(hit.key, now)) {
            cached = true
            const revocation = this.revocation
            const version = revocation.version
            if (version === undefined || hit.revocationVersion !== version) {
              const revoked = revocation.check(hit.session.claims)
              if (revoked !== undefined) return this.refuse(revocationError(revoked), mark, true)
              hit.revocationVersion = version
            }
            if (extra && extra.length > 0) {
              const refusal = scopeRefusal(hit.session.scopes, extra, hit.session.claims)
              if (refusal) return this.refuse(refusal, mark, true)
            }
            hooks.verified(hit.session, mark, true)
            return Promise.resolve(hit.session)
          }
          this.cache.delete(token) // expired or its key left the JWKS: verify afresh (and refuse)
        }
      }
      mark = hooks.coldStarted(mark)
      // Before parsing: an admin API token is told apart from a malformed JWT.
      if (typeof token === 'string' && isAdminApiToken(token)) throw adminTokenRefusal()
      const parsed = parseCompactJws(token, this.config.maxTokenLength)
      const { alg, kid } = parsed.header
      if (alg !== RS256) {
        throw new DynamicAuthError(
          'algorithm_not_allowed',
          typeof alg === 'string' && alg.length <= 16
            ? `The token is signed with ${alg}; Dynamic signs with RS256 and nothing else is accepted.`
            : 'The token header has no valid "alg"; only RS256 is accepted.',
        )
      }
      if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0 || kid.length > 256)) {
        throw new DynamicAuthError(
          'token_malformed',
          'The token header\'s "kid" is not a string of 1 to 256 characters.',
        )
      }
      let entry: KeyEntry | Promise<KeyEntry>
      try {
        entry = this.keys.getKey(kid, parsed.payload)
      } catch (error) {
        throw this.withEnvironmentHint(error, parsed.payload)
      }
      const result =
        entry instanceof Promise
          ? entry.then(
              (key) => thrown(this.checkSignature(token, parsed, key, extra)),
              (error: unknown) => {
                throw this.withEnvironmentHint(error, parsed.payload)
              },
            )
          : this.checkSignature(token, parsed, entry, extra)
      if (!(result instanceof Promise)) {
        // Refusals after the signature come back as values, not exceptions: see checkTimes.
        if (result instanceof DynamicAuthError) return this.refuse(result, mark, false)
        hooks.verified(result, mark, false)
        return Promise.resolve(result)
      }
      const settled = result.catch(rethrowAsDynamic)
      hooks.settles(settled, mark)
      return settled
    } catch (error) {
      return this.refuse(rethrowAsDynamicSync(error), mark, cached)
    }
  }

  /** Reports a refusal to the hooks and rejects with it (see rejectOnNextTurn). */
  private refuse(refusal: DynamicAuthError, mark: number, cached: boolean): Promise<never> {
    this.hooks.refused(refusal, mark, cached)
    return rejectOnNextTurn(refusal)
  }

  verifyElevatedToken(
    token: string | undefined,
    session: DynamicSession,
    options: ElevatedTokenOptions,
  ): Promise<ElevatedGrant> {
    this.elevated ??= new ElevatedTokens({
      config: this.config,
      keys: this.keys,
      backend: this.backend,
      revocation: this.revocation,
      oneTimeStore: this.oneTimeStore,
      signatureInvalid: () => this.signatureInvalid(),
      withEnvironmentHint: (error, payload) => this.withEnvironmentHint(error, payload),
    })
    // Refusals are counted like the HTTP layer's (`dynamic_guard.verifications`, by code).
    return this.elevated.verify(token, session, options).catch((error: unknown) => {
      if (isDynamicAuthError(error)) this.hooks.requestRefused(error)
      throw error
    })
  }

  /** A call restricted to an actor or to environments: verified as usual, then checked on the session. */
  private verifyLimited(token: string, options: VerifyOptions): Promise<DynamicSession> {
    let limits: ReturnType<typeof resolveLimits>
    try {
      limits = resolveLimits(options.actor, options.allowedEnvironments)
    } catch (error) {
      return Promise.reject(error)
    }
    const { actor: _, allowedEnvironments: __, ...rest } = options
    // The unwrapped method: a wrapping hook (a span) already runs around this call.
    const verified = Verifier.prototype.verifyToken.call(this, token, rest)
    if (limits === undefined) return verified
    return verified.then((session) => {
      try {
        checkLimits(session, limits)
      } catch (error) {
        this.hooks.requestRefused(error)
        throw error
      }
      return session
    })
  }

  private checkSignature(
    token: string,
    parsed: ParsedToken,
    key: KeyEntry,
    extra: readonly string[] | undefined,
  ): DynamicSession | DynamicAuthError | Promise<DynamicSession> {
    // RSASSA-PKCS1-v1_5: the signature is exactly as long as the modulus (RFC 8017 §8.2.2).
    if (parsed.signature.length !== key.modulusBytes) return this.signatureInvalid()
    const valid = this.backend.verifyRs256(key.key, parsed.signingInput, parsed.signature)
    if (valid === true) return this.checkClaims(token, parsed, key, extra)
    if (valid === false) return this.signatureInvalid()
    return valid.then((ok) => {
      if (!ok) throw this.signatureInvalid()
      return thrown(this.checkClaims(token, parsed, key, extra))
    })
  }

  private checkClaims(
    token: string,
    parsed: ParsedToken,
    key: KeyEntry,
    extra: readonly string[] | undefined,
  ): DynamicSession | DynamicAuthError {
    const { payload } = parsed
    const config = this.config
    const exp = checkTimes(payload, config.clock() / 1000, config.clockTolerance, config.maxTokenLifetime)
    if (typeof exp !== 'number') return exp
    const refusal =
      issuerRefusal(payload, config.issuers, config.environmentId) ?? audienceRefusal(payload, config.audiences)
    if (refusal) return refusal
    if (typeof payload.sub !== 'string' || payload.sub.length === 0) {
      return new DynamicAuthError('token_malformed', 'The token has no "sub" claim (the Dynamic user id).')
    }
    const scopes = readScopes(payload)
    const missing = scopeRefusal(scopes, config.requiredScopes, payload)
    if (missing) return missing
    const session = new VerifiedSession(
      Object.freeze(payload) as DynamicJwtClaims,
      Object.freeze(scopes),
      config.environmentId,
      this.environmentName,
    )
    Object.freeze(session)
    const cached: CachedVerification = { session, exp, key }
    this.cache.set(token, cached)
    // After the cache, so a replayed revoked token is refused by a lookup, not another RSA check.
    const version = this.revocation.version
    const revoked = this.revocation.check(session.claims)
    if (revoked !== undefined) return revocationError(revoked)
    cached.revocationVersion = version
    return (extra && extra.length > 0 && scopeRefusal(scopes, extra, payload)) || session
  }

  /**
   * With keys from Dynamic's JWKS, a bad signature is the token's fault. With a configured key
   * (`staticKeys.publicKey`, `staticKeys.jwks`), the likelier cause is a key that is not the environment's: the message
   * says so first, and the operator hears of it once.
   */
  private signatureInvalid(): DynamicAuthError {
    const kind = this.config.keySource.kind
    if (kind === 'remote') return new DynamicAuthError('signature_invalid', SIGNATURE_INVALID_REMOTE)
    const option = kind === 'pem' ? 'staticKeys.publicKey' : 'staticKeys.jwks'
    const message = `The token signature does not match the configured ${option}. If your front end's tokens are refused like this, ${option} is not your environment's key (or Dynamic rotated it): copy it again, or leave staticKeys out to use the environment's JWKS. Otherwise the token was altered or not issued by Dynamic.`
    this.config.problems.report(
      `signature:${option}`,
      `a token signature did not match the configured ${option}. If this repeats for tokens of your own front end, ${option} is not environment ${this.config.environmentId}'s key (or Dynamic rotated it).`,
    )
    return new DynamicAuthError('signature_invalid', message)
  }

  /**
   * A key this environment does not publish, for a token whose (unverified) claims name another
   * environment: the likeliest cause, so the message says which two environments differ.
   */
  private withEnvironmentHint(error: unknown, payload: Record<string, unknown>): unknown {
    if (!isDynamicAuthError(error) || error.code !== 'key_not_found') return error
    const claimed = claimedEnvironment(payload)
    if (claimed === undefined || claimed === this.config.environmentId) return error
    return new DynamicAuthError(
      'key_not_found',
      `${error.message} The token says (unverified, since its key is unknown) that it was issued for Dynamic environment ${claimed}, but this server verifies environment ${this.config.environmentId}: the front end and this server use different environments. Set environmentId (DYNAMIC_ENVIRONMENT_ID) to the front end's environment, or point the front end at this one.`,
    )
  }

  /** True when `token` is in this verifier's verified-token cache: it was verified here. */
  hasVerified(token: string): boolean {
    return this.cache.get(token) !== undefined
  }

  warmUp(): Promise<void> {
    const revocationReady = this.revocation.ready?.().catch((cause: unknown) => {
      throw new DynamicAuthError(
        'revocation_unavailable',
        `The revocation store could not load its set: ${cause instanceof Error ? cause.message : String(cause)}`,
        { cause, retryAfter: 5 },
      )
    })
    return revocationReady
      ? Promise.all([this.keys.warmUp(), revocationReady]).then(() => undefined)
      : this.keys.warmUp()
  }

  keyStatus(): KeyStoreStatus {
    return this.keys.status()
  }

  /** How long a revocation is kept: no token it covers outlives this, in ms. */
  private revocationRetention(): number {
    return (this.config.maxTokenLifetime + this.config.clockTolerance) * 1000
  }

  revokeSession(sid: string): Promise<void> {
    try {
      const entry = sessionRevocation(sid, this.config.clock(), this.revocationRetention())
      this.hooks.revoked('session')
      return this.revocation.add(entry)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  revokeUser(sub: string, options?: { before?: Date | number }): Promise<void> {
    try {
      const entry = userRevocation(sub, options?.before, this.config.clock(), this.revocationRetention())
      this.hooks.revoked('user')
      return this.revocation.add(entry)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  revocationStatus(): RevocationStatus {
    return this.revocation.status()
  }

  health(): DynamicAuthHealth {
    const config = this.config
    return computeHealth({
      now: config.clock(),
      environmentId: config.environmentId,
      keyStatus: this.keys.status(),
      keyFacts: this.monitor,
      maxAgeMs: config.jwksCacheMaxAge,
      staleIfErrorMs: config.jwksStaleIfError,
      revocationStatus: this.revocation.status(),
      revocationRefusing: revocationRefuses(this.revocation),
    })
  }
}

function revocationError(verdict: RevocationVerdict): DynamicAuthError {
  return verdict === 'revoked'
    ? new DynamicAuthError(
        'session_revoked',
        'The session of this token was revoked (signed out, or revoked by an admin); the user must sign in again.',
      )
    : new DynamicAuthError(
        'revocation_unavailable',
        'The shared revocation list has been unreachable for longer than its staleness limit (or has not been loaded since this instance started) and the store is set to refuse meanwhile; retry later, and check that Redis is reachable and answering.',
        { retryAfter: 5 },
      )
}

/** The environment a token claims: `environment_id`, else the id at the end of `iss`. Unverified. */
function claimedEnvironment(payload: Record<string, unknown>): string | undefined {
  const id = payload.environment_id
  // Only plain ids are echoed: the claims are unverified, and messages reach logs.
  if (typeof id === 'string') return /^[\w-]{1,64}$/.test(id) ? id : undefined
  const iss = payload.iss
  if (typeof iss !== 'string' || iss.length > 200) return undefined
  const match = /\/([0-9a-f-]{36})$/i.exec(iss)
  return match?.[1]
}

const SIGNATURE_INVALID_REMOTE =
  'The token signature does not match the key Dynamic published for it: the token was altered or not issued by Dynamic.'

/** Anything unexpected during verification still ends as a refusal, never a crash. */
function rethrowAsDynamicSync(error: unknown): DynamicAuthError {
  if (isDynamicAuthError(error)) return error
  return new DynamicAuthError('token_malformed', 'The token could not be verified.', { cause: error })
}

/**
 * A promise rejected with `refusal` one microtask from now, once the caller (`await`, `.then`,
 * `.catch`) has subscribed to it. `Promise.reject` rejects before anyone listens, and Node then
 * files the promise as possibly unhandled and takes it off that list when the handler comes: on
 * a refusal, that bookkeeping cost more than the rest of the promise. A caller that never
 * subscribes still gets Node's unhandled-rejection report.
 */
function rejectOnNextTurn(refusal: DynamicAuthError): Promise<never> {
  // `.then` on a settled promise rather than queueMicrotask, which creates an AsyncResource per call.
  return new Promise((_resolve, reject) => void RESOLVED.then(() => reject(refusal)))
}

const RESOLVED = Promise.resolve()

/** `result`, or throws it when it is a refusal (returned by checkTimes: see why there). */
function thrown<T>(result: T | DynamicAuthError): T {
  if (result instanceof DynamicAuthError) throw result
  return result
}

function rethrowAsDynamic(error: unknown): never {
  throw rethrowAsDynamicSync(error)
}
