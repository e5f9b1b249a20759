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
import { resolveOptions, type DynamicAuthOptions, type ResolvedOptions } from './options.js'
import { parseCompactJws, type ParsedToken } from './parse/compact-jws.js'
import { RemoteKeyStore, StaticKeyStore, type KeyEntry, type KeyStore, type KeyStoreStatus } from './keys/key-store.js'
import type { SignatureBackend } from './signature/backend.js'
import { defaultBackend } from './signature/default.js'
import { checkTimes } from './claims/time.js'
import { checkIssuerAndEnvironment } from './claims/issuer.js'
import { checkAudience } from './claims/audience.js'
import { readScopes, requireScopes } from './claims/scopes.js'
import { VerifiedSession, type DynamicSession } from './session/session.js'
import type { DynamicJwtClaims } from './session/claims.js'
import { TokenCache } from './cache/token-cache.js'

/** Per-call options of {@link DynamicAuth.verifyToken}. */
export interface VerifyOptions {
  /** Scopes this call requires on top of the configured ones (e.g. a route's `wallet:sign`). */
  requiredScopes?: readonly string[]
}

/** A verifier bound to one Dynamic environment. Create one per app and share it. */
export interface DynamicAuth {
  /**
   * Verifies a Dynamic access or ID token and returns its session. Rejects with a
   * {@link DynamicAuthError} whose `code` says why the token was refused.
   */
  verifyToken(token: string, options?: VerifyOptions): Promise<DynamicSession>
  /** Fetches the keys now instead of at the first verification. Rejects with `jwks_unavailable`. */
  warmUp(): Promise<void>
  /** The key store's state, for health checks. */
  keyStatus(): KeyStoreStatus
  /** The validated configuration, defaults filled in. */
  readonly config: ResolvedOptions
}

const RS256 = 'RS256'

/**
 * Creates a verifier for one Dynamic environment. Throws {@link DynamicAuthConfigError} at once
 * for a bad configuration.
 *
 * @example
 * const auth = createDynamicAuth({ environmentId: process.env.DYNAMIC_ENVIRONMENT_ID! })
 * const session = await auth.verifyToken(token) // session.userId, session.scopes, ...
 */
export function createDynamicAuth(options: DynamicAuthOptions): DynamicAuth {
  const config = resolveOptions(options)
  const backend: SignatureBackend = options.signatureBackend ?? defaultBackend()
  return new Verifier(config, backend)
}

class Verifier implements DynamicAuth {
  private readonly keys: KeyStore
  private readonly cache: TokenCache

  constructor(
    readonly config: ResolvedOptions,
    private readonly backend: SignatureBackend,
  ) {
    const source = config.keySource
    this.keys =
      source.kind === 'remote'
        ? new RemoteKeyStore({
            url: source.url,
            fetch: config.fetch,
            timeoutMs: config.jwksTimeout,
            maxBytes: config.jwksMaxBytes,
            maxKeys: 100,
            maxAgeMs: config.jwksCacheMaxAge,
            cooldownMs: config.jwksCooldown,
            staleIfErrorMs: config.jwksStaleIfError,
            maxBackoffMs: config.jwksMaxBackoff,
            backend,
            clock: config.clock,
            ...(config.onEvent ? { onEvent: config.onEvent } : {}),
          })
        : new StaticKeyStore(source.kind === 'jwks' ? { jwks: source.jwks } : { pem: source.pem }, backend)
    this.cache = new TokenCache(config.tokenCacheSize)
  }

  verifyToken(token: string, options?: VerifyOptions): Promise<DynamicSession> {
    try {
      const extra = options?.requiredScopes
      if (typeof token === 'string') {
        const hit = this.cache.get(token)
        if (hit) {
          const now = this.config.clock()
          if (now / 1000 < hit.exp + this.config.clockTolerance && this.keys.isCurrent(hit.key, now)) {
            if (extra && extra.length > 0) requireScopes(hit.session.scopes, extra)
            return Promise.resolve(hit.session)
          }
          this.cache.delete(token) // expired or its key left the JWKS: verify afresh (and refuse)
        }
      }
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
        throw new DynamicAuthError('token_malformed', 'The token header\'s "kid" is not a string of 1 to 256 characters.')
      }
      const entry = this.keys.getKey(kid)
      const result =
        entry instanceof Promise
          ? entry.then((key) => this.checkSignature(token, parsed, key, extra))
          : this.checkSignature(token, parsed, entry, extra)
      return result instanceof Promise ? result.catch(rethrowAsDynamic) : Promise.resolve(result)
    } catch (error) {
      return Promise.reject(rethrowAsDynamicSync(error))
    }
  }

  private checkSignature(token: string, parsed: ParsedToken, key: KeyEntry, extra: readonly string[] | undefined): DynamicSession | Promise<DynamicSession> {
    // RSASSA-PKCS1-v1_5: the signature is exactly as long as the modulus (RFC 8017 §8.2.2).
    if (parsed.signature.length !== key.modulusBytes) throw signatureInvalid()
    const valid = this.backend.verifyRs256(key.key, parsed.signingInput, parsed.signature)
    if (valid === true) return this.checkClaims(token, parsed, key, extra)
    if (valid === false) throw signatureInvalid()
    return valid.then((ok) => {
      if (!ok) throw signatureInvalid()
      return this.checkClaims(token, parsed, key, extra)
    })
  }

  private checkClaims(token: string, parsed: ParsedToken, key: KeyEntry, extra: readonly string[] | undefined): DynamicSession {
    const { payload } = parsed
    const config = this.config
    const exp = checkTimes(payload, config.clock() / 1000, config.clockTolerance, config.maxTokenLifetime)
    checkIssuerAndEnvironment(payload, config.issuers, config.environmentId)
    checkAudience(payload, config.audiences)
    if (typeof payload.sub !== 'string' || payload.sub.length === 0) {
      throw new DynamicAuthError('token_malformed', 'The token has no "sub" claim (the Dynamic user id).')
    }
    const scopes = readScopes(payload)
    requireScopes(scopes, config.requiredScopes)
    const session = new VerifiedSession(Object.freeze(payload) as DynamicJwtClaims, Object.freeze(scopes), config.environmentId)
    Object.freeze(session)
    this.cache.set(token, { session, exp, key })
    if (extra && extra.length > 0) requireScopes(scopes, extra)
    return session
  }

  warmUp(): Promise<void> {
    return this.keys.warmUp()
  }

  keyStatus(): KeyStoreStatus {
    return this.keys.status()
  }
}

function signatureInvalid(): DynamicAuthError {
  return new DynamicAuthError('signature_invalid', 'The token signature does not match the key Dynamic published for it: the token was altered or not issued by Dynamic.')
}

/** Anything unexpected during verification still ends as a refusal, never a crash. */
function rethrowAsDynamicSync(error: unknown): DynamicAuthError {
  if (isDynamicAuthError(error)) return error
  return new DynamicAuthError('token_malformed', 'The token could not be verified.', { cause: error })
}

function rethrowAsDynamic(error: unknown): never {
  throw rethrowAsDynamicSync(error)
}
